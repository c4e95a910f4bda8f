"""log_softmax: logarithm of the softmax along one axis, via log-sum-exp."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.activation.softmax import _check_axis, _check_axis_range
from kusari.functions.math.exponential import exp
from kusari.functions.math.sum import sum as _sum
from kusari.utils import type_check
from kusari.variable import Variable


def _log_softmax(x: Any, axis: int) -> Any:
    """``x - logsumexp(x, axis)`` of an array; float16 is computed in float32 and cast back."""
    xp = backend.get_array_module(x)
    xc = x.astype(numpy.float32) if x.dtype == numpy.float16 else x
    y = xc - xc.max(axis=axis, keepdims=True)
    y -= xp.log(xp.exp(y).sum(axis=axis, keepdims=True))
    return y.astype(x.dtype, copy=False)


class LogSoftmax(FunctionNode):
    """``x - log(sum(exp(x), axis))``, with the maximum subtracted inside the sum."""

    def __init__(self, axis: int = 1) -> None:
        self.axis = axis

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input that has ``axis``."""
        type_check.expect_n_inputs("log_softmax", in_types, 1)
        type_check.expect_float("log_softmax", "x", in_types[0])
        _check_axis_range("log_softmax", in_types[0], self.axis)

    def forward(self, inputs: tuple) -> tuple:
        """Compute the log-softmax."""
        self.retain_outputs((0,))
        return _log_softmax(inputs[0], self.axis),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gy - exp(y) * sum(gy, axis)`` as one :class:`LogSoftmaxGrad` node."""
        y, = self.get_retained_outputs()
        return LogSoftmaxGrad(self.axis).apply((y, grad_outputs[0]))[:1]


class LogSoftmaxGrad(FunctionNode):
    """``gx = gy - exp(y) * sum(gy, axis)`` from inputs ``(y, gy)``."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, inputs: tuple) -> tuple:
        """Compute the gradient of the log-softmax."""
        self.retain_inputs((0, 1))
        y, gy = inputs
        xp = backend.get_array_module(y)
        gx = xp.exp(y)
        gx *= gy.sum(axis=self.axis, keepdims=True)
        xp.subtract(gy, gx, out=gx)
        return gx,

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Gradients w.r.t. ``y`` and ``gy`` of ``<ggx, gx>``.

        With ``e = exp(y)``: ``d/dy = -ggx * e * sum(gy)`` and
        ``d/dgy = ggx - sum(ggx * e)`` (sums over ``axis``).
        """
        y, gy = self.get_retained_inputs()
        ggx, = grad_outputs
        e = exp(y)
        out = []
        for i in indexes:
            if i == 0:
                out.append(-(ggx * e) * _sum(gy, self.axis, keepdims=True))
            else:
                out.append(ggx - _sum(ggx * e, self.axis, keepdims=True))
        return tuple(out)


def log_softmax(x: Variable | Any, axis: int = 1) -> Variable:
    """Logarithm of the softmax along ``axis``: ``x - log(sum(exp(x), axis))``.

    Computed as ``x - m - log(sum(exp(x - m)))`` with ``m`` the maximum along ``axis``
    (log-sum-exp), so it stays finite where ``log(softmax(x))`` would underflow; float16 input
    is computed in float32 and the result cast back.

    Args:
        x: Input of shape ``(B, C, ...)`` (any shape with ``axis``), float16/32/64.
        axis: The axis to normalize over (``1``: the channel axis ``C``).

    Returns:
        A Variable of ``x``'s shape and dtype.

    Raises:
        TypeError: ``axis`` is not an int.
        InvalidType: ``x`` is not a float array or has no axis ``axis``.
    """
    _check_axis("log_softmax", axis)
    return LogSoftmax(int(axis)).apply((x,))[0]
