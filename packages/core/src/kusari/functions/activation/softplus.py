"""softplus: smooth approximation of ReLU, ``log(1 + exp(beta * x)) / beta``."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.activation.sigmoid import sigmoid
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class Softplus(FunctionNode):
    """``log(1 + exp(beta * x)) / beta``; the gradient is ``sigmoid(beta * x)``."""

    def __init__(self, beta: float = 1.0) -> None:
        self.beta = beta

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs("softplus", in_types, 1)
        type_check.expect_float("softplus", "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Compute ``(max(bx, 0) + log1p(exp(-|bx|))) / beta`` with ``bx = beta * x``."""
        self.retain_inputs((0,))
        x, = inputs
        xp = backend.get_array_module(x)
        bx = x * x.dtype.type(self.beta)
        y = xp.log1p(xp.exp(-abs(bx)))
        y += xp.maximum(bx, x.dtype.type(0))
        y *= x.dtype.type(1.0 / self.beta)
        return force_array(y),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy * sigmoid(beta * x)``."""
        x, = self.get_retained_inputs()
        return grad_outputs[0] * sigmoid(x * self.beta),


def softplus(x: Variable | Any, beta: float = 1.0) -> Variable:
    """Softplus ``f(x) = log(1 + exp(beta * x)) / beta`` (Dugas et al., 2001).

    Computed without overflow as ``(max(beta x, 0) + log1p(exp(-|beta x|))) / beta``.

    Args:
        x: Input of any shape, float16/32/64.
        beta: Sharpness; larger values approach ``max(x, 0)``.

    Returns:
        A Variable of the same shape and dtype.

    Raises:
        ValueError: ``beta`` is zero.
        InvalidType: ``x`` is not a float array.
    """
    if beta == 0:
        raise ValueError("softplus: beta must be nonzero, got 0")
    return Softplus(beta).apply((x,))[0]
