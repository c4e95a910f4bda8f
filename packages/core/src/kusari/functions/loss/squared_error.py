"""squared_error: elementwise squared error ``(x0 - x1) ** 2`` (not halved, not reduced)."""

from __future__ import annotations

from typing import Any

from kusari.functions.math.squared_difference import SquaredDifference
from kusari.variable import Variable


def squared_error(x0: Variable | Any, x1: Variable | Any) -> Variable:
    """Elementwise squared error ``(x0 - x1) ** 2``, without the factor 1/2 and unreduced.

    The same operation as :func:`~kusari.functions.squared_difference`; see
    :func:`~kusari.functions.mean_squared_error` for the mean.

    Args:
        x0: Input of any shape, float16/32/64.
        x1: Input of ``x0``'s shape and dtype.

    Returns:
        A Variable of ``x0``'s shape and dtype.

    Raises:
        InvalidType: The inputs are not float arrays, or their dtypes or shapes differ.
    """
    return SquaredDifference("squared_error", ("x0", "x1")).apply((x0, x1))[0]
