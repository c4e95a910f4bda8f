"""mean_squared_error: mean of the squared differences of two arrays."""

from __future__ import annotations

from typing import Any

import numpy

from kusari.function_node import FunctionNode
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class MeanSquaredError(FunctionNode):
    """``sum((x0 - x1)**2) / x0.size``."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for two float inputs of one dtype and one shape."""
        type_check.expect_n_inputs("mean_squared_error", in_types, 2)
        x0, x1 = in_types
        type_check.expect_float("mean_squared_error", "x0", x0)
        type_check.expect_same_dtype("mean_squared_error", ("x0", "x1"), (x0, x1))
        if tuple(x0.shape) != tuple(x1.shape):
            raise type_check.InvalidType(
                f"mean_squared_error: x0.shape {tuple(x0.shape)} != x1.shape {tuple(x1.shape)}"
            )

    def forward(self, inputs: tuple) -> tuple:
        """Compute the mean squared difference (float16 accumulates in float32)."""
        self.retain_inputs((0, 1))
        x0, x1 = inputs
        diff = (x0 - x1).ravel()
        if diff.dtype == numpy.float16:
            diff = diff.astype(numpy.float32)
        return force_array(diff.dot(diff) / diff.dtype.type(max(diff.size, 1)), x0.dtype),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gx0 = 2 (x0 - x1) gy / n`` and ``gx1 = -gx0``."""
        x0, x1 = self.get_retained_inputs()
        gx0 = (x0 - x1) * (grad_outputs[0] * (2.0 / max(x0.size, 1)))
        return tuple(gx0 if i == 0 else -gx0 for i in indexes)


def mean_squared_error(x0: Variable | Any, x1: Variable | Any) -> Variable:
    """Mean squared error ``sum((x0 - x1)**2) / x0.size``.

    Args:
        x0: Input of any shape, float16/32/64.
        x1: Input of ``x0``'s shape and dtype.

    Returns:
        A 0-d Variable of ``x0``'s dtype.

    Raises:
        InvalidType: The inputs are not float arrays, or their dtypes or shapes differ.
    """
    return MeanSquaredError().apply((x0, x1))[0]
