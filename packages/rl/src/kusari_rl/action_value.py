"""Action values: the batched output of a Q-function for fixed states (``chainerrl.action_value``).

A Q-function called on a batch of states returns an :class:`ActionValue`; agents ask it for
the greedy actions, their values, or the values of given actions. Greedy actions are computed
from the arrays without building a graph; values (``max``, ``evaluate_actions``) are Variables
that backpropagate into the Q-function.
"""

from __future__ import annotations

import abc
import warnings
from collections.abc import Callable
from functools import cached_property
from typing import Any

import numpy

import kusari.functions as F
from kusari.configuration import force_backprop_mode
from kusari.variable import Variable

__all__ = [
    "ActionValue",
    "DiscreteActionValue",
    "DistributionalDiscreteActionValue",
    "QuadraticActionValue",
    "QuantileDiscreteActionValue",
    "SingleActionValue",
]


def _identity(x: Any) -> Any:
    return x


def _is_array(value: Any) -> bool:
    return isinstance(value, numpy.ndarray) or type(value).__module__.startswith("cupy")


def _to_variable(owner: str, name: str, value: Any) -> Variable:
    """Return ``value`` if it is a Variable, else wrap the array into a constant Variable."""
    if isinstance(value, Variable):
        return value
    if not _is_array(value):
        raise TypeError(
            f"{owner}: {name} must be a Variable or an array, got {type(value).__name__}"
        )
    return Variable(value, requires_grad=False)


def _as_variable(owner: str, name: str, value: Any, ndim: int, shape_doc: str) -> Variable:
    """Like :func:`_to_variable`, then check the number of axes."""
    value = _to_variable(owner, name, value)
    if value.ndim != ndim:
        raise ValueError(f"{owner}: {name} must have shape {shape_doc}, got shape {value.shape}")
    return value


def _indices(actions: Any) -> Any:
    return actions.array if isinstance(actions, Variable) else actions


class ActionValue(abc.ABC):
    """Q-values of every action for a batch of fixed states; every operation is batched."""

    @property
    @abc.abstractmethod
    def greedy_actions(self) -> Variable:
        """The actions maximizing Q: ``argmax_a Q(s, a)`` for each state of the batch."""

    @property
    @abc.abstractmethod
    def max(self) -> Variable:
        """The maximum values ``max_a Q(s, a)``, shape ``(B,)``."""

    @abc.abstractmethod
    def evaluate_actions(self, actions: Any) -> Variable:
        """Return ``Q(s, a)`` for the given actions, shape ``(B,)``."""

    def compute_advantage(self, actions: Variable | Any) -> Variable:
        """Return ``Q(s, a) - max_b Q(s, b)``, shape ``(B,)``."""
        return self.evaluate_actions(actions) - self.max

    def compute_double_advantage(self, actions: Variable | Any, argmax_actions: Any) -> Variable:
        """Return ``Q(s, a) - Q(s, argmax_actions)``, shape ``(B,)``."""
        return self.evaluate_actions(actions) - self.evaluate_actions(argmax_actions)

    @property
    @abc.abstractmethod
    def params(self) -> tuple[Variable, ...]:
        """The Variables this action value is computed from (for drawing graphs)."""

    @abc.abstractmethod
    def __getitem__(self, i: Any) -> ActionValue:
        """Return the action value of the states selected by ``i`` (an index or a slice)."""


class _DiscreteQValues(ActionValue):
    """What every action value with ``q_values`` of shape ``(B, n_actions)`` computes alike."""

    q_values: Variable
    q_values_formatter: Callable[[Any], Any]

    @cached_property
    def greedy_actions(self) -> Variable:
        """``argmax_a Q(s, a)``: an int32 Variable ``(B,)`` without a graph."""
        return Variable(self.q_values.array.argmax(axis=1).astype(numpy.int32), requires_grad=False)

    @cached_property
    def max(self) -> Variable:
        """``max_a Q(s, a)``, shape ``(B,)``; it backpropagates into ``q_values``."""
        with force_backprop_mode():
            return F.select_item(self.q_values, self.greedy_actions.array)

    def evaluate_actions(self, actions: Variable | Any) -> Variable:
        """Return ``Q(s, a)`` for integer actions of shape ``(B,)``.

        Raises:
            ValueError: An action is outside ``[0, n_actions)`` or the batch sizes differ.
        """
        return F.select_item(self.q_values, _indices(actions))

    def compute_expectation(self, beta: float) -> Variable:
        """Return the expected Q-value under the Boltzmann policy ``softmax(beta Q)``, ``(B,)``."""
        q = self.q_values
        return F.sum(F.softmax(beta * q) * q, axis=1)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__} greedy_actions:{self.greedy_actions.array} "
            f"q_values:{self.q_values_formatter(self.q_values.array)}"
        )


class DiscreteActionValue(_DiscreteQValues):
    """Q-values of a discrete action space.

    Args:
        q_values: Q-values of shape ``(B, n_actions)``, a Variable (or an array, taken as a
            constant).
        q_values_formatter: Turns the Q-value array into what ``repr`` shows.

    Attributes:
        q_values (~kusari.Variable): ``(B, n_actions)``.
        n_actions (int): Number of actions.
        xp: :mod:`numpy` or :mod:`cupy`.

    Raises:
        TypeError: ``q_values`` is neither a Variable nor an array.
        ValueError: ``q_values`` is not 2-D.

    Example:
        >>> av = DiscreteActionValue(kusari.Variable(numpy.array([[1, 3], [2, 0]], "f")))
        >>> av.greedy_actions.array, av.max.array
        (array([1, 0], dtype=int32), array([3., 2.], dtype=float32))
    """

    def __init__(
        self, q_values: Variable | Any, q_values_formatter: Callable[[Any], Any] = _identity
    ) -> None:
        self.q_values = _as_variable(
            "DiscreteActionValue", "q_values", q_values, 2, "(B, n_actions)"
        )
        self.xp = self.q_values.xp
        self.n_actions = self.q_values.shape[1]
        self.q_values_formatter = q_values_formatter

    @property
    def params(self) -> tuple[Variable, ...]:
        """``(q_values,)``."""
        return (self.q_values,)

    def __getitem__(self, i: Any) -> DiscreteActionValue:
        """Return the action value of the states ``i`` selects."""
        return DiscreteActionValue(self.q_values[i], q_values_formatter=self.q_values_formatter)


class DistributionalDiscreteActionValue(_DiscreteQValues):
    """Return distributions over fixed atoms for a discrete action space (C51).

    ``Q(s, a) = sum_i q_dist[s, a, i] z_i``. Source: Bellemare et al. 2017, "A Distributional
    Perspective on Reinforcement Learning".

    Args:
        q_dist: Probabilities of the atoms, a Variable of shape ``(B, n_actions, n_atoms)``.
        z_values: The atoms' returns, an array of shape ``(n_atoms,)``.
        q_values_formatter: Turns the Q-value array into what ``repr`` shows.

    Attributes:
        q_dist (~kusari.Variable): ``(B, n_actions, n_atoms)``.
        z_values: ``(n_atoms,)``.
        q_values (~kusari.Variable): The expected returns ``(B, n_actions)``.
        n_actions (int): Number of actions.

    Raises:
        TypeError: ``q_dist`` is not a Variable or an array, or ``z_values`` is a Variable.
        ValueError: The shapes are wrong or the numbers of atoms differ.
    """

    def __init__(
        self,
        q_dist: Variable | Any,
        z_values: Any,
        q_values_formatter: Callable[[Any], Any] = _identity,
    ) -> None:
        owner = "DistributionalDiscreteActionValue"
        self.q_dist = _as_variable(owner, "q_dist", q_dist, 3, "(B, n_actions, n_atoms)")
        if isinstance(z_values, Variable) or not _is_array(z_values):
            raise TypeError(f"{owner}: z_values must be an array, got {type(z_values).__name__}")
        if z_values.ndim != 1 or z_values.shape[0] != self.q_dist.shape[2]:
            raise ValueError(
                f"{owner}: z_values must have shape (n_atoms,) = ({self.q_dist.shape[2]},), got "
                f"{z_values.shape}"
            )
        self.xp = self.q_dist.xp
        self.z_values = z_values
        self.q_values = F.sum(self.q_dist * z_values, axis=2)
        self.n_actions = self.q_dist.shape[1]
        self.q_values_formatter = q_values_formatter

    @cached_property
    def max_as_distribution(self) -> Variable:
        """The return distributions of the greedy actions, shape ``(B, n_atoms)``."""
        with force_backprop_mode():
            return self.evaluate_actions_as_distribution(self.greedy_actions.array)

    def evaluate_actions_as_distribution(self, actions: Variable | Any) -> Variable:
        """Return the return distributions of integer actions ``(B,)``, shape ``(B, n_atoms)``."""
        return self.q_dist[self.xp.arange(self.q_dist.shape[0]), _indices(actions)]

    @property
    def params(self) -> tuple[Variable, ...]:
        """``(q_dist,)``."""
        return (self.q_dist,)

    def __getitem__(self, i: Any) -> DistributionalDiscreteActionValue:
        """Return the action value of the states ``i`` selects."""
        return DistributionalDiscreteActionValue(
            self.q_dist[i], self.z_values, q_values_formatter=self.q_values_formatter
        )


class QuantileDiscreteActionValue(DiscreteActionValue):
    """Return quantiles for a discrete action space (QR-DQN, IQN).

    ``Q(s, a)`` is the mean of the quantiles. Source: Dabney et al. 2018, "Implicit Quantile
    Networks for Distributional Reinforcement Learning".

    Args:
        quantiles: A Variable of shape ``(B, n_taus, n_actions)``.
        q_values_formatter: Turns the Q-value array into what ``repr`` shows.

    Raises:
        TypeError: ``quantiles`` is neither a Variable nor an array.
        ValueError: ``quantiles`` is not 3-D.
    """

    def __init__(
        self, quantiles: Variable | Any, q_values_formatter: Callable[[Any], Any] = _identity
    ) -> None:
        self.quantiles = _as_variable(
            "QuantileDiscreteActionValue", "quantiles", quantiles, 3, "(B, n_taus, n_actions)"
        )
        self.xp = self.quantiles.xp
        self.n_actions = self.quantiles.shape[2]
        self.q_values_formatter = q_values_formatter

    @cached_property
    def q_values(self) -> Variable:
        """The mean over quantiles, shape ``(B, n_actions)``."""
        with force_backprop_mode():
            return F.mean(self.quantiles, axis=1)

    def evaluate_actions_as_quantiles(self, actions: Variable | Any) -> Variable:
        """Return the quantiles of integer actions ``(B,)``, shape ``(B, n_taus)``."""
        return self.quantiles[self.xp.arange(self.quantiles.shape[0]), :, _indices(actions)]

    @property
    def params(self) -> tuple[Variable, ...]:
        """``(quantiles,)``."""
        return (self.quantiles,)

    def __getitem__(self, i: Any) -> QuantileDiscreteActionValue:
        """Return the action value of the states ``i`` selects."""
        return QuantileDiscreteActionValue(
            self.quantiles[i], q_values_formatter=self.q_values_formatter
        )


class QuadraticActionValue(ActionValue):
    """Q-values of a continuous action space with a quadratic advantage (NAF).

    ``Q(s, a) = V(s) - 1/2 (a - mu(s))^T P(s) (a - mu(s))`` with ``P(s)`` positive definite.
    Source: Gu et al. 2016, "Continuous Deep Q-Learning with Model-based Acceleration", Eq. 3-4.

    Args:
        mu: The maximizing actions ``mu(s)``, a Variable ``(B, n_dim_action)``.
        mat: ``P(s)``, a Variable ``(B, n_dim_action, n_dim_action)``.
        v: ``V(s)``, a Variable ``(B, 1)`` or ``(B,)``.
        min_action: Lower action bound ``(n_dim_action,)`` (not batched), or ``None``.
        max_action: Upper action bound ``(n_dim_action,)``, or ``None``.

    Raises:
        TypeError: ``mu``, ``mat`` or ``v`` is neither a Variable nor an array.
        ValueError: The shapes do not fit together.
    """

    def __init__(
        self,
        mu: Variable | Any,
        mat: Variable | Any,
        v: Variable | Any,
        min_action: Any = None,
        max_action: Any = None,
    ) -> None:
        owner = "QuadraticActionValue"
        self.mu = _as_variable(owner, "mu", mu, 2, "(B, n_dim_action)")
        self.mat = _as_variable(owner, "mat", mat, 3, "(B, n_dim_action, n_dim_action)")
        v = _to_variable(owner, "v", v)
        batch_size, n = self.mu.shape
        if self.mat.shape != (batch_size, n, n):
            raise ValueError(
                f"{owner}: mat must have shape {(batch_size, n, n)} to match mu {self.mu.shape}, "
                f"got {self.mat.shape}"
            )
        if v.size != batch_size:
            raise ValueError(
                f"{owner}: v must have shape ({batch_size}, 1) to match mu {self.mu.shape}, got "
                f"{v.shape}"
            )
        self.v = v
        self.xp = self.mu.xp
        self.min_action = self._bound(min_action)
        self.max_action = self._bound(max_action)
        self.batch_size = batch_size

    def _bound(self, bound: Any) -> Any:
        if bound is None:
            return None
        return self.xp.asarray(bound, dtype=self.mu.dtype)

    @cached_property
    def greedy_actions(self) -> Variable:
        """``mu`` clipped into ``[min_action, max_action]``, shape ``(B, n_dim_action)``."""
        with force_backprop_mode():
            a = self.mu
            if self.min_action is not None:
                low = self.xp.broadcast_to(self.min_action, a.shape)
                a = F.where(a.array > low, a, low)
            if self.max_action is not None:
                high = self.xp.broadcast_to(self.max_action, a.shape)
                a = F.where(a.array < high, a, high)
            return a

    @cached_property
    def max(self) -> Variable:
        """``max_a Q(s, a)`` within the bounds, shape ``(B,)``."""
        with force_backprop_mode():
            if self.min_action is None and self.max_action is None:
                return F.reshape(self.v, (self.batch_size,))
            return self.evaluate_actions(self.greedy_actions)

    def evaluate_actions(self, actions: Variable | Any) -> Variable:
        """Return ``Q(s, a)`` for actions of shape ``(B, n_dim_action)``, shape ``(B,)``.

        Raises:
            ValueError: ``actions`` does not have ``mu``'s shape.
        """
        if actions.shape != self.mu.shape:
            raise ValueError(
                f"QuadraticActionValue.evaluate_actions: actions must have shape "
                f"{self.mu.shape}, got {actions.shape}"
            )
        d = actions - self.mu
        pd = F.reshape(F.matmul(self.mat, F.expand_dims(d, 2)), d.shape)
        advantage = F.sum(d * pd, axis=1) * -0.5
        return advantage + F.reshape(self.v, (self.batch_size,))

    @property
    def params(self) -> tuple[Variable, ...]:
        """``(mu, mat, v)``."""
        return (self.mu, self.mat, self.v)

    def __getitem__(self, i: Any) -> QuadraticActionValue:
        """Return the action value of the states ``i`` selects (``i`` must keep the batch axis).

        Raises:
            ValueError: ``i`` drops the batch axis (an integer index).
        """
        return QuadraticActionValue(
            self.mu[i],
            self.mat[i],
            self.v[i],
            min_action=self.min_action,
            max_action=self.max_action,
        )

    def __repr__(self) -> str:
        return f"QuadraticActionValue greedy_actions:{self.greedy_actions.array} v:{self.v.array}"


class SingleActionValue(ActionValue):
    """An action value that can only evaluate given actions (e.g. a critic ``Q(s, a)``).

    Args:
        evaluator: Maps actions ``(B, ...)`` to their values ``(B,)`` (or ``(B, 1)``).
        maximizer: Returns the greedy actions (e.g. a deterministic policy's actions), or
            ``None`` if there is none.
    """

    def __init__(
        self,
        evaluator: Callable[[Any], Variable],
        maximizer: Callable[[], Any] | None = None,
    ) -> None:
        self.evaluator = evaluator
        self.maximizer = maximizer

    @cached_property
    def greedy_actions(self) -> Any:
        """What ``maximizer()`` returns.

        Raises:
            ValueError: No ``maximizer`` was given.
        """
        if self.maximizer is None:
            raise ValueError("SingleActionValue.greedy_actions: no maximizer was given")
        with force_backprop_mode():
            return self.maximizer()

    @cached_property
    def max(self) -> Variable:
        """The value of the greedy actions (needs ``maximizer``)."""
        with force_backprop_mode():
            return self.evaluator(self.greedy_actions)

    def evaluate_actions(self, actions: Variable | Any) -> Variable:
        """Return ``evaluator(actions)``."""
        return self.evaluator(actions)

    @property
    def params(self) -> tuple[Variable, ...]:
        """``()``: the parameters exist only once an action is evaluated (a warning says so)."""
        warnings.warn(
            "SingleActionValue.params: no parameters until an action is evaluated; draw the "
            "graph of what evaluate_actions returns instead",
            stacklevel=2,
        )
        return ()

    def __getitem__(self, i: Any) -> ActionValue:
        """Indexing is not supported: the evaluator decides the batch.

        Raises:
            NotImplementedError: Always.
        """
        raise NotImplementedError("SingleActionValue: indexing is not supported")

    def __repr__(self) -> str:
        return "SingleActionValue"
