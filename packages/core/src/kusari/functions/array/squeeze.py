"""squeeze: remove axes of length one."""

from __future__ import annotations

from typing import Any

import numpy

from kusari.functions.array.reshape import reshape
from kusari.variable import Variable


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, numpy.integer)) and not isinstance(v, bool)


def squeeze(x: Variable | Any, axis: int | tuple[int, ...] | None = None) -> Variable:
    """Remove axes of length 1 from ``x``.

    Args:
        x: Input of any shape.
        axis: An int or a tuple of ints naming axes of length 1 to remove (negative values count
            from the end); ``None`` removes every axis of length 1.

    Returns:
        A Variable with the same elements and the axes removed.

    Raises:
        TypeError: ``axis`` is neither ``None``, an int nor a tuple of ints.
        ValueError: An axis is out of range or its length is not 1.

    Example:
        >>> F.squeeze(numpy.zeros((2, 1, 3, 1), "f"), axis=1).shape
        (2, 3, 1)
    """
    shape = tuple(x.shape)
    ndim = len(shape)
    if axis is None:
        return reshape(x, tuple(s for s in shape if s != 1))
    axes = (axis,) if _is_int(axis) else axis
    if not isinstance(axes, (tuple, list)) or not all(_is_int(a) for a in axes):
        raise TypeError(f"squeeze: axis must be None, an int or a tuple of ints, got {axis!r}")
    drop = set()
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"squeeze: axis {a} is out of range for x.ndim {ndim}")
        a %= ndim
        if shape[a] != 1:
            raise ValueError(
                f"squeeze: cannot remove axis {a} of length {shape[a]} (x.shape {shape}); "
                "only axes of length 1 can be squeezed"
            )
        drop.add(a)
    return reshape(x, tuple(s for i, s in enumerate(shape) if i not in drop))
