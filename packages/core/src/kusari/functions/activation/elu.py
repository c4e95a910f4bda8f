"""elu: exponential linear unit."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class ELU(FunctionNode):
    """``max(x, 0) + alpha * (exp(min(x, 0)) - 1)``: ``x`` above zero, ELU's curve below."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs("elu", in_types, 1)
        type_check.expect_float("elu", "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Compute the ELU."""
        self.retain_inputs((0,))
        x, = inputs
        xp = backend.get_array_module(x)
        zero = x.dtype.type(0)
        y = xp.expm1(xp.minimum(x, zero))
        y *= x.dtype.type(self.alpha)
        y += xp.maximum(x, zero)
        return force_array(y),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy`` where ``x >= 0``, ``gy * alpha * exp(x)`` elsewhere (one node)."""
        x, = self.get_retained_inputs()
        return ELUGrad(self.alpha).apply((x, grad_outputs[0]))[:1]


class ELUGrad(FunctionNode):
    """``gx = gy * where(x >= 0, 1, alpha * exp(x))`` from inputs ``(x, gy)``."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha

    def forward(self, inputs: tuple) -> tuple:
        """Compute the gradient of ELU."""
        self.retain_inputs((0, 1))
        x, gy = inputs
        xp = backend.get_array_module(x)
        slope = xp.exp(xp.minimum(x, x.dtype.type(0)))
        slope *= (x < 0) * x.dtype.type(self.alpha)
        slope += x >= 0
        return force_array(gy * slope),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Gradients w.r.t. ``x`` (``ggx * gy * alpha * exp(x)`` below zero) and ``gy``."""
        x, gy = self.get_retained_inputs()
        ggx, = grad_outputs
        out = []
        for i in indexes:
            if i == 0:
                neg = (x.array < 0).astype(x.dtype)
                out.append(ELUGrad(self.alpha).apply((x, ggx * gy))[0] * neg)
            else:
                out.append(ELUGrad(self.alpha).apply((x, ggx))[0])
        return tuple(out)


def elu(x: Variable | Any, alpha: float = 1.0) -> Variable:
    """Exponential linear unit: ``x`` for ``x >= 0``, ``alpha * (exp(x) - 1)`` otherwise.

    From Clevert et al., 2015, "Fast and Accurate Deep Network Learning by Exponential Linear
    Units (ELUs)".

    Args:
        x: Input of any shape, float16/32/64.
        alpha: Scale of the negative part.

    Returns:
        A Variable of the same shape and dtype.

    Raises:
        InvalidType: ``x`` is not a float array.
    """
    return ELU(alpha).apply((x,))[0]
