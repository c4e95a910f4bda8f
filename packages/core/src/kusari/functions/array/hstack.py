"""hstack: join arrays horizontally (column-wise), like ``numpy.hstack``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kusari.functions.array.concat import Concat, _as_inputs
from kusari.functions.array.reshape import reshape
from kusari.variable import Variable


def hstack(xs: Sequence[Variable | Any]) -> Variable:
    """Concatenate along the second axis, or the first for 1-D inputs (0-D ones become 1-D).

    Args:
        xs: A list or tuple of Variables or arrays of one rank and dtype: ``(N_i,)`` pieces, or
            ``(s_1, N_i, s_3, ...)`` pieces equal outside axis 1.

    Returns:
        A Variable of shape ``(sum N_i,)`` or ``(s_1, sum N_i, s_3, ...)``.

    Raises:
        TypeError: ``xs`` is a single Variable or array rather than a sequence of them.
        InvalidType: ``xs`` is empty, or ranks, dtypes or the other dimensions differ.

    Example:
        >>> F.hstack([numpy.zeros((2, 1), "f"), numpy.zeros((2, 3), "f")]).shape
        (2, 4)
    """
    xs = tuple(reshape(x, (1,)) if x.ndim == 0 else x for x in _as_inputs("hstack", xs))
    axis = 0 if xs and xs[0].ndim == 1 else 1
    return Concat(axis, "hstack").apply(xs)[0]
