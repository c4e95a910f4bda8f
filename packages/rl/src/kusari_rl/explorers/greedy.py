"""No exploration: always the greedy action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kusari_rl.explorer import Explorer


class Greedy(Explorer):
    """Always take the greedy action (no exploration)."""

    def select_action(
        self, t: int, greedy_action_func: Callable[[], Any], action_value: Any = None
    ) -> Any:
        """Return ``greedy_action_func()``."""
        return greedy_action_func()

    def __repr__(self) -> str:
        return "Greedy()"
