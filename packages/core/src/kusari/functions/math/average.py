"""average (alias mean): arithmetic or weighted mean of array elements over given axes."""

from __future__ import annotations

from typing import Any

from kusari.function_node import FunctionNode
from kusari.functions.array.broadcast import broadcast_to
from kusari.functions.array.reshape import reshape
from kusari.functions.math._axis import normalize_axis
from kusari.functions.math.sum import SumGrad
from kusari.functions.math.sum import sum as _sum
from kusari.utils import force_array, size_of_shape, type_check
from kusari.variable import Variable


class Mean(FunctionNode):
    """Arithmetic mean over ``axis`` (a sorted tuple of non-negative axes, or ``None``)."""

    def __init__(self, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs("mean", in_types, 1)
        type_check.expect_float("mean", "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Average the array (float16 accumulates in float32, as NumPy does)."""
        x, = inputs
        self._in_shape = x.shape
        y = x.mean(axis=self.axis, keepdims=self.keepdims)
        return force_array(y, x.dtype),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Spread ``gy / n`` over the averaged axes (one :class:`SumGrad` node)."""
        axes = range(len(self._in_shape)) if self.axis is None else self.axis
        n = size_of_shape(tuple(self._in_shape[a] for a in axes))
        scale = 1.0 / n if n else 0.0
        return SumGrad(self.axis, self.keepdims, self._in_shape, scale).apply(grad_outputs)


def average(
    x: Variable | Any,
    axis: int | tuple[int, ...] | None = None,
    weights: Variable | Any | None = None,
    keepdims: bool = False,
) -> Variable:
    """Weighted average of array elements over the given axes (``mean`` is the same function).

    Args:
        x: Input array of any shape, float16/32/64.
        axis: Axis or axes to average over (negative values count from the end); ``None``
            averages all elements.
        weights: Optional weights of ``x``'s dtype. With ``axis=None`` they have ``x``'s
            shape; with one axis they are 1-D of shape ``(x.shape[axis],)``. The result is
            ``sum(x * weights) / sum(weights)``.
        keepdims: Keep the averaged axes as axes of length one.

    Returns:
        A Variable of ``x``'s dtype and the reduced shape.

    Raises:
        TypeError: ``axis`` is not ``None``, an int or a tuple of ints.
        ValueError: An axis is out of range or repeated, ``weights`` has the wrong shape, or
            ``weights`` is given with more than one axis.
        InvalidType: ``x`` is not a float array, or ``weights`` has another dtype.
    """
    axes = normalize_axis("mean", axis, x.ndim)
    if weights is None:
        return Mean(axes, keepdims).apply((x,))[0]
    if axes is not None and len(axes) > 1:
        raise ValueError(f"mean: weights need axis=None or a single axis, got axis={axis!r}")
    if weights.dtype != x.dtype:
        raise type_check.InvalidType(
            f"mean: weights.dtype ({weights.dtype}) != x.dtype ({x.dtype})"
        )
    if axes is None:
        if weights.shape != x.shape:
            raise ValueError(
                f"mean: weights.shape {weights.shape} != x.shape {x.shape} (axis=None)"
            )
        w = weights
    else:
        a = axes[0]
        if weights.shape != (x.shape[a],):
            raise ValueError(
                f"mean: weights.shape {weights.shape} != (x.shape[{a}],) ({x.shape[a]},)"
            )
        w_shape = tuple(d if i == a else 1 for i, d in enumerate(x.shape))
        w = broadcast_to(reshape(weights, w_shape), x.shape)
    return _sum(x * w, axes, keepdims) / _sum(weights)


mean = average
