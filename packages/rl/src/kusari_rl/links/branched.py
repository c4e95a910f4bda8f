"""Calling several links on the same input (ChainerRL's ``chainerrl.links.Branched``)."""

from __future__ import annotations

from typing import Any

import kusari

__all__ = ["Branched"]


class Branched(kusari.ChainList):
    """Call every child link on the same arguments and return their results as a tuple.

    Used for networks with several heads, e.g. ``Branched(policy_head, value_head)``.

    Args:
        links: The child links, in output order.

    Example:
        >>> heads = Branched(L.Linear(4, 2), L.Linear(4, 1))
        >>> [y.shape for y in heads(numpy.zeros((3, 4), numpy.float32))]
        [(3, 2), (3, 1)]
    """

    def forward(self, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """Return ``(child_0(*args, **kwargs), child_1(*args, **kwargs), ...)``."""
        return tuple([link(*args, **kwargs) for link in self._children])
