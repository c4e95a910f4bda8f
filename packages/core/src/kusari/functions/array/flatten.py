"""flatten: reshape an array to one dimension."""

from __future__ import annotations

from typing import Any

from kusari.functions.array.reshape import reshape
from kusari.variable import Variable


def flatten(x: Variable | Any) -> Variable:
    """Flatten ``x`` to one dimension, in C (row-major) order.

    Args:
        x: Input of any shape ``(s_1, ..., s_N)``.

    Returns:
        A Variable of shape ``(s_1 * ... * s_N,)``.

    Example:
        >>> F.flatten(numpy.zeros((2, 3), "f")).shape
        (6,)
    """
    return reshape(x, (x.size,))
