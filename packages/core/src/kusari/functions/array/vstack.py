"""vstack: join arrays vertically (row-wise), like ``numpy.vstack``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kusari.functions.array.concat import Concat, _as_inputs
from kusari.functions.array.reshape import reshape
from kusari.variable import Variable


def vstack(xs: Sequence[Variable | Any]) -> Variable:
    """Concatenate along the first axis; 1-D inputs ``(N,)`` become rows ``(1, N)`` first.

    Args:
        xs: A list or tuple of Variables or arrays of one rank and dtype: ``(N,)`` rows (0-D
            inputs become ``(1, 1)``), or ``(M_i, s_2, ...)`` pieces equal outside axis 0.

    Returns:
        A Variable of shape ``(len(xs), N)`` or ``(sum M_i, s_2, ...)``.

    Raises:
        TypeError: ``xs`` is a single Variable or array rather than a sequence of them.
        InvalidType: ``xs`` is empty, or ranks, dtypes or the other dimensions differ.

    Example:
        >>> F.vstack([numpy.zeros(3, "f"), numpy.ones(3, "f")]).shape
        (2, 3)
    """
    xs = tuple(reshape(x, (1, -1)) if x.ndim <= 1 else x for x in _as_inputs("vstack", xs))
    return Concat(0, "vstack").apply(xs)[0]
