"""exp, log, log2, log10: elementwise exponential and logarithms."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class Exp(FunctionNode):
    """Elementwise ``exp(x)``; the gradient reuses the output."""

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs("exp", in_types, 1)
        type_check.expect_float("exp", "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Compute ``exp(x)``."""
        self.retain_outputs((0,))
        x, = inputs
        return force_array(backend.get_array_module(x).exp(x)),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy * exp(x)``."""
        y, = self.get_retained_outputs()
        return grad_outputs[0] * y,


class Log(FunctionNode):
    """Elementwise natural logarithm ``log(x)``, optionally divided by ``log(base)``."""

    def __init__(self, name: str = "log", base: float | None = None) -> None:
        self._name = name
        self._scale = None if base is None else 1.0 / numpy.log(base)

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs(self._name, in_types, 1)
        type_check.expect_float(self._name, "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Compute the logarithm."""
        self.retain_inputs((0,))
        x, = inputs
        y = backend.get_array_module(x).log(x)
        if self._scale is not None:
            y = y * x.dtype.type(self._scale)
        return force_array(y),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy / x`` (times ``1 / log(base)``)."""
        x, = self.get_retained_inputs()
        gx = grad_outputs[0] / x
        if self._scale is not None:
            gx = gx * x.dtype.type(self._scale)
        return gx,


def exp(x: Variable | Any) -> Variable:
    """Elementwise exponential ``e**x``.

    Args:
        x: Input of any shape, float16/32/64.

    Returns:
        A Variable of the same shape and dtype.

    Raises:
        InvalidType: ``x`` is not a float array.
    """
    return Exp().apply((x,))[0]


def log(x: Variable | Any) -> Variable:
    """Elementwise natural logarithm.

    Args:
        x: Input of any shape, float16/32/64, positive.

    Returns:
        A Variable of the same shape and dtype.

    Raises:
        InvalidType: ``x`` is not a float array.
    """
    return Log().apply((x,))[0]


def log2(x: Variable | Any) -> Variable:
    """Elementwise base-2 logarithm (see :func:`log`)."""
    return Log("log2", 2.0).apply((x,))[0]


def log10(x: Variable | Any) -> Variable:
    """Elementwise base-10 logarithm (see :func:`log`)."""
    return Log("log10", 10.0).apply((x,))[0]
