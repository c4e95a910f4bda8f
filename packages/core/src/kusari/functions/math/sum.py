"""sum: sum of array elements over given axes."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.math._axis import keepdims_shape, normalize_axis
from kusari.utils import force_array, type_check
from kusari.variable import Variable


class Sum(FunctionNode):
    """Sum over ``axis`` (a sorted tuple of non-negative axes, or ``None`` for all)."""

    def __init__(self, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float input."""
        type_check.expect_n_inputs("sum", in_types, 1)
        type_check.expect_float("sum", "x", in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Sum the array."""
        x, = inputs
        self._in_shape = x.shape
        return force_array(x.sum(axis=self.axis, keepdims=self.keepdims)),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Spread the gradient over the summed axes (one :class:`SumGrad` node)."""
        return SumGrad(self.axis, self.keepdims, self._in_shape).apply(grad_outputs)


class SumGrad(FunctionNode):
    """The adjoint of a sum (times ``scale``): broadcast ``gy`` back to the input's shape.

    The result is a new writable array, not a broadcast view, so that in-place updates of a
    gradient (optimizer hooks) are safe. :class:`~kusari.functions.math.average.Mean` uses it
    with ``scale = 1 / n``.
    """

    def __init__(self, axis: tuple[int, ...] | None, keepdims: bool, in_shape: tuple[int, ...],
                 scale: float = 1.0) -> None:
        self.axis = axis
        self.keepdims = keepdims
        self.in_shape = in_shape
        self.scale = scale

    def forward(self, inputs: tuple) -> tuple:
        """Broadcast (and scale) the gradient."""
        gy, = inputs
        xp = backend.get_array_module(gy)
        if not self.keepdims:
            gy = gy.reshape(keepdims_shape(self.in_shape, self.axis))
        gx = xp.empty(self.in_shape, gy.dtype)
        if self.scale != 1.0:
            xp.multiply(xp.broadcast_to(gy, self.in_shape), gy.dtype.type(self.scale), out=gx)
        else:
            gx[...] = gy
        return gx,

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Sum the gradient's gradient back (times ``scale``)."""
        g, = Sum(self.axis, self.keepdims).apply(grad_outputs)
        return (g * self.scale if self.scale != 1.0 else g),


def sum(  # noqa: A001 (Chainer's public name)
    x: Variable | Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> Variable:
    """Sum of array elements over the given axes.

    Args:
        x: Input array of any shape, float16/32/64.
        axis: Axis or axes to sum over (negative values count from the end); ``None`` sums
            all elements.
        keepdims: Keep the summed axes as axes of length one.

    Returns:
        A Variable of ``x``'s dtype and the reduced shape (``()`` when ``axis`` is ``None``
        and ``keepdims`` is false).

    Raises:
        TypeError: ``axis`` is not ``None``, an int or a tuple of ints.
        ValueError: An axis is out of range or repeated.
        InvalidType: ``x`` is not a float array.
    """
    axes = normalize_axis("sum", axis, x.ndim)
    return Sum(axes, keepdims).apply((x,))[0]
