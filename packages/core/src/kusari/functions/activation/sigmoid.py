"""sigmoid: logistic function ``1 / (1 + exp(-x))``."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class Sigmoid(FunctionNode):
    """Logistic sigmoid; the gradient reuses the output."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs("sigmoid", in_types, 1)
        type_check.expect_float("sigmoid", "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Compute ``0.5 * tanh(x / 2) + 0.5`` (no overflow for large ``|x|``)."""
        self.retain_outputs((0,))
        x, = inputs
        xp = backend.get_array_module(x)
        half = x.dtype.type(0.5)
        y = xp.tanh(x * half)
        y *= half
        y += half
        return force_array(y),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy * y * (1 - y)`` as one :class:`SigmoidGrad` node."""
        y, = self.get_retained_outputs()
        return SigmoidGrad().apply((y, grad_outputs[0]))[:1]


class SigmoidGrad(FunctionNode):
    """``gx = gy * y * (1 - y)`` from inputs ``(y, gy)``."""

    def forward(self, inputs: tuple) -> tuple:
        """Compute the gradient of the sigmoid."""
        self.retain_inputs((0, 1))
        y, gy = inputs
        return force_array(gy * y * (y.dtype.type(1) - y)),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Gradients w.r.t. ``y`` (``ggx * gy * (1 - 2 y)``) and ``gy``."""
        y, gy = self.get_retained_inputs()
        ggx, = grad_outputs
        out = []
        for i in indexes:
            if i == 0:
                out.append(ggx * gy * (1.0 - 2.0 * y))
            else:
                out.append(SigmoidGrad().apply((y, ggx))[0])
        return tuple(out)


def sigmoid(x: Variable | Any) -> Variable:
    """Elementwise logistic sigmoid ``1 / (1 + exp(-x))``.

    Args:
        x: Input of any shape, float16/32/64.

    Returns:
        A Variable of the same shape and dtype, with values in ``(0, 1)``.

    Raises:
        InvalidType: ``x`` is not a float array.
    """
    return Sigmoid().apply((x,))[0]
