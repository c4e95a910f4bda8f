"""The explorer interface (ChainerRL's ``chainerrl.explorer``)."""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

__all__ = ["Explorer"]


class Explorer(abc.ABC):
    """Turns the greedy action of an agent into the action it takes while training."""

    @abc.abstractmethod
    def select_action(
        self, t: int, greedy_action_func: Callable[[], Any], action_value: Any = None
    ) -> Any:
        """Pick an action.

        Args:
            t: The current time step (drives decaying schedules).
            greedy_action_func: Called with no argument, returns the greedy action; explorers
                call it only when they need it.
            action_value: The agent's :class:`kusari_rl.action_value.ActionValue` for the
                current state, for explorers that use values (e.g. Boltzmann).

        Returns:
            The action to take.
        """
