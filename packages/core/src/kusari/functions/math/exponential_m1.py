"""expm1: elementwise ``exp(x) - 1``, accurate for small ``x``."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class Expm1(FunctionNode):
    """Elementwise ``exp(x) - 1``; the gradient reuses the output: ``gy * (y + 1)``."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs("expm1", in_types, 1)
        type_check.expect_float("expm1", "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Compute ``expm1(x)``."""
        self.retain_outputs((0,))
        x, = inputs
        return force_array(backend.get_array_module(x).expm1(x)),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy * (y + 1)``."""
        y, = self.get_retained_outputs()
        return grad_outputs[0] * (y + 1.0),


def expm1(x: Variable | Any) -> Variable:
    """Elementwise ``exp(x) - 1``, without the cancellation of the naive form near ``x = 0``.

    Args:
        x: Input of any shape, float16/32/64.

    Returns:
        A Variable of ``x``'s shape and dtype.

    Raises:
        InvalidType: ``x`` is not a float array.
    """
    return Expm1().apply((x,))[0]
