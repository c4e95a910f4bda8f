"""huber_loss: squared loss near zero, absolute loss beyond ``delta`` (less outlier-sensitive)."""

from __future__ import annotations

import numbers
from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.array.expand_dims import expand_dims
from kusari.functions.math.clip import ClipGrad, clip
from kusari.functions.math.sum import sum as _sum
from kusari.utils import force_array, type_check
from kusari.variable import Variable

_REDUCE_OPTIONS = ("sum_along_second_axis", "no")


class HuberLoss(FunctionNode):
    """Elementwise Huber loss of ``a = x - t``, optionally summed over axis 1."""

    def __init__(self, delta: float, reduce: str = "sum_along_second_axis") -> None:
        self.delta = delta
        self.reduce = reduce

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for two float inputs of one dtype and shape (ndim >= 2 when summing axis 1)."""
        type_check.expect_n_inputs("huber_loss", in_types, 2)
        x, t = in_types
        type_check.expect_float("huber_loss", "x", x)
        type_check.expect_same_dtype("huber_loss", ("x", "t"), (x, t))
        type_check.expect_equal("huber_loss", "x.shape", tuple(x.shape), "t.shape", tuple(t.shape))
        if self.reduce == "sum_along_second_axis" and x.ndim < 2:
            raise type_check.InvalidType(
                f"huber_loss: x.ndim must be >= 2 with reduce='sum_along_second_axis', got "
                f"{x.ndim} (shape {tuple(x.shape)}); reshape x and t to (N, 1) or use reduce='no'"
            )

    def forward(self, inputs: tuple) -> tuple:
        """``c * (|a| - c / 2)`` with ``c = min(|a|, delta)``, summed over axis 1 if asked."""
        self.retain_inputs((0, 1))
        x, t = inputs
        xp = backend.get_array_module(x)
        dtype = x.dtype
        a = force_array(x - t)
        xp.abs(a, out=a)
        c = xp.minimum(a, dtype.type(self.delta), out=xp.empty_like(a))
        y = xp.multiply(c, dtype.type(0.5), out=xp.empty_like(a))
        xp.subtract(a, y, out=y)
        y *= c
        if self.reduce == "sum_along_second_axis":
            y = y.sum(axis=1)
        return force_array(y, dtype),

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gx = gy * clip(x - t, -delta, delta)`` and ``gt = -gx`` (one node)."""
        x, t = self.get_retained_inputs()
        grad = HuberLossGrad(self.delta, self.reduce == "sum_along_second_axis", indexes)
        return grad.apply((x, t, grad_outputs[0]))


class HuberLossGrad(FunctionNode):
    """Gradients of :class:`HuberLoss` for the inputs in ``indexes`` (0: ``x``, 1: ``t``).

    Inputs are ``(x, t, gy)``; ``summed`` tells that ``gy`` lacks the axis 1 of ``x``.
    """

    def __init__(self, delta: float, summed: bool, indexes: tuple[int, ...]) -> None:
        self.delta = delta
        self.summed = summed
        self.indexes = indexes

    def forward(self, inputs: tuple) -> tuple:
        """Compute the requested gradients."""
        self.retain_inputs((0, 1, 2))
        x, t, gy = inputs
        xp = backend.get_array_module(x)
        delta = x.dtype.type(self.delta)
        gx = force_array(x - t)
        xp.maximum(gx, -delta, out=gx)
        xp.minimum(gx, delta, out=gx)
        if self.summed:
            gy = gy.reshape(gy.shape[:1] + (1,) + gy.shape[1:])
        gx *= gy
        return tuple(gx if i == 0 else -gx for i in self.indexes)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Differentiate ``gy * clip(x - t)`` by ``x``, ``t`` and ``gy``."""
        x, t, gy = self.get_retained_inputs()
        g = None
        for i, gg in zip(self.indexes, grad_outputs, strict=True):
            if gg is not None:
                gg = gg if i == 0 else -gg
                g = gg if g is None else g + gg
        diff = x - t
        out: list[Variable | None] = []
        if 0 in indexes or 1 in indexes:
            inside = abs(diff._data) <= diff.dtype.type(self.delta)
            h = expand_dims(gy, 1) if self.summed else gy
            gxx, = ClipGrad(inside).apply((g * h,))
        for i in indexes:
            if i == 2:
                ggy = clip(diff, -self.delta, self.delta) * g
                out.append(_sum(ggy, axis=1) if self.summed else ggy)
            else:
                out.append(gxx if i == 0 else -gxx)
        return tuple(out)


def huber_loss(
    x: Variable | Any, t: Variable | Any, delta: float, reduce: str = "sum_along_second_axis"
) -> Variable:
    """Huber loss: quadratic near the target, linear beyond ``delta``.

    With ``a = x - t``, the elementwise loss is ``a**2 / 2`` where ``|a| <= delta`` and
    ``delta * (|a| - delta / 2)`` elsewhere. It is less sensitive to outliers than the squared
    error (Huber, "Robust Estimation of a Location Parameter", Ann. Math. Statist. 1964); with
    ``delta=1`` it is the clipped error of DQN (Mnih et al., Nature 2015).

    Args:
        x: Input of shape ``(N, K, ...)`` (any shape with ``reduce='no'``), float16/32/64.
        t: Target of ``x``'s shape and dtype.
        delta: Positive threshold between the quadratic and the linear part.
        reduce: ``'sum_along_second_axis'`` sums the elementwise losses over axis 1;
            ``'no'`` returns them.

    Returns:
        A Variable of ``x``'s dtype: shape ``(N, ...)`` (``x``'s shape without axis 1) with
        ``'sum_along_second_axis'``, ``x``'s shape with ``'no'``.

    Raises:
        TypeError: ``delta`` is not a real number.
        ValueError: ``delta`` is not positive, or ``reduce`` is not one of the two options.
        InvalidType: The inputs are not float arrays, their dtypes or shapes differ, or
            ``x.ndim < 2`` with ``'sum_along_second_axis'``.

    Example:
        >>> x = numpy.array([[0.5, 3.0]], "f")
        >>> F.huber_loss(x, numpy.zeros_like(x), delta=1.0).array
        array([2.625], dtype=float32)
    """
    if not isinstance(delta, numbers.Real) or isinstance(delta, bool):
        raise TypeError(f"huber_loss: delta must be a real number, got {type(delta).__name__}")
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    if reduce not in _REDUCE_OPTIONS:
        raise ValueError(
            f"huber_loss: reduce must be 'sum_along_second_axis' or 'no', got {reduce!r}"
        )
    return HuberLoss(delta, reduce).apply((x, t))[0]
