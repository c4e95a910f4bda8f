"""max, min: largest and smallest array elements over given axes.

The gradient flows to every element equal to the result: where several elements tie for the
maximum (minimum), each of them receives the full output gradient (Chainer's rule).
"""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.math._axis import keepdims_shape, normalize_axis
from kusari.functions.math.sum import Sum
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class _SelectorBase(FunctionNode):
    """Reduction that picks elements; ``_fname`` is both the user-facing name and the method."""

    _fname = ""

    def __init__(self, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input with no zero-length axis to reduce."""
        type_check.expect_n_inputs(self._fname, in_types, 1)
        x = in_types[0]
        type_check.expect_float(self._fname, "x", x)
        axes = range(x.ndim) if self.axis is None else self.axis
        if any(x.shape[a] == 0 for a in axes):
            raise type_check.InvalidType(
                f"{self._fname}: cannot reduce x of shape {tuple(x.shape)} over a zero-length "
                f"axis (axis={self.axis})"
            )

    def forward(self, inputs: tuple) -> tuple:
        """Reduce the array."""
        self.retain_inputs((0,))
        self.retain_outputs((0,))
        x, = inputs
        return force_array(getattr(x, self._fname)(axis=self.axis, keepdims=self.keepdims)),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Send the gradient to the elements equal to the result (one node)."""
        x = self.get_retained_inputs()[0].array
        y = self.get_retained_outputs()[0].array
        if not self.keepdims:
            y = y.reshape(keepdims_shape(x.shape, self.axis))
        cond = (x == y).astype(x.dtype)
        return _SelectorGrad(cond, self.axis, self.keepdims).apply(grad_outputs)


class Max(_SelectorBase):
    """Maximum over ``axis`` (a sorted tuple of non-negative axes, or ``None``)."""

    _fname = "max"


class Min(_SelectorBase):
    """Minimum over ``axis`` (a sorted tuple of non-negative axes, or ``None``)."""

    _fname = "min"


class _SelectorGrad(FunctionNode):
    """``gx = cond * gy`` broadcast back over the reduced axes; ``cond`` is 1 at the picks."""

    def __init__(self, cond: Any, axis: tuple[int, ...] | None, keepdims: bool) -> None:
        self.cond = cond
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, inputs: tuple) -> tuple:
        """Mask the broadcast gradient."""
        gy, = inputs
        if not self.keepdims:
            gy = gy.reshape(keepdims_shape(self.cond.shape, self.axis))
        xp = backend.get_array_module(gy)
        return xp.multiply(self.cond, gy),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Sum the masked gradient's gradient over the reduced axes."""
        return Sum(self.axis, self.keepdims).apply((grad_outputs[0] * self.cond,))


def max(  # noqa: A001 (Chainer's public name)
    x: Variable | Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> Variable:
    """Maximum of array elements over the given axes.

    Args:
        x: Input array of any shape, float16/32/64.
        axis: Axis or axes to reduce (negative values count from the end); ``None`` reduces
            all elements.
        keepdims: Keep the reduced axes as axes of length one.

    Returns:
        A Variable of ``x``'s dtype and the reduced shape. Its gradient goes to every element
        equal to the maximum (all of them when several tie).

    Raises:
        TypeError: ``axis`` is not ``None``, an int or a tuple of ints.
        ValueError: An axis is out of range or repeated.
        InvalidType: ``x`` is not a float array, or an axis to reduce has length zero.
    """
    return Max(normalize_axis("max", axis, x.ndim), keepdims).apply((x,))[0]


def min(  # noqa: A001 (Chainer's public name)
    x: Variable | Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> Variable:
    """Minimum of array elements over the given axes.

    Args:
        x: Input array of any shape, float16/32/64.
        axis: Axis or axes to reduce (negative values count from the end); ``None`` reduces
            all elements.
        keepdims: Keep the reduced axes as axes of length one.

    Returns:
        A Variable of ``x``'s dtype and the reduced shape. Its gradient goes to every element
        equal to the minimum (all of them when several tie).

    Raises:
        TypeError: ``axis`` is not ``None``, an int or a tuple of ints.
        ValueError: An axis is out of range or repeated.
        InvalidType: ``x`` is not a float array, or an axis to reduce has length zero.
    """
    return Min(normalize_axis("min", axis, x.ndim), keepdims).apply((x,))[0]
