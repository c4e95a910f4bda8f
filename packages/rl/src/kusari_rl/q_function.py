"""Q-function interfaces (ChainerRL's ``chainerrl.q_function``).

Concrete Q-functions are links that also derive from one of these classes; they live in
:mod:`kusari_rl.q_functions`.
"""

from __future__ import annotations

import abc
from typing import Any

__all__ = ["StateActionQFunction", "StateQFunction"]


class StateQFunction(abc.ABC):
    """A Q-function of the state alone: it returns the values of every action at once."""

    @abc.abstractmethod
    def __call__(self, x: Any) -> Any:
        """Evaluate the Q-function.

        Args:
            x: A batch of states ``(B, ...)``.

        Returns:
            An :class:`~kusari_rl.action_value.ActionValue` for the batch.
        """


class StateActionQFunction(abc.ABC):
    """A Q-function of a state and an action: it returns one value per pair."""

    @abc.abstractmethod
    def __call__(self, x: Any, a: Any) -> Any:
        """Evaluate the Q-function.

        Args:
            x: A batch of states ``(B, ...)``.
            a: A batch of actions ``(B, ...)``.

        Returns:
            A Variable of Q-values ``(B, 1)``.
        """
