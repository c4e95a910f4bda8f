"""softmax: normalized exponentials along one axis."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.math.sum import sum as _sum
from kusari.utils import type_check
from kusari.variable import Variable


def _check_axis(fname: str, axis: Any) -> None:
    if not isinstance(axis, (int, numpy.integer)) or isinstance(axis, bool):
        raise TypeError(f"{fname}: axis must be an int, got {axis!r}")


def _check_axis_range(fname: str, x: Any, axis: int) -> None:
    if not -x.ndim <= axis < x.ndim:
        raise type_check.InvalidType(
            f"{fname}: axis {axis} is out of range for x of shape {tuple(x.shape)}"
        )


def _softmax(x: Any, axis: int) -> Any:
    """Softmax of an array; float16 is computed in float32 and cast back."""
    xp = backend.get_array_module(x)
    xc = x.astype(numpy.float32) if x.dtype == numpy.float16 else x
    y = xc - xc.max(axis=axis, keepdims=True)
    xp.exp(y, out=y)
    y /= y.sum(axis=axis, keepdims=True)
    return y.astype(x.dtype, copy=False)


class Softmax(FunctionNode):
    """``exp(x) / sum(exp(x), axis)``, computed after subtracting the maximum."""

    def __init__(self, axis: int = 1) -> None:
        self.axis = axis

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input that has ``axis``."""
        type_check.expect_n_inputs("softmax", in_types, 1)
        type_check.expect_float("softmax", "x", in_types[0])
        _check_axis_range("softmax", in_types[0], self.axis)

    def forward(self, inputs: tuple) -> tuple:
        """Compute the softmax."""
        self.retain_outputs((0,))
        return _softmax(inputs[0], self.axis),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``y * (gy - sum(y * gy, axis))`` as one :class:`SoftmaxGrad` node."""
        y, = self.get_retained_outputs()
        return SoftmaxGrad(self.axis).apply((y, grad_outputs[0]))[:1]


class SoftmaxGrad(FunctionNode):
    """``gx = y * (gy - sum(y * gy, axis))`` from inputs ``(y, gy)``."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, inputs: tuple) -> tuple:
        """Compute the gradient of the softmax."""
        self.retain_inputs((0, 1))
        y, gy = inputs
        gx = y * gy
        s = gx.sum(axis=self.axis, keepdims=True)
        gx -= y * s
        return gx,

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Gradients w.r.t. ``y`` and ``gy`` of ``<ggx, gx>``.

        With ``s = sum(y * gy)`` and ``u = sum(y * ggx)`` (over ``axis``):
        ``d/dy = ggx * (gy - s) - u * gy`` and ``d/dgy = y * (ggx - u)``.
        """
        y, gy = self.get_retained_inputs()
        ggx, = grad_outputs
        out = []
        for i in indexes:
            if i == 0:
                s = _sum(y * gy, self.axis, keepdims=True)
                u = _sum(y * ggx, self.axis, keepdims=True)
                out.append(ggx * (gy - s) - u * gy)
            else:
                out.append(SoftmaxGrad(self.axis).apply((y, ggx))[0])
        return tuple(out)


def softmax(x: Variable | Any, axis: int = 1) -> Variable:
    """Softmax along ``axis``: ``exp(x) / sum(exp(x), axis)``.

    The maximum along ``axis`` is subtracted first so that large inputs do not overflow;
    float16 input is computed in float32 and the result cast back.

    Args:
        x: Input of shape ``(B, C, ...)`` (any shape with ``axis``), float16/32/64.
        axis: The axis to normalize over (``1``: the channel axis ``C``).

    Returns:
        A Variable of ``x``'s shape and dtype whose entries along ``axis`` sum to 1.

    Raises:
        TypeError: ``axis`` is not an int.
        InvalidType: ``x`` is not a float array or has no axis ``axis``.
    """
    _check_axis("softmax", axis)
    return Softmax(int(axis)).apply((x,))[0]
