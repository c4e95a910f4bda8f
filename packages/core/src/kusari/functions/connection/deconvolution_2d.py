"""deconvolution_2d: two-dimensional transposed convolution of NCHW images."""

from __future__ import annotations

from typing import Any

from kusari.function_node import FunctionNode
from kusari.functions import _conv_utils
from kusari.functions.array.reshape import reshape
from kusari.functions.connection.convolution_2d import (
    Convolution2DFunction,
    Convolution2DGrad,
    _check_groups,
    _ConvParams,
    _times_groups,
)
from kusari.functions.math.sum_to import sum_to
from kusari.utils import type_check
from kusari.utils.conv import get_conv_outsize, get_deconv_outsize
from kusari.variable import Variable


class Deconvolution2DFunction(FunctionNode):
    """Transposed convolution of ``x (B, I, h, w)`` with ``W (I, O // groups, kh, kw)``."""

    def __init__(self, stride: Any = 1, pad: Any = 0, outsize: Any = None, dilate: Any = 1,
                 groups: int = 1) -> None:
        f = "deconvolution_2d"
        self._stride = _conv_utils.pair(stride, f, "stride", 1)
        self._pad = _conv_utils.pair(pad, f, "pad", 0)
        self._dilate = _conv_utils.pair(dilate, f, "dilate", 1)
        self._groups = _check_groups(groups, f)
        self.outsize = None if outsize is None else _conv_utils.pair(outsize, f, "outsize", 1)

    def _out_size(self, h: int, w: int, kh: int, kw: int) -> tuple[int, int]:
        if self.outsize is not None:
            return self.outsize
        (sy, sx), (ph, pw), (dy, dx) = self._stride, self._pad, self._dilate
        return (get_deconv_outsize(h, kh, sy, ph, d=dy), get_deconv_outsize(w, kw, sx, pw, d=dx))

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check ranks, dtypes, channel counts and the output size."""
        f = "deconvolution_2d"
        type_check.expect_n_inputs(f, in_types, (2, 3))
        x, w = in_types[0], in_types[1]
        type_check.expect_float(f, "x", x)
        type_check.expect_ndim(f, "x", x, 4)
        type_check.expect_ndim(f, "W", w, 4)
        type_check.expect_same_dtype(f, ("x", "W", "b")[:len(in_types)], tuple(in_types))
        type_check.expect_equal(f, "x.shape[1]", x.shape[1], "W.shape[0]", w.shape[0])
        if w.shape[0] % self._groups:
            raise type_check.InvalidType(
                f"{f}: W.shape[0] ({w.shape[0]}) must be divisible by groups ({self._groups})"
            )
        if len(in_types) == 3:
            b = in_types[2]
            type_check.expect_ndim(f, "b", b, 1)
            if b.shape[0] != w.shape[1] * self._groups:
                want = _times_groups("W.shape[1]", w.shape[1], self._groups)
                raise type_check.InvalidType(f"{f}: b.shape[0] ({b.shape[0]}) != {want}")
        out_h, out_w = self._out_size(x.shape[2], x.shape[3], w.shape[2], w.shape[3])
        if out_h <= 0 or out_w <= 0:
            raise type_check.InvalidType(
                f"{f}: the output would be empty ({out_h} x {out_w}) for x of spatial size "
                f"{tuple(x.shape[2:])} and kernel {tuple(w.shape[2:])}"
            )
        for size, out, k, s, p, d, axis in (
            (x.shape[2], out_h, w.shape[2], self._stride[0], self._pad[0], self._dilate[0], "h"),
            (x.shape[3], out_w, w.shape[3], self._stride[1], self._pad[1], self._dilate[1], "w"),
        ):
            lo = get_conv_outsize(out, k, s, p, d=d)
            hi = get_conv_outsize(out, k, s, p, cover_all=True, d=d)
            if not lo <= size <= hi:
                raise type_check.InvalidType(
                    f"{f}: outsize {axis} ({out}) does not fit the input: a convolution of it "
                    f"gives {lo}..{hi}, x has {size}"
                )

    def forward(self, inputs: tuple) -> tuple:
        """One batched matrix product and col2im, then the bias added in place."""
        self.retain_inputs((0, 1))
        x, W = inputs[:2]
        h, w = x.shape[2:]
        kh, kw = W.shape[2:]
        out_h, out_w = self._out_size(h, w, kh, kw)
        (sy, sx), (ph, pw), (dy, dx) = self._stride, self._pad, self._dilate
        # the convolution that maps the output back onto x may need cover_all
        cover_all = (get_conv_outsize(out_h, kh, sy, ph, d=dy) != h
                     or get_conv_outsize(out_w, kw, sx, pw, d=dx) != w)
        self.params = _ConvParams(self._stride, self._pad, self._dilate, self._groups, cover_all)
        y = self.params.grad_x(x, W, out_h, out_w)
        if len(inputs) == 3:
            y += inputs[2].reshape(1, -1, 1, 1)
        return (y,)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """``gx`` is a convolution of ``gy``, ``gW`` a correlation of ``gy`` with ``x``."""
        x, W = self.get_retained_inputs()
        gy = grad_outputs[0]
        p = self.params
        out = []
        for i in indexes:
            if i == 0:
                conv = Convolution2DFunction(**p.kwargs(), cover_all=p.cover_all)
                out.append(conv.apply((gy, W))[0])
            elif i == 1:
                out.append(Convolution2DGrad(p, (1,)).apply((gy, W, x))[0])
            else:
                c = gy.shape[1]
                out.append(reshape(sum_to(gy, (1, c, 1, 1)), (c,)))
        return tuple(out)


def deconvolution_2d(x: Variable | Any, W: Variable | Any, b: Variable | Any | None = None,
                     stride: int | tuple[int, int] = 1, pad: int | tuple[int, int] = 0,
                     outsize: tuple[int, int] | None = None, *,
                     dilate: int | tuple[int, int] = 1, groups: int = 1) -> Variable:
    """Two-dimensional deconvolution (transposed convolution).

    The adjoint of :func:`~kusari.functions.convolution_2d` in its input: every input pixel
    adds ``x[b, i, y, x] * W[i, o, u, v]`` to output pixel ``(y * sy + u * dy - ph,
    x * sx + v * dx - pw)`` (Zeiler et al., "Deconvolutional Networks", 2010; Dumoulin &
    Visin, "A guide to convolution arithmetic for deep learning", 2016). Without ``outsize`` the
    output size is ``sy * (h - 1) + dkh - 2 ph``, ``dkh = (kh - 1) * dy + 1`` (likewise for the
    width).

    Args:
        x: Input ``(B, I, h, w)``, float16/32/64.
        W: Filters ``(I, O // groups, kh, kw)`` of ``x``'s dtype.
        b: Bias ``(O,)`` of ``x``'s dtype, or ``None``.
        stride: Stride ``sy = sx`` or a pair ``(sy, sx)``, each >= 1.
        pad: Padding ``ph = pw`` or ``(ph, pw)``, each >= 0, cropped from both sides.
        outsize: Output size ``(out_h, out_w)``; a convolution with the same arguments must map
            it back to ``(h, w)`` (with or without ``cover_all``). ``None`` picks the smallest.
        dilate: Dilation ``dy = dx`` or ``(dy, dx)``, each >= 1.
        groups: Number of channel groups; ``I`` must be divisible by it.

    Returns:
        A Variable ``(B, O, out_h, out_w)``.

    Raises:
        TypeError: ``stride``, ``pad``, ``dilate`` or ``outsize`` is not an int or a pair.
        ValueError: One of them is out of range, or ``groups`` is not a positive int.
        InvalidType: Ranks, dtypes or channel counts do not match, or ``outsize`` does not fit.
    """
    func = Deconvolution2DFunction(stride, pad, outsize, dilate, groups)
    return func.apply((x, W) if b is None else (x, W, b))[0]
