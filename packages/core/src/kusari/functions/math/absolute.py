"""absolute: elementwise absolute value (the function form of ``abs(variable)``)."""

from __future__ import annotations

from typing import Any

from kusari.functions.math.basic_math import Absolute
from kusari.utils import type_check
from kusari.variable import Variable


def absolute(x: Variable | Any) -> Variable:
    """Elementwise absolute value ``|x|``, the same operation as ``abs(x)`` on a Variable.

    The gradient is ``sign(x) * gy``, zero at ``x == 0``.

    Args:
        x: Input of any shape, float16/32/64.

    Returns:
        A Variable of ``x``'s shape and dtype.

    Raises:
        InvalidType: ``x`` is not a float array.

    Example:
        >>> F.absolute(numpy.array([-1.5, 2.0], "f")).array
        array([1.5, 2. ], dtype=float32)
    """
    type_check.expect_float("absolute", "x", x)
    return Absolute().apply((x,))[0]
