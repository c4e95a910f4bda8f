"""max_pooling_2d: the maximum over sliding windows of NCHW images."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions import _conv_utils
from kusari.utils import type_check
from kusari.variable import Variable


class _Windows(_conv_utils.PoolingParams):
    """Pooling geometry and, after the forward pass, the argmax of every window.

    Every loop here runs over the ``kh * kw`` kernel offsets, each step one vectorized operation
    on a strided ``(B, C, out_h, out_w)`` slice: much faster than reducing over a window axis.
    """

    in_shape: tuple[int, ...] = ()
    indexes: Any = None

    def _offsets(self) -> Any:
        for i in range(self.kh):
            for j in range(self.kw):
                yield i * self.kw + j, i, j

    def max_and_argmax(self, x: Any) -> tuple[Any, Any]:
        """Window maxima ``(B, C, out_h, out_w)`` and their flat in-window indexes.

        Padding is ``-inf``; the first of tied maxima wins.
        """
        xp = backend.get_array_module(x)
        col = self.windows(x, -float("inf"))
        y = col[:, :, 0, 0].copy()
        indexes = xp.zeros(y.shape, numpy.int32)
        for k, i, j in self._offsets():
            if k:
                v = col[:, :, i, j]
                # k exceeds every index so far, so a max replaces exactly where v wins
                xp.maximum(indexes, (v > y) * numpy.int32(k), out=indexes)
                xp.maximum(y, v, out=y)
        return y, indexes

    def gather(self, x: Any) -> Any:
        """The entry of every window of ``x`` at the stored argmax, ``(B, C, out_h, out_w)``."""
        xp = backend.get_array_module(x)
        col = self.windows(x, 0)
        out = xp.zeros(self.indexes.shape, x.dtype)
        for k, i, j in self._offsets():
            xp.copyto(out, col[:, :, i, j], where=self.indexes == k)
        return out

    def scatter(self, gy: Any) -> Any:
        """Put ``gy`` at the argmax of each window and add the windows onto the input grid."""
        kw, indexes = self.kw, self.indexes
        return self.add_windows(lambda i, j: (indexes == i * kw + j) * gy, gy.shape, gy.dtype,
                                backend.get_array_module(gy), self.in_shape[2], self.in_shape[3])


class MaxPooling2D(FunctionNode):
    """Max pooling over ``kh x kw`` windows; remembers each window's argmax for backward."""

    def __init__(self, ksize: Any, stride: Any = None, pad: Any = 0,
                 cover_all: bool = True) -> None:
        self.windows = _Windows("max_pooling_2d", ksize, stride, pad, bool(cover_all))

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for one float ``(B, C, H, W)`` input with a non-empty output."""
        type_check.expect_n_inputs("max_pooling_2d", in_types, 1)
        self.windows.check_input(in_types[0])

    def forward(self, inputs: tuple) -> tuple:
        """Argmax of each window (padding is ``-inf``), then the values there."""
        x, = inputs
        win = self.windows
        win.in_shape = x.shape
        y, win.indexes = win.max_and_argmax(x)
        return (y,)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Route each output gradient to its window's argmax."""
        return MaxPooling2DGrad(self.windows).apply(grad_outputs)


class MaxPooling2DGrad(FunctionNode):
    """Gradient of max pooling: scatter ``gy`` to the argmax positions (a linear map)."""

    def __init__(self, windows: _Windows) -> None:
        self.windows = windows

    def forward(self, inputs: tuple) -> tuple:
        """Scatter ``gy (B, C, out_h, out_w)`` onto ``(B, C, H, W)``."""
        return (self.windows.scatter(inputs[0]),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Gather the gradient at the argmax positions (the adjoint of the scatter)."""
        return MaxPooling2DWithIndexes(self.windows).apply(grad_outputs)


class MaxPooling2DWithIndexes(FunctionNode):
    """Pick each window's entry at fixed argmax indexes: the adjoint of :class:`MaxPooling2DGrad`.

    It is what max pooling computes when the maxima are held fixed, so it serves as the
    gradient of the gradient (double backprop).
    """

    def __init__(self, windows: _Windows) -> None:
        self.windows = windows

    def forward(self, inputs: tuple) -> tuple:
        """Gather ``x (B, C, H, W)`` at the indexes into ``(B, C, out_h, out_w)``."""
        return (self.windows.gather(inputs[0]),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Scatter the gradient back to the indexes."""
        return MaxPooling2DGrad(self.windows).apply(grad_outputs)


def max_pooling_2d(x: Variable | Any, ksize: int | tuple[int, int],
                   stride: int | tuple[int, int] | None = None, pad: int | tuple[int, int] = 0,
                   cover_all: bool = True,
                   return_indices: bool = False) -> Variable | tuple[Variable, Any]:
    """Spatial max pooling: the maximum of each ``kh x kw`` window.

    Padding is filled with ``-inf``, so it never wins a window that holds a real pixel. The
    gradient flows only to the maximum of each window.

    Args:
        x: Input images ``(B, C, H, W)``, float16/32/64.
        ksize: Window size ``kh = kw`` or ``(kh, kw)``.
        stride: Stride ``sy = sx`` or ``(sy, sx)``; ``None`` uses ``ksize`` (no overlap).
        pad: Padding ``ph = pw`` or ``(ph, pw)`` on both sides.
        cover_all: Add windows until every input pixel is covered: the output size is
            ``(H + 2 ph - kh + sy - 1) // sy + 1`` instead of ``(H + 2 ph - kh) // sy + 1``.
        return_indices: Also return the position of each window's maximum.

    Returns:
        A Variable ``(B, C, out_h, out_w)``; with ``return_indices``, a tuple of it and an integer
        array ``(B, C, out_h, out_w)`` holding the flat index ``u * kw + v`` of the maximum inside
        its window.

    Raises:
        TypeError: ``ksize``, ``stride`` or ``pad`` is not an int or a pair of ints.
        ValueError: One of them is out of range.
        InvalidType: ``x`` is not a float 4-D array, or the output would be empty.
    """
    func = MaxPooling2D(ksize, stride, pad, cover_all)
    y = func.apply((x,))[0]
    if return_indices:
        return y, func.windows.indexes
    return y
