"""space2depth: move each ``r x r`` block of pixels into the channel axis."""

from __future__ import annotations

import numbers
from typing import Any

from kusari.function_node import FunctionNode
from kusari.utils import type_check
from kusari.variable import Variable


def _check_r(fname: str, r: Any) -> int:
    """Return ``r`` as an int >= 1, or raise a TypeError/ValueError naming ``fname``."""
    if isinstance(r, bool) or not isinstance(r, numbers.Integral):
        raise TypeError(f"{fname}: r must be an int, got {type(r).__name__} ({r!r})")
    if r < 1:
        raise ValueError(f"{fname}: r must be >= 1, got {r}")
    return int(r)


class Space2Depth(FunctionNode):
    """``(B, C, H, W) -> (B, r * r * C, H // r, W // r)``; channel ``(i * r + j) * C + c``."""

    def __init__(self, r: int) -> None:
        self.r = r

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check a float 4-D input whose height and width are multiples of ``r``."""
        f = "space2depth"
        type_check.expect_n_inputs(f, in_types, 1)
        (x,) = in_types
        type_check.expect_float(f, "X", x)
        type_check.expect_ndim(f, "X", x, 4)
        h, w = x.shape[2:]
        if h % self.r or w % self.r:
            raise type_check.InvalidType(
                f"{f}: the spatial size {(h, w)} of X must be divisible by r ({self.r})"
            )

    def forward(self, inputs: tuple) -> tuple:
        """One reshape, one transpose and one copy."""
        (x,) = inputs
        b, c, h, w = x.shape
        r = self.r
        y = x.reshape(b, c, h // r, r, w // r, r).transpose(0, 3, 5, 1, 2, 4)
        return (y.reshape(b, r * r * c, h // r, w // r),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """The inverse rearrangement, :func:`depth2space`."""
        from kusari.functions.array.depth2space import Depth2Space

        return Depth2Space(self.r).apply(grad_outputs)


def space2depth(X: Variable | Any, r: int) -> Variable:
    """Space-to-depth rearrangement: each ``r x r`` pixel block becomes ``r * r`` channels.

    ``y[b, (i * r + j) * C + c, u, v] = X[b, c, u * r + i, v * r + j]`` (Chainer's channel
    order). It inverts :func:`depth2space`; see Shi et al., "Real-Time Single Image and Video
    Super-Resolution Using an Efficient Sub-Pixel Convolutional Neural Network", CVPR 2016
    (arXiv:1609.05158).

    Args:
        X: Input ``(B, C, H * r, W * r)``, float16/32/64.
        r: Downscaling factor, an int >= 1.

    Returns:
        A Variable ``(B, C * r * r, H, W)``.

    Raises:
        TypeError: ``r`` is not an int.
        ValueError: ``r`` is below 1.
        InvalidType: ``X`` is not a float 4-D array, or its height or width is not divisible
            by ``r``.

    Example:
        >>> X = numpy.arange(24, dtype=numpy.float32).reshape(1, 1, 4, 6)
        >>> F.space2depth(X, 2).array[0, :, 0, 0]
        array([0., 1., 6., 7.], dtype=float32)
    """
    return Space2Depth(_check_r("space2depth", r)).apply((X,))[0]
