"""maximum: elementwise maximum of two arrays."""

from __future__ import annotations

from typing import Any

from kusari.functions.math._select import ElementwiseSelect
from kusari.variable import Variable


class Maximum(ElementwiseSelect):
    """``max(x1, x2)`` elementwise with broadcasting; ties send the gradient to ``x1``."""

    _fname = "maximum"

    @staticmethod
    def _first_wins(x1: Any, x2: Any) -> Any:
        return x1 >= x2


def maximum(x1: Variable | Any, x2: Variable | Any) -> Variable:
    """Elementwise maximum of two arrays.

    The shapes broadcast together (as in Chainer v7). The gradient goes to the larger
    element; where the two are equal it goes to ``x1``.

    Args:
        x1: Float array (float16/32/64) of any shape.
        x2: Array of ``x1``'s dtype, of a shape that broadcasts with ``x1.shape``.

    Returns:
        A Variable of the broadcast shape and ``x1``'s dtype.

    Raises:
        InvalidType: ``x1`` is not a float array, the dtypes differ, or the shapes do not
            broadcast together.

    Example:
        >>> F.maximum(numpy.array([1.0, 4.0], "f"), numpy.array([3.0, 2.0], "f")).array
        array([3., 4.], dtype=float32)
    """
    return Maximum().apply((x1, x2))[0]
