"""log1p: elementwise ``log(1 + x)``, accurate for small ``x``."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class Log1p(FunctionNode):
    """Elementwise ``log(1 + x)``; the gradient is ``gy / (1 + x)``."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs("log1p", in_types, 1)
        type_check.expect_float("log1p", "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Compute ``log1p(x)``."""
        self.retain_inputs((0,))
        x, = inputs
        return force_array(backend.get_array_module(x).log1p(x)),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy / (1 + x)``."""
        x, = self.get_retained_inputs()
        return grad_outputs[0] / (x + 1.0),


def log1p(x: Variable | Any) -> Variable:
    """Elementwise ``log(1 + x)``, without the rounding of ``1 + x`` near ``x = 0``.

    Args:
        x: Input of any shape, float16/32/64, with elements greater than -1.

    Returns:
        A Variable of ``x``'s shape and dtype.

    Raises:
        InvalidType: ``x`` is not a float array.
    """
    return Log1p().apply((x,))[0]
