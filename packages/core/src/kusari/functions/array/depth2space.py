"""depth2space: spread groups of ``r * r`` channels into ``r x r`` blocks of pixels."""

from __future__ import annotations

from typing import Any

from kusari.function_node import FunctionNode
from kusari.functions.array.space2depth import Space2Depth, _check_r
from kusari.utils import type_check
from kusari.variable import Variable


class Depth2Space(FunctionNode):
    """``(B, r * r * C, H, W) -> (B, C, H * r, W * r)``; the inverse of :class:`Space2Depth`."""

    def __init__(self, r: int) -> None:
        self.r = r

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check a float 4-D input whose channel count is a multiple of ``r * r``."""
        f = "depth2space"
        type_check.expect_n_inputs(f, in_types, 1)
        (x,) = in_types
        type_check.expect_float(f, "X", x)
        type_check.expect_ndim(f, "X", x, 4)
        if x.shape[1] % (self.r * self.r):
            raise type_check.InvalidType(
                f"{f}: X.shape[1] ({x.shape[1]}) must be divisible by r * r ({self.r} * "
                f"{self.r} = {self.r * self.r})"
            )

    def forward(self, inputs: tuple) -> tuple:
        """One reshape, one transpose and one copy."""
        (x,) = inputs
        b, c, h, w = x.shape
        r = self.r
        c //= r * r
        y = x.reshape(b, r, r, c, h, w).transpose(0, 3, 4, 1, 5, 2)
        return (y.reshape(b, c, h * r, w * r),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """The inverse rearrangement, :func:`space2depth`."""
        return Space2Depth(self.r).apply(grad_outputs)


def depth2space(X: Variable | Any, r: int) -> Variable:
    """Depth-to-space rearrangement (sub-pixel shuffle): ``r * r`` channels become a block.

    ``y[b, c, u * r + i, v * r + j] = X[b, (i * r + j) * C + c, u, v]`` (Chainer's channel
    order), the inverse of :func:`space2depth`. It is the sub-pixel convolution layer's shuffle
    of Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient
    Sub-Pixel Convolutional Neural Network", CVPR 2016 (arXiv:1609.05158).

    Args:
        X: Input ``(B, C * r * r, H, W)``, float16/32/64.
        r: Upscaling factor, an int >= 1.

    Returns:
        A Variable ``(B, C, H * r, W * r)``.

    Raises:
        TypeError: ``r`` is not an int.
        ValueError: ``r`` is below 1.
        InvalidType: ``X`` is not a float 4-D array, or ``X.shape[1]`` is not divisible by
            ``r * r``.

    Example:
        >>> X = numpy.arange(24, dtype=numpy.float32).reshape(1, 4, 2, 3)
        >>> F.depth2space(X, 2).array[0, 0, :2]
        array([[ 0.,  6.,  1.,  7.,  2.,  8.],
               [12., 18., 13., 19., 14., 20.]], dtype=float32)
    """
    return Depth2Space(_check_r("depth2space", r)).apply((X,))[0]
