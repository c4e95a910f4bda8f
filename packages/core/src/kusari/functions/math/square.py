"""square: elementwise square."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class Square(FunctionNode):
    """Elementwise ``x ** 2``."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs("square", in_types, 1)
        type_check.expect_float("square", "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Compute ``x * x``."""
        self.retain_inputs((0,))
        x, = inputs
        return force_array(backend.get_array_module(x).square(x)),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``2 x gy``."""
        x, = self.get_retained_inputs()
        return grad_outputs[0] * (x * 2.0),


def square(x: Variable | Any) -> Variable:
    """Elementwise square ``x ** 2``.

    Args:
        x: Input of any shape, float16/32/64.

    Returns:
        A Variable of the same shape and dtype.

    Raises:
        InvalidType: ``x`` is not a float array.
    """
    return Square().apply((x,))[0]
