"""average_pooling_2d: the mean over sliding windows of NCHW images."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions import _conv_utils
from kusari.utils import type_check
from kusari.variable import Variable


class AveragePooling2D(FunctionNode):
    """Sum of each zero-padded window divided by ``kh * kw`` (a linear map)."""

    def __init__(self, params: _conv_utils.PoolingParams) -> None:
        self.params = params

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float ``(B, C, H, W)`` input with a non-empty output."""
        type_check.expect_n_inputs(self.params.fname, in_types, 1)
        self.params.check_input(in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Sum the windows offset by offset and scale."""
        x, = inputs
        self._in_shape = x.shape
        p = self.params
        col = p.windows(x, 0)
        # one strided add per kernel offset: far faster than summing over the window axes
        y = col[:, :, 0, 0].copy()
        for i in range(p.kh):
            for j in range(p.kw):
                if i or j:
                    y += col[:, :, i, j]
        y *= x.dtype.type(1.0 / (p.kh * p.kw))
        return (y,)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Spread each output gradient evenly over its window."""
        return AveragePooling2DGrad(self.params, self._in_shape).apply(grad_outputs)


class AveragePooling2DGrad(FunctionNode):
    """Gradient of average pooling: ``gy / (kh * kw)`` added to every pixel of each window."""

    def __init__(self, params: _conv_utils.PoolingParams, in_shape: tuple[int, ...]) -> None:
        self.params = params
        self._in_shape = in_shape

    def forward(self, inputs: tuple) -> tuple:
        """Add the scaled ``gy`` at every kernel offset onto the input grid."""
        gy, = inputs
        p = self.params
        g = gy * gy.dtype.type(1.0 / (p.kh * p.kw))
        return (p.add_windows(lambda i, j: g, gy.shape, gy.dtype, backend.get_array_module(gy),
                              self._in_shape[2], self._in_shape[3]),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Average pooling of the gradient: the adjoint of this map."""
        return AveragePooling2D(self.params).apply(grad_outputs)


def average_pooling_2d(x: Variable | Any, ksize: int | tuple[int, int],
                       stride: int | tuple[int, int] | None = None,
                       pad: int | tuple[int, int] = 0) -> Variable:
    """Spatial average pooling: the mean of each ``kh x kw`` window.

    Padding counts as zeros and every window is divided by the full ``kh * kw``, also where it
    overlaps the padding (as in Chainer).

    Args:
        x: Input images ``(B, C, H, W)``, float16/32/64.
        ksize: Window size ``kh = kw`` or ``(kh, kw)``.
        stride: Stride ``sy = sx`` or ``(sy, sx)``; ``None`` uses ``ksize`` (no overlap).
        pad: Zero padding ``ph = pw`` or ``(ph, pw)`` on both sides.

    Returns:
        A Variable ``(B, C, out_h, out_w)`` with ``out_h = (H + 2 ph - kh) // sy + 1`` and
        ``out_w = (W + 2 pw - kw) // sx + 1``.

    Raises:
        TypeError: ``ksize``, ``stride`` or ``pad`` is not an int or a pair of ints.
        ValueError: One of them is out of range.
        InvalidType: ``x`` is not a float 4-D array, or the output would be empty.
    """
    params = _conv_utils.PoolingParams("average_pooling_2d", ksize, stride, pad, False)
    return AveragePooling2D(params).apply((x,))[0]
