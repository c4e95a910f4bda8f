"""tanh: elementwise hyperbolic tangent."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class Tanh(FunctionNode):
    """Hyperbolic tangent; the gradient reuses the output."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs("tanh", in_types, 1)
        type_check.expect_float("tanh", "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Compute ``tanh(x)``."""
        self.retain_outputs((0,))
        x, = inputs
        return force_array(backend.get_array_module(x).tanh(x)),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy * (1 - y**2)`` as one :class:`TanhGrad` node."""
        y, = self.get_retained_outputs()
        return TanhGrad().apply((y, grad_outputs[0]))[:1]


class TanhGrad(FunctionNode):
    """``gx = gy * (1 - y**2)`` from inputs ``(y, gy)``."""

    def forward(self, inputs: tuple) -> tuple:
        """Compute the gradient of tanh."""
        self.retain_inputs((0, 1))
        y, gy = inputs
        return force_array(gy * (y.dtype.type(1) - y * y)),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Gradients w.r.t. ``y`` (``-2 y gy ggx``) and ``gy``."""
        y, gy = self.get_retained_inputs()
        ggx, = grad_outputs
        out = []
        for i in indexes:
            if i == 0:
                out.append(ggx * gy * y * -2.0)
            else:
                out.append(TanhGrad().apply((y, ggx))[0])
        return tuple(out)


def tanh(x: Variable | Any) -> Variable:
    """Elementwise hyperbolic tangent.

    Args:
        x: Input of any shape, float16/32/64.

    Returns:
        A Variable of the same shape and dtype, with values in ``(-1, 1)``.

    Raises:
        InvalidType: ``x`` is not a float array.
    """
    return Tanh().apply((x,))[0]
