"""arctanh: elementwise inverse hyperbolic tangent."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class Arctanh(FunctionNode):
    """Elementwise ``arctanh(x)``; the gradient is ``gy / (1 - x**2)``."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs("arctanh", in_types, 1)
        type_check.expect_float("arctanh", "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Compute ``arctanh(x)``."""
        self.retain_inputs((0,))
        x, = inputs
        return force_array(backend.get_array_module(x).arctanh(x)),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy / (1 - x**2)``."""
        x, = self.get_retained_inputs()
        return grad_outputs[0] / (1.0 - x * x),


def arctanh(x: Variable | Any) -> Variable:
    """Elementwise inverse hyperbolic tangent ``arctanh(x) = log((1 + x) / (1 - x)) / 2``.

    Args:
        x: Input of any shape, float16/32/64, with elements in ``(-1, 1)`` (``+-1`` give
            ``+-inf``, elements outside give NaN).

    Returns:
        A Variable of ``x``'s shape and dtype.

    Raises:
        InvalidType: ``x`` is not a float array.
    """
    return Arctanh().apply((x,))[0]
