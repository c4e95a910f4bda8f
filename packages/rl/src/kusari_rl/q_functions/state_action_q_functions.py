"""Q-functions of a state and an action: the critics of DDPG, TD3 and SAC.

ChainerRL's ``chainerrl.q_functions.state_action_q_functions``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kusari
import kusari.functions as F
from kusari.link import Link
from kusari.variable import Variable
from kusari_rl.links.mlp import MLP
from kusari_rl.links.mlp_bn import MLPBN
from kusari_rl.q_function import StateActionQFunction

__all__ = [
    "FCBNLateActionSAQFunction",
    "FCBNSAQFunction",
    "FCLateActionSAQFunction",
    "FCSAQFunction",
    "SingleModelStateActionQFunction",
]


def _init_sizes(
    q_func: Any,
    owner: str,
    n_dim_obs: int,
    n_dim_action: int,
    n_hidden_channels: int,
    n_hidden_layers: int,
    minimum: int,
) -> None:
    """Check ``n_hidden_layers >= minimum`` and store the sizes on ``q_func``."""
    if n_hidden_layers < minimum:
        raise ValueError(f"{owner}: n_hidden_layers must be >= {minimum}, got {n_hidden_layers}")
    q_func.n_input_channels = n_dim_obs + n_dim_action
    q_func.n_hidden_layers = n_hidden_layers
    q_func.n_hidden_channels = n_hidden_channels


class SingleModelStateActionQFunction(kusari.Chain, StateActionQFunction):
    """A Q-function made of one link called as ``model(x, a)``.

    Args:
        model: A link mapping states ``(B, ...)`` and actions ``(B, ...)`` to ``(B, 1)``.
    """

    def __init__(self, model: Link) -> None:
        super().__init__()
        with self.init_scope():
            self.model = model

    def forward(self, x: Variable | Any, a: Variable | Any) -> Variable:
        """Return ``Q(x, a)``, shape ``(B, 1)``."""
        return self.model(x, a)


class FCSAQFunction(MLP, StateActionQFunction):
    """A fully connected critic: an :class:`~kusari_rl.links.MLP` on ``concat(state, action)``.

    Args:
        n_dim_obs: Size of a state vector.
        n_dim_action: Size of an action vector.
        n_hidden_channels: Size of each hidden layer.
        n_hidden_layers: Number of hidden layers (0 for a linear function).
        nonlinearity: Applied after every hidden layer.
        last_wscale: Scale of the output layer's initial weights.

    Raises:
        ValueError: ``n_hidden_layers`` is negative.

    Example:
        >>> q = FCSAQFunction(3, 1, 64, 2)
        >>> q(numpy.zeros((5, 3), numpy.float32), numpy.zeros((5, 1), numpy.float32)).shape
        (5, 1)
    """

    def __init__(
        self,
        n_dim_obs: int,
        n_dim_action: int,
        n_hidden_channels: int,
        n_hidden_layers: int,
        nonlinearity: Callable[[Any], Variable] = F.relu,
        last_wscale: float = 1.0,
    ) -> None:
        _init_sizes(
            self, "FCSAQFunction", n_dim_obs, n_dim_action, n_hidden_channels, n_hidden_layers, 0
        )
        super().__init__(
            self.n_input_channels,
            1,
            [n_hidden_channels] * n_hidden_layers,
            nonlinearity=nonlinearity,
            last_wscale=last_wscale,
        )

    def forward(self, state: Variable | Any, action: Variable | Any) -> Variable:
        """Return ``Q(state, action)``.

        Args:
            state: States ``(B, n_dim_obs)``.
            action: Actions ``(B, n_dim_action)``.

        Returns:
            A Variable ``(B, 1)``.
        """
        return super().forward(F.concat((state, action), axis=1))


class FCBNSAQFunction(MLPBN, StateActionQFunction):
    """:class:`FCSAQFunction` with batch normalization (:class:`~kusari_rl.links.MLPBN`).

    Args:
        n_dim_obs: Size of a state vector.
        n_dim_action: Size of an action vector.
        n_hidden_channels: Size of each hidden layer.
        n_hidden_layers: Number of hidden layers.
        normalize_input: Batch-normalize ``concat(state, action)`` first.
        nonlinearity: Applied after every hidden layer.
        last_wscale: Scale of the output layer's initial weights.

    Raises:
        ValueError: ``n_hidden_layers`` is negative.
    """

    def __init__(
        self,
        n_dim_obs: int,
        n_dim_action: int,
        n_hidden_channels: int,
        n_hidden_layers: int,
        normalize_input: bool = True,
        nonlinearity: Callable[[Any], Variable] = F.relu,
        last_wscale: float = 1.0,
    ) -> None:
        _init_sizes(
            self, "FCBNSAQFunction", n_dim_obs, n_dim_action, n_hidden_channels, n_hidden_layers, 0
        )
        super().__init__(
            self.n_input_channels,
            1,
            [n_hidden_channels] * n_hidden_layers,
            normalize_input=normalize_input,
            nonlinearity=nonlinearity,
            last_wscale=last_wscale,
        )

    def forward(self, state: Variable | Any, action: Variable | Any) -> Variable:
        """Return ``Q(state, action)``, shape ``(B, 1)``."""
        return super().forward(F.concat((state, action), axis=1))


class _LateActionQFunction(kusari.Chain, StateActionQFunction):
    """The late-action critics' shared part: ``mlp(concat(f(obs_mlp(state)), action))``."""

    def _init_late_action(
        self,
        obs_mlp: Link,
        n_dim_action: int,
        n_hidden_channels: int,
        n_hidden_layers: int,
        nonlinearity: Callable[[Any], Variable],
        last_wscale: float,
    ) -> None:
        self.nonlinearity = nonlinearity
        with self.init_scope():
            self.obs_mlp = obs_mlp
            self.mlp = MLP(
                n_hidden_channels + n_dim_action,
                1,
                [n_hidden_channels] * (n_hidden_layers - 1),
                nonlinearity=nonlinearity,
                last_wscale=last_wscale,
            )

    @property
    def output(self) -> Link:
        """The output layer (the last layer of ``mlp``)."""
        return self.mlp.output

    def forward(self, state: Variable | Any, action: Variable | Any) -> Variable:
        """Return ``Q(state, action)``, shape ``(B, 1)``."""
        h = self.nonlinearity(self.obs_mlp(state))
        return self.mlp(F.concat((h, action), axis=1))


class FCLateActionSAQFunction(_LateActionQFunction):
    """A critic that sees the action only from its second layer on (the DDPG paper's critic).

    ``Q = mlp(concat(f(obs_mlp(state)), action))``. Source: Lillicrap et al. 2016,
    "Continuous control with deep reinforcement learning", Section 7.

    Args:
        n_dim_obs: Size of a state vector.
        n_dim_action: Size of an action vector.
        n_hidden_channels: Size of each hidden layer.
        n_hidden_layers: Number of hidden layers (``>= 1``).
        nonlinearity: Applied after every hidden layer.
        last_wscale: Scale of the output layer's initial weights.

    Raises:
        ValueError: ``n_hidden_layers < 1``.
    """

    def __init__(
        self,
        n_dim_obs: int,
        n_dim_action: int,
        n_hidden_channels: int,
        n_hidden_layers: int,
        nonlinearity: Callable[[Any], Variable] = F.relu,
        last_wscale: float = 1.0,
    ) -> None:
        owner = "FCLateActionSAQFunction"
        _init_sizes(self, owner, n_dim_obs, n_dim_action, n_hidden_channels, n_hidden_layers, 1)
        super().__init__()
        self._init_late_action(
            MLP(n_dim_obs, n_hidden_channels, []),
            n_dim_action,
            n_hidden_channels,
            n_hidden_layers,
            nonlinearity,
            last_wscale,
        )


class FCBNLateActionSAQFunction(_LateActionQFunction):
    """:class:`FCLateActionSAQFunction` with batch normalization on the state branch.

    Source: Lillicrap et al. 2016, "Continuous control with deep reinforcement learning".

    Args:
        n_dim_obs: Size of a state vector.
        n_dim_action: Size of an action vector.
        n_hidden_channels: Size of each hidden layer.
        n_hidden_layers: Number of hidden layers (``>= 1``).
        normalize_input: Batch-normalize the states first.
        nonlinearity: Applied after every hidden layer.
        last_wscale: Scale of the output layer's initial weights.

    Raises:
        ValueError: ``n_hidden_layers < 1``.
    """

    def __init__(
        self,
        n_dim_obs: int,
        n_dim_action: int,
        n_hidden_channels: int,
        n_hidden_layers: int,
        normalize_input: bool = True,
        nonlinearity: Callable[[Any], Variable] = F.relu,
        last_wscale: float = 1.0,
    ) -> None:
        owner = "FCBNLateActionSAQFunction"
        _init_sizes(self, owner, n_dim_obs, n_dim_action, n_hidden_channels, n_hidden_layers, 1)
        super().__init__()
        self.normalize_input = normalize_input
        obs_mlp = MLPBN(
            n_dim_obs, n_hidden_channels, [], normalize_input=normalize_input, normalize_output=True
        )
        self._init_late_action(
            obs_mlp, n_dim_action, n_hidden_channels, n_hidden_layers, nonlinearity, last_wscale
        )
