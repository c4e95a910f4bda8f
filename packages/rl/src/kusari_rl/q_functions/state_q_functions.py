"""Q-functions of the state that return the values of all actions.

ChainerRL's ``chainerrl.q_functions.state_q_functions``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy

import kusari
import kusari.functions as F
import kusari.links as L
from kusari.link import Link
from kusari.variable import Variable
from kusari_rl.action_value import (
    DiscreteActionValue,
    DistributionalDiscreteActionValue,
    QuadraticActionValue,
)
from kusari_rl.functions.lower_triangular_matrix import lower_triangular_matrix
from kusari_rl.links.mlp import MLP
from kusari_rl.links.mlp_bn import MLPBN
from kusari_rl.links.sequence import Sequence
from kusari_rl.q_function import StateQFunction

__all__ = [
    "DistributionalFCStateQFunctionWithDiscreteAction",
    "DistributionalSingleModelStateQFunctionWithDiscreteAction",
    "FCBNQuadraticStateQFunction",
    "FCQuadraticStateQFunction",
    "FCStateQFunctionWithDiscreteAction",
    "SingleModelStateQFunctionWithDiscreteAction",
]


def _check_atoms(owner: str, n_atoms: int, v_min: float, v_max: float) -> None:
    if n_atoms < 2:
        raise ValueError(f"{owner}: n_atoms must be >= 2, got {n_atoms}")
    if not v_min < v_max:
        raise ValueError(f"{owner}: v_min must be < v_max, got v_min={v_min}, v_max={v_max}")


def _atom_probabilities(h: Variable, n_actions: int, n_atoms: int) -> Variable:
    """Turn logits ``(B, n_actions * n_atoms)`` into probabilities ``(B, n_actions, n_atoms)``."""
    return F.softmax(F.reshape(h, (-1, n_actions, n_atoms)), axis=2)


def _z_values(n_atoms: int, v_min: float, v_max: float) -> numpy.ndarray:
    """The ``n_atoms`` evenly spaced returns from ``v_min`` to ``v_max`` (float32)."""
    return numpy.linspace(v_min, v_max, num=n_atoms, dtype=numpy.float32)


class SingleModelStateQFunctionWithDiscreteAction(kusari.Chain, StateQFunction):
    """A discrete-action Q-function made of one link mapping states to Q-values.

    Args:
        model: A link mapping states ``(B, ...)`` to Q-values ``(B, n_actions)``.
    """

    def __init__(self, model: Link) -> None:
        super().__init__()
        with self.init_scope():
            self.model = model

    def forward(self, x: Variable | Any) -> DiscreteActionValue:
        """Return the action values of the states ``x`` ``(B, ...)``."""
        return DiscreteActionValue(self.model(x))


class FCStateQFunctionWithDiscreteAction(SingleModelStateQFunctionWithDiscreteAction):
    """A fully connected Q-function over discrete actions (the DQN of low-dimensional states).

    Source: Mnih et al. 2015, "Human-level control through deep reinforcement learning".

    Args:
        ndim_obs: Size of a state vector.
        n_actions: Number of actions.
        n_hidden_channels: Size of each hidden layer.
        n_hidden_layers: Number of hidden layers.
        nonlinearity: Applied after every hidden layer.
        last_wscale: Scale of the output layer's initial weights.

    Example:
        >>> q = FCStateQFunctionWithDiscreteAction(4, 2, 64, 2)
        >>> q(numpy.zeros((3, 4), numpy.float32)).q_values.shape
        (3, 2)
    """

    def __init__(
        self,
        ndim_obs: int,
        n_actions: int,
        n_hidden_channels: int,
        n_hidden_layers: int,
        nonlinearity: Callable[[Any], Variable] = F.relu,
        last_wscale: float = 1.0,
    ) -> None:
        super().__init__(
            MLP(
                ndim_obs,
                n_actions,
                [n_hidden_channels] * n_hidden_layers,
                nonlinearity=nonlinearity,
                last_wscale=last_wscale,
            )
        )


class DistributionalSingleModelStateQFunctionWithDiscreteAction(kusari.Chain, StateQFunction):
    """A distributional Q-function made of one link mapping states to atom probabilities.

    Args:
        model: A link mapping states ``(B, ...)`` to probabilities ``(B, n_actions, n_atoms)``.
        z_values: The returns of the atoms ``(n_atoms,)`` (saved with the link).
    """

    def __init__(self, model: Link, z_values: Any) -> None:
        super().__init__()
        with self.init_scope():
            self.model = model
        self.add_persistent("z_values", z_values)

    def forward(self, x: Variable | Any) -> DistributionalDiscreteActionValue:
        """Return the distributional action values of the states ``x`` ``(B, ...)``."""
        return DistributionalDiscreteActionValue(self.model(x), self.z_values)


class DistributionalFCStateQFunctionWithDiscreteAction(
    DistributionalSingleModelStateQFunctionWithDiscreteAction
):
    """A fully connected distributional Q-function (C51): a softmax over atoms per action.

    Source: Bellemare et al. 2017, "A Distributional Perspective on Reinforcement Learning".

    Args:
        ndim_obs: Size of a state vector.
        n_actions: Number of actions.
        n_atoms: Number of atoms of each return distribution (``>= 2``).
        v_min: Return of the lowest atom.
        v_max: Return of the highest atom (``> v_min``).
        n_hidden_channels: Size of each hidden layer.
        n_hidden_layers: Number of hidden layers.
        nonlinearity: Applied after every hidden layer.
        last_wscale: Scale of the output layer's initial weights.

    Raises:
        ValueError: ``n_atoms < 2`` or ``v_min >= v_max``.
    """

    def __init__(
        self,
        ndim_obs: int,
        n_actions: int,
        n_atoms: int,
        v_min: float,
        v_max: float,
        n_hidden_channels: int,
        n_hidden_layers: int,
        nonlinearity: Callable[[Any], Variable] = F.relu,
        last_wscale: float = 1.0,
    ) -> None:
        _check_atoms("DistributionalFCStateQFunctionWithDiscreteAction", n_atoms, v_min, v_max)
        self.n_actions = n_actions
        self.n_atoms = n_atoms
        model = Sequence(
            MLP(
                ndim_obs,
                n_actions * n_atoms,
                [n_hidden_channels] * n_hidden_layers,
                nonlinearity=nonlinearity,
                last_wscale=last_wscale,
            ),
            functools.partial(_atom_probabilities, n_actions=n_actions, n_atoms=n_atoms),
        )
        super().__init__(model, _z_values(n_atoms, v_min, v_max))


def _scale_by_tanh(x: Variable, low: Any, high: Any) -> Variable:
    """Map ``x`` into ``[low, high]`` elementwise with ``tanh``."""
    xp = x.xp
    scale = xp.asarray((high - low) / 2, dtype=x.dtype)
    mean = xp.asarray((high + low) / 2, dtype=x.dtype)
    return F.tanh(x) * scale + mean


def _check_action_space(owner: str, action_space: Any) -> None:
    if (
        action_space is None
        or not hasattr(action_space, "low")
        or not hasattr(action_space, "high")
    ):
        raise TypeError(
            f"{owner}: action_space must be a Box-like space with low and high, got "
            f"{type(action_space).__name__}"
        )


class _QuadraticHeads(kusari.Chain, StateQFunction):
    """The NAF heads shared by the quadratic Q-functions: ``V``, ``mu`` and ``L`` (``P = L L^T``).

    Subclasses call ``__init__`` (which checks and keeps the sizes), then set
    ``hidden_layers`` (states to features), then call :meth:`_init_heads`; they define
    :meth:`_features`.
    """

    def __init__(
        self,
        owner: str,
        n_input_channels: int,
        n_hidden_channels: int,
        n_hidden_layers: int,
        action_space: Any,
    ) -> None:
        if n_hidden_layers < 1:
            raise ValueError(f"{owner}: n_hidden_layers must be >= 1, got {n_hidden_layers}")
        _check_action_space(owner, action_space)
        super().__init__()
        self.n_input_channels = n_input_channels
        self.n_hidden_layers = n_hidden_layers
        self.n_hidden_channels = n_hidden_channels

    def _init_heads(
        self, n_hidden_channels: int, n_dim_action: int, action_space: Any, scale_mu: bool
    ) -> None:
        self.scale_mu = scale_mu
        self.action_space = action_space
        self.n_dim_action = n_dim_action
        with self.init_scope():
            self.v = L.Linear(n_hidden_channels, 1)
            self.mu = L.Linear(n_hidden_channels, n_dim_action)
            self.mat_diag = L.Linear(n_hidden_channels, n_dim_action)
            non_diag_size = n_dim_action * (n_dim_action - 1) // 2
            if non_diag_size > 0:
                self.mat_non_diag = L.Linear(n_hidden_channels, non_diag_size)

    def _features(self, state: Variable | Any) -> Variable:
        raise NotImplementedError

    def forward(self, state: Variable | Any) -> QuadraticActionValue:
        """Return the quadratic action values of the states ``(B, n_input_channels)``."""
        h = self._features(state)
        v = self.v(h)
        mu = self.mu(h)
        low, high = self.action_space.low, self.action_space.high
        if self.scale_mu:
            mu = _scale_by_tanh(mu, low, high)
        mat_diag = F.exp(self.mat_diag(h))
        if self.n_dim_action > 1:
            tril = lower_triangular_matrix(mat_diag, self.mat_non_diag(h))
            mat = F.matmul(tril, tril, transb=True)
        else:
            mat = F.expand_dims(mat_diag * mat_diag, axis=2)
        return QuadraticActionValue(mu, mat, v, min_action=low, max_action=high)


class FCQuadraticStateQFunction(_QuadraticHeads):
    """A fully connected Q-function with a quadratic advantage (NAF) for continuous actions.

    ``Q(s, a) = V(s) - 1/2 (a - mu(s))^T L(s) L(s)^T (a - mu(s))``, where ``L`` is lower
    triangular with a positive (exponentiated) diagonal. Source: Gu et al. 2016, "Continuous Deep
    Q-Learning with Model-based Acceleration".

    Args:
        n_input_channels: Size of a state vector.
        n_dim_action: Size of an action vector.
        n_hidden_channels: Size of each hidden layer.
        n_hidden_layers: Number of hidden layers (``>= 1``), each followed by ReLU.
        action_space: The action space: its ``low`` and ``high`` bound the greedy actions.
        scale_mu: Squash ``mu`` into ``[low, high]`` with ``tanh``.

    Raises:
        ValueError: ``n_hidden_layers < 1``.
        TypeError: ``action_space`` has no ``low``/``high``.
    """

    def __init__(
        self,
        n_input_channels: int,
        n_dim_action: int,
        n_hidden_channels: int,
        n_hidden_layers: int,
        action_space: Any,
        scale_mu: bool = True,
    ) -> None:
        super().__init__(
            "FCQuadraticStateQFunction",
            n_input_channels,
            n_hidden_channels,
            n_hidden_layers,
            action_space,
        )
        sizes = [n_input_channels] + [n_hidden_channels] * n_hidden_layers
        with self.init_scope():
            self.hidden_layers = kusari.ChainList(
                *[L.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]
            )
        self._init_heads(n_hidden_channels, n_dim_action, action_space, scale_mu)

    def _features(self, state: Variable | Any) -> Variable:
        h = state
        for layer in self.hidden_layers:
            h = F.relu(layer(h))
        return h


class FCBNQuadraticStateQFunction(_QuadraticHeads):
    """:class:`FCQuadraticStateQFunction` with batch-normalized hidden layers (:class:`MLPBN`).

    Args:
        n_input_channels: Size of a state vector.
        n_dim_action: Size of an action vector.
        n_hidden_channels: Size of each hidden layer.
        n_hidden_layers: Number of hidden layers (``>= 1``).
        action_space: The action space: its ``low`` and ``high`` bound the greedy actions.
        scale_mu: Squash ``mu`` into ``[low, high]`` with ``tanh``.
        normalize_input: Batch-normalize the states first.

    Raises:
        ValueError: ``n_hidden_layers < 1``.
        TypeError: ``action_space`` has no ``low``/``high``.
    """

    def __init__(
        self,
        n_input_channels: int,
        n_dim_action: int,
        n_hidden_channels: int,
        n_hidden_layers: int,
        action_space: Any,
        scale_mu: bool = True,
        normalize_input: bool = True,
    ) -> None:
        super().__init__(
            "FCBNQuadraticStateQFunction",
            n_input_channels,
            n_hidden_channels,
            n_hidden_layers,
            action_space,
        )
        with self.init_scope():
            self.hidden_layers = MLPBN(
                n_input_channels,
                n_hidden_channels,
                [n_hidden_channels] * (n_hidden_layers - 1),
                normalize_input=normalize_input,
            )
        self._init_heads(n_hidden_channels, n_dim_action, action_space, scale_mu)

    def _features(self, state: Variable | Any) -> Variable:
        return self.hidden_layers(state)
