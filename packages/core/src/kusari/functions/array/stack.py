"""stack: join arrays of one shape along a new axis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.array.concat import _as_inputs
from kusari.utils import type_check
from kusari.variable import Variable


class Stack(FunctionNode):
    """Stack the inputs along a new ``axis``; the gradient is taken apart with ``separate``."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check there is an input, one shape and dtype, and the axis range."""
        if len(in_types) == 0:
            raise type_check.InvalidType("stack: expected at least 1 input, got 0")
        x0 = in_types[0]
        if not -x0.ndim - 1 <= self.axis <= x0.ndim:
            raise type_check.InvalidType(
                f"stack: axis {self.axis} is out of range [{-x0.ndim - 1}, {x0.ndim}] for "
                f"inputs of ndim {x0.ndim}"
            )
        for i, x in enumerate(in_types[1:], 1):
            if x.dtype != x0.dtype:
                raise type_check.InvalidType(
                    f"stack: xs[{i}].dtype ({x.dtype}) != xs[0].dtype ({x0.dtype})"
                )
            if tuple(x.shape) != tuple(x0.shape):
                raise type_check.InvalidType(
                    f"stack: xs[{i}].shape {tuple(x.shape)} != xs[0].shape {tuple(x0.shape)}"
                )

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Stack the arrays."""
        xp = backend.get_array_module(*inputs)
        return xp.stack(inputs, axis=self.axis),

    def backward(self, indexes: tuple[int, ...], grad_outputs: tuple) -> tuple:
        """Separate the gradient along the new axis."""
        from kusari.functions.array.separate import separate

        gxs = separate(grad_outputs[0], self.axis)
        return tuple(gxs[i] for i in indexes)


def stack(xs: Sequence[Variable | Any], axis: int = 0) -> Variable:
    """Join Variables or arrays of one shape along a new axis.

    Args:
        xs: A list or tuple of ``n`` Variables or arrays of one shape ``(s_1, ..., s_N)`` and
            dtype.
        axis: Position of the new axis in the output, in ``[-N - 1, N]``.

    Returns:
        A Variable of rank ``N + 1`` with ``n`` along ``axis``.

    Raises:
        TypeError: ``xs`` is a single Variable or array rather than a sequence of them.
        InvalidType: ``xs`` is empty, ``axis`` is out of range, or shapes or dtypes differ.

    Example:
        >>> F.stack([numpy.zeros((2, 3), "f")] * 4, axis=1).shape
        (2, 4, 3)
    """
    return Stack(axis).apply(_as_inputs("stack", xs))[0]
