"""The V-function interface (ChainerRL's ``chainerrl.v_function``).

Concrete V-functions are links that also derive from :class:`VFunction`; they live in
:mod:`kusari_rl.v_functions`.
"""

from __future__ import annotations

import abc
from typing import Any

__all__ = ["VFunction"]


class VFunction(abc.ABC):
    """A state-value function ``V(s)``."""

    @abc.abstractmethod
    def __call__(self, x: Any) -> Any:
        """Evaluate the V-function.

        Args:
            x: A batch of states ``(B, ...)``.

        Returns:
            A Variable of values ``(B, 1)``.
        """
