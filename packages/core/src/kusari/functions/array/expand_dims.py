"""expand_dims: insert an axis of length one."""

from __future__ import annotations

from typing import Any

import numpy

from kusari.functions.array.reshape import reshape
from kusari.variable import Variable


def expand_dims(x: Variable | Any, axis: int) -> Variable:
    """Insert an axis of length 1 into ``x`` at position ``axis``.

    Args:
        x: Input of shape ``(s_1, ..., s_N)``.
        axis: Position of the new axis in the output, in ``[-N - 1, N]``; negative values count
            from the end (``-1`` appends).

    Returns:
        A Variable of rank ``N + 1`` with ``shape[axis] == 1``.

    Raises:
        TypeError: ``axis`` is not an int.
        ValueError: ``axis`` is out of range.

    Example:
        >>> F.expand_dims(numpy.zeros((2, 3), "f"), 1).shape
        (2, 1, 3)
    """
    if not isinstance(axis, (int, numpy.integer)) or isinstance(axis, bool):
        raise TypeError(f"expand_dims: axis must be an int, got {type(axis).__name__}")
    ndim = x.ndim
    if not -ndim - 1 <= axis <= ndim:
        raise ValueError(
            f"expand_dims: axis {axis} is out of range [{-ndim - 1}, {ndim}] for x.ndim {ndim}"
        )
    if axis < 0:
        axis += ndim + 1
    shape = tuple(x.shape)
    return reshape(x, shape[:axis] + (1,) + shape[axis:])
