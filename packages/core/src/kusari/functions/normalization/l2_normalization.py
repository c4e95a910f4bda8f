"""L2 normalization along one axis (Chainer's ``F.normalize``)."""

from __future__ import annotations

from typing import Any

from kusari import variable
from kusari.functions.array.broadcast import broadcast_to
from kusari.functions.array.where import where
from kusari.functions.math.sqrt import sqrt
from kusari.functions.math.sum import sum as sum_
from kusari.variable import Variable


def normalize(x: Variable | Any, eps: float = 1e-5, axis: int = 1) -> Variable:
    """Divide ``x`` by its L2 norm along ``axis``: ``y = x / (sqrt(sum(x ** 2, axis)) + eps)``.

    A slice that is all zeros stays zero, and its gradient is ``gy / eps`` with no NaN: the
    square root is only ever taken of positive sums (the derivative of ``sqrt`` at 0 is
    infinite, and ``0 * inf`` would poison every gradient upstream). Differentiable twice.

    Used by SSD's ``Normalize`` on conv4_3 (Liu et al., "ParseNet: Looking Wider to See
    Better", 2015, Sec. 3.3).

    Args:
        x: Float array or Variable of any shape with at least ``axis + 1`` dimensions, e.g.
            ``(B, C, H, W)`` normalized over channels with ``axis=1``.
        eps: Added to the norm, so the divisor is never 0.
        axis: The axis the norm runs along.

    Returns:
        A Variable of ``x``'s shape and dtype.

    Raises:
        ValueError: ``axis`` is out of range for ``x``.
        TypeError: ``x`` is not a float array.

    Example:
        >>> F.normalize(numpy.array([[3.0, 4.0], [0.0, 0.0]], "f")).array
        array([[0.5999988, 0.7999984],
               [0.       , 0.       ]], dtype=float32)
    """
    x = variable.as_variable(x)
    if x.dtype.kind != "f":
        raise TypeError(f"normalize: expected a float array, got dtype {x.dtype}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"normalize: axis {axis} is out of range for x of shape {x.shape}")
    squares = sum_(x * x, axis=axis, keepdims=True)
    positive = squares.array > 0
    norm = sqrt(where(positive, squares, 1)) * positive.astype(x.dtype)
    return x / broadcast_to(norm + eps, x.shape)
