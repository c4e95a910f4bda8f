"""sqrt, rsqrt: elementwise square root and its reciprocal."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class Sqrt(FunctionNode):
    """Elementwise ``sqrt(x)``; the gradient reuses the output."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs("sqrt", in_types, 1)
        type_check.expect_float("sqrt", "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Compute ``sqrt(x)``."""
        self.retain_outputs((0,))
        x, = inputs
        return force_array(backend.get_array_module(x).sqrt(x)),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy / (2 y)``."""
        y, = self.get_retained_outputs()
        return grad_outputs[0] / (y * 2.0),


def sqrt(x: Variable | Any) -> Variable:
    """Elementwise square root.

    Args:
        x: Input of any shape, float16/32/64, non-negative.

    Returns:
        A Variable of the same shape and dtype.

    Raises:
        InvalidType: ``x`` is not a float array.
    """
    return Sqrt().apply((x,))[0]


def rsqrt(x: Variable | Any) -> Variable:
    """Elementwise reciprocal square root ``1 / sqrt(x)``.

    Args:
        x: Input of any shape, float16/32/64, positive.

    Returns:
        A Variable of the same shape and dtype.

    Raises:
        InvalidType: ``x`` is not a float array.
    """
    return 1.0 / sqrt(x)
