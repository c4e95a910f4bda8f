"""Epsilon-greedy exploration with constant, linearly or exponentially decaying epsilon.

Mnih et al. 2015 (DQN) decay epsilon linearly from 1.0 to 0.1 over the first million frames.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy

from kusari_rl.explorer import Explorer

_LOGGER = logging.getLogger(__name__)


def _check_epsilon(value: float, name: str, what: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{what}: {name} must be in [0, 1], got {value}")
    return value


def _check_callable(func: Any, what: str) -> Callable[[], Any]:
    if not callable(func):
        raise TypeError(
            f"{what}: random_action_func must be a function of no argument, got {func!r}"
        )
    return func


def select_action_epsilon_greedily(
    epsilon: float, random_action_func: Callable[[], Any], greedy_action_func: Callable[[], Any]
) -> tuple[Any, bool]:
    """With probability ``epsilon`` take a random action, else the greedy one.

    Args:
        epsilon: The probability of a random action.
        random_action_func: Called with no argument, returns a random action.
        greedy_action_func: Called with no argument, returns the greedy action.

    Returns:
        ``(action, greedy)``: the action and whether it is the greedy one.
    """
    if numpy.random.rand() < epsilon:
        return random_action_func(), False
    return greedy_action_func(), True


class _EpsilonGreedy(Explorer):
    def __init__(self, random_action_func: Callable[[], Any], logger: logging.Logger) -> None:
        self.random_action_func = _check_callable(random_action_func, type(self).__name__)
        self.logger = logger

    def _select(self, t: int, epsilon: float, greedy_action_func: Callable[[], Any]) -> Any:
        action, greedy = select_action_epsilon_greedily(
            epsilon, self.random_action_func, greedy_action_func
        )
        self.logger.debug("t:%s a:%s %s", t, action, "greedy" if greedy else "non-greedy")
        return action

    def __repr__(self) -> str:
        return f"{type(self).__name__}(epsilon={self.epsilon})"


class ConstantEpsilonGreedy(_EpsilonGreedy):
    """Epsilon-greedy with a fixed epsilon.

    Args:
        epsilon: The probability of a random action, in ``[0, 1]``.
        random_action_func: Called with no argument, returns a random action (e.g.
            ``env.action_space.sample``).
        logger: Receives a debug line per action.

    Raises:
        ValueError: If ``epsilon`` is outside ``[0, 1]``.
        TypeError: If ``random_action_func`` is not callable.
    """

    def __init__(
        self,
        epsilon: float,
        random_action_func: Callable[[], Any],
        logger: logging.Logger = _LOGGER,
    ) -> None:
        super().__init__(random_action_func, logger)
        self.epsilon = _check_epsilon(epsilon, "epsilon", "ConstantEpsilonGreedy")

    def select_action(
        self, t: int, greedy_action_func: Callable[[], Any], action_value: Any = None
    ) -> Any:
        """Return a random action with probability ``epsilon``, else the greedy action."""
        return self._select(t, self.epsilon, greedy_action_func)


class _DecayingEpsilonGreedy(_EpsilonGreedy):
    """Epsilon-greedy whose epsilon, set by :meth:`compute_epsilon`, changes at each step."""

    def __init__(
        self,
        start_epsilon: float,
        end_epsilon: float,
        random_action_func: Callable[[], Any],
        logger: logging.Logger,
    ) -> None:
        super().__init__(random_action_func, logger)
        self.start_epsilon = _check_epsilon(start_epsilon, "start_epsilon", type(self).__name__)
        self.end_epsilon = _check_epsilon(end_epsilon, "end_epsilon", type(self).__name__)
        self.epsilon = start_epsilon

    def compute_epsilon(self, t: int) -> float:
        """Return epsilon at step ``t``."""
        raise NotImplementedError

    def select_action(
        self, t: int, greedy_action_func: Callable[[], Any], action_value: Any = None
    ) -> Any:
        """Update ``epsilon`` for step ``t``, then act epsilon-greedily."""
        self.epsilon = self.compute_epsilon(t)
        return self._select(t, self.epsilon, greedy_action_func)


class LinearDecayEpsilonGreedy(_DecayingEpsilonGreedy):
    """Epsilon-greedy with epsilon going linearly from ``start_epsilon`` to ``end_epsilon``.

    ``epsilon(t) = start + (end - start) * t / decay_steps`` for ``t < decay_steps``, then
    ``end_epsilon``.

    Args:
        start_epsilon: Epsilon at ``t = 0``, in ``[0, 1]``.
        end_epsilon: Epsilon from ``t = decay_steps`` on, in ``[0, 1]``.
        decay_steps: The number of steps of the decay (``>= 0``).
        random_action_func: Called with no argument, returns a random action.
        logger: Receives a debug line per action.

    Raises:
        ValueError: If an epsilon is outside ``[0, 1]`` or ``decay_steps`` is negative.
        TypeError: If ``random_action_func`` is not callable.
    """

    def __init__(
        self,
        start_epsilon: float,
        end_epsilon: float,
        decay_steps: int,
        random_action_func: Callable[[], Any],
        logger: logging.Logger = _LOGGER,
    ) -> None:
        super().__init__(start_epsilon, end_epsilon, random_action_func, logger)
        if decay_steps < 0:
            raise ValueError(
                f"LinearDecayEpsilonGreedy: decay_steps must be >= 0, got {decay_steps}"
            )
        self.decay_steps = decay_steps

    def compute_epsilon(self, t: int) -> float:
        """Return epsilon at step ``t``."""
        if t >= self.decay_steps:
            return self.end_epsilon
        return self.start_epsilon + (self.end_epsilon - self.start_epsilon) * (t / self.decay_steps)


class ExponentialDecayEpsilonGreedy(_DecayingEpsilonGreedy):
    """Epsilon-greedy with ``epsilon(t) = max(start_epsilon * decay**t, end_epsilon)``.

    Args:
        start_epsilon: Epsilon at ``t = 0``, in ``[0, 1]``.
        end_epsilon: The floor of epsilon, in ``[0, 1]``.
        decay: The factor per step, in ``(0, 1]``.
        random_action_func: Called with no argument, returns a random action.
        logger: Receives a debug line per action.

    Raises:
        ValueError: If an epsilon is outside ``[0, 1]`` or ``decay`` outside ``(0, 1]``.
        TypeError: If ``random_action_func`` is not callable.
    """

    def __init__(
        self,
        start_epsilon: float,
        end_epsilon: float,
        decay: float,
        random_action_func: Callable[[], Any],
        logger: logging.Logger = _LOGGER,
    ) -> None:
        super().__init__(start_epsilon, end_epsilon, random_action_func, logger)
        if not 0.0 < decay <= 1.0:
            raise ValueError(f"ExponentialDecayEpsilonGreedy: decay must be in (0, 1], got {decay}")
        self.decay = decay

    def compute_epsilon(self, t: int) -> float:
        """Return epsilon at step ``t``."""
        return max(self.start_epsilon * self.decay**t, self.end_epsilon)
