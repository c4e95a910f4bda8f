"""Checking the ``axis`` argument of reductions (sum, mean, max, min)."""

from __future__ import annotations

import numbers
from typing import Any


def normalize_axis(fname: str, axis: Any, ndim: int) -> tuple[int, ...] | None:
    """Return ``axis`` as a sorted tuple of non-negative axes, or ``None`` for all axes.

    Args:
        fname: The user-facing function name, used in error messages.
        axis: ``None``, an int, or a tuple of ints; negative values count from the end.
        ndim: Number of dimensions of the array reduced.

    Raises:
        TypeError: ``axis`` is not ``None``, an int or a tuple of ints.
        ValueError: An axis is out of ``[-ndim, ndim)`` or appears twice.
    """
    if axis is None:
        return None
    axes = axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if not isinstance(a, numbers.Integral) or isinstance(a, bool):
            raise TypeError(
                f"{fname}: axis must be None, an int or a tuple of ints, got {axis!r}"
            )
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{fname}: axis {a} is out of range for an array of ndim {ndim}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{fname}: duplicate value in axis {axis!r}")
    return tuple(sorted(out))


def keepdims_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape of a reduction of ``shape`` over ``axis`` with ``keepdims=True``."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else s for i, s in enumerate(shape))
