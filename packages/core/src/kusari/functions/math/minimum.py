"""minimum: elementwise minimum of two arrays."""

from __future__ import annotations

from typing import Any

from kusari.functions.math._select import ElementwiseSelect
from kusari.variable import Variable


class Minimum(ElementwiseSelect):
    """``min(x1, x2)`` elementwise with broadcasting; ties send the gradient to ``x1``."""

    _fname = "minimum"

    @staticmethod
    def _first_wins(x1: Any, x2: Any) -> Any:
        return x1 <= x2


def minimum(x1: Variable | Any, x2: Variable | Any) -> Variable:
    """Elementwise minimum of two arrays: :func:`~kusari.functions.maximum` with ``min``.

    Broadcasting, dtypes and errors are as in :func:`~kusari.functions.maximum`; the gradient
    goes to the smaller element, and to ``x1`` where the two are equal.

    Args:
        x1: Float array (float16/32/64) of any shape.
        x2: Array of ``x1``'s dtype, of a shape that broadcasts with ``x1.shape``.

    Returns:
        A Variable of the broadcast shape and ``x1``'s dtype.

    Example:
        >>> F.minimum(numpy.array([1.0, 4.0], "f"), numpy.array([3.0, 2.0], "f")).array
        array([1., 2.], dtype=float32)
    """
    return Minimum().apply((x1, x2))[0]
