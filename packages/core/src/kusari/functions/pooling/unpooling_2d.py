"""unpooling_2d: spread every pixel over its pooling window (the adjoint of sum pooling)."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions import _conv_utils
from kusari.utils import type_check
from kusari.utils.conv import _im2col_view, get_conv_outsize, get_deconv_outsize
from kusari.variable import Variable


def _spread(x: Any, p: _conv_utils.PoolingParams, out_h: int, out_w: int) -> Any:
    """Add each pixel of ``x (B, C, h, w)`` to every position of its window on the output.

    Returns:
        A C-contiguous array ``(B, C, out_h, out_w)``.
    """
    xp = backend.get_array_module(x)
    n, c, h, w = x.shape
    if (p.sy, p.sx) != (p.kh, p.kw) or p.kh * p.kw == 1:
        return p.add_windows(lambda i, j: x, x.shape, x.dtype, xp, out_h, out_w)
    # windows tile the plane without overlap: every output pixel copies one input pixel; two
    # repeats are about 2x faster than copying a broadcast (n, c, h, kh, w, kw) view
    y = x.repeat(p.kh, axis=2) if p.kh > 1 else x
    y = y.repeat(p.kw, axis=3) if p.kw > 1 else y
    if (p.ph, p.pw, out_h, out_w) == (0, 0, h * p.kh, w * p.kw):
        return y
    bottom = max(0, p.ph + out_h - h * p.kh)
    right = max(0, p.pw + out_w - w * p.kw)
    if bottom or right:
        y = xp.pad(y, ((0, 0), (0, 0), (0, bottom), (0, right)))
    return xp.ascontiguousarray(y[:, :, p.ph : p.ph + out_h, p.pw : p.pw + out_w])


def _sum_windows(gy: Any, p: _conv_utils.PoolingParams, h: int, w: int) -> Any:
    """Sum ``gy (B, C, H, W)`` over each of the ``h x w`` windows (sum pooling).

    Returns:
        An array ``(B, C, h, w)``.
    """
    xp = backend.get_array_module(gy)
    if (p.sy, p.sx) == (p.kh, p.kw):
        # no overlap: bring gy to exactly h * kh rows and w * kw columns, add the kh rows of
        # each window (contiguous slices), then the kw columns
        n, c, rows, cols = gy.shape
        bottom, right = h * p.kh - p.ph - rows, w * p.kw - p.pw - cols
        if p.ph or p.pw or bottom > 0 or right > 0:
            gy = xp.pad(gy, ((0, 0), (0, 0), (p.ph, max(0, bottom)), (p.pw, max(0, right))))
        col = gy[:, :, : h * p.kh, : w * p.kw].reshape(n, c, h, p.kh, w * p.kw)
        acc = col[:, :, :, 0].copy()
        for i in range(1, p.kh):
            acc += col[:, :, :, i]
        acc = acc.reshape(n, c, h, w, p.kw)
        out = acc[..., 0].copy()
        for j in range(1, p.kw):
            out += acc[..., j]
        return out
    col = _im2col_view(gy, p.kh, p.kw, p.sy, p.sx, p.ph, p.pw, 0, p.cover_all, out_h=h, out_w=w)
    # one strided add per kernel offset: faster than reducing over the two window axes
    out = col[:, :, 0, 0].copy()
    for i in range(p.kh):
        for j in range(p.kw):
            if i or j:
                out += col[:, :, i, j]
    return out


class Unpooling2D(FunctionNode):
    """Spread each pixel over its ``kh x kw`` window; overlapping windows add up."""

    def __init__(self, params: _conv_utils.PoolingParams, outsize: tuple[int, int] | None) -> None:
        self.params = params
        self.outsize = outsize

    def _out_size(self, h: int, w: int) -> tuple[int, int]:
        if self.outsize is not None:
            return self.outsize
        p = self.params
        return (
            get_deconv_outsize(h, p.kh, p.sy, p.ph, p.cover_all),
            get_deconv_outsize(w, p.kw, p.sx, p.pw, p.cover_all),
        )

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check a float ``(B, C, h, w)`` input that matches ``outsize`` (if given)."""
        f = "unpooling_2d"
        type_check.expect_n_inputs(f, in_types, 1)
        (x,) = in_types
        type_check.expect_float(f, "x", x)
        type_check.expect_ndim(f, "x", x, 4)
        p = self.params
        out_h, out_w = self._out_size(x.shape[2], x.shape[3])
        if out_h <= 0 or out_w <= 0:
            raise type_check.InvalidType(
                f"{f}: the output would be empty ({out_h} x {out_w}) for x of spatial size "
                f"{tuple(x.shape[2:])}, ksize {(p.kh, p.kw)}, stride {(p.sy, p.sx)}, pad "
                f"{(p.ph, p.pw)}"
            )
        if self.outsize is not None:
            for axis, out, k, s, pad in (
                (2, out_h, p.kh, p.sy, p.ph),
                (3, out_w, p.kw, p.sx, p.pw),
            ):
                want = get_conv_outsize(out, k, s, pad, p.cover_all)
                if want != x.shape[axis]:
                    raise type_check.InvalidType(
                        f"{f}: outsize {self.outsize} does not fit x.shape[{axis}] "
                        f"({x.shape[axis]}): pooling an output of size {out} gives {want} "
                        f"(ksize {k}, stride {s}, pad {pad}, cover_all {p.cover_all})"
                    )

    def forward(self, inputs: tuple) -> tuple:
        """Repeat the pixels (no overlap) or add them offset by offset (overlap)."""
        (x,) = inputs
        self._in_hw = x.shape[2:]
        self._out_hw = self._out_size(x.shape[2], x.shape[3])
        return (_spread(x, self.params, *self._out_hw),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Sum the gradient over each window (sum pooling, the adjoint)."""
        return Unpooling2DGrad(self.params, self._in_hw, self._out_hw).apply(grad_outputs)


class Unpooling2DGrad(FunctionNode):
    """Gradient of unpooling: sum ``gy`` over each window; its own gradient is unpooling."""

    def __init__(
        self, params: _conv_utils.PoolingParams, in_hw: tuple[int, int], out_hw: tuple[int, int]
    ) -> None:
        self.params = params
        self.in_hw = tuple(in_hw)
        self.out_hw = tuple(out_hw)

    def forward(self, inputs: tuple) -> tuple:
        """Sum pooling of ``gy (B, C, out_h, out_w)`` into ``(B, C, h, w)``."""
        return (_sum_windows(inputs[0], self.params, *self.in_hw),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Unpool the gradient's gradient back to ``(B, C, out_h, out_w)``."""
        return Unpooling2D(self.params, self.out_hw).apply(grad_outputs)


def unpooling_2d(
    x: Variable | Any,
    ksize: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    pad: int | tuple[int, int] = 0,
    outsize: tuple[int, int] | None = None,
    cover_all: bool = True,
) -> Variable:
    """Inverse of pooling: every pixel is copied to all positions of its ``kh x kw`` window.

    Windows are laid out as in pooling with the same ``ksize``, ``stride``, ``pad`` and
    ``cover_all``; where windows overlap, the copies add up and the padding is cropped. This is
    the adjoint (transpose) of sum pooling, i.e. a deconvolution with an all-ones filter per
    channel. With ``stride == ksize`` and no padding it repeats each pixel ``kh`` times down and
    ``kw`` times across; ``unpooling_2d(x, 2, cover_all=False)`` doubles the height and width
    (nearest-neighbour upsampling, as in YOLOv3 and FPN).

    Args:
        x: Input images ``(B, C, h, w)``, float16/32/64.
        ksize: Window size ``kh = kw`` or ``(kh, kw)``.
        stride: Stride ``sy = sx`` or ``(sy, sx)``; ``None`` uses ``ksize``.
        pad: Padding ``ph = pw`` or ``(ph, pw)`` cropped from both sides of the output.
        outsize: Output size ``(out_h, out_w)``; ``None`` uses
            :func:`~kusari.utils.conv.get_deconv_outsize`:
            ``sy * (h - 1) + kh - 2 ph`` (``cover_all=False``) or
            ``sy * (h - 1) + kh - sy + 1 - 2 ph`` (``cover_all=True``). Pooling an output of
            this size with the same arguments must give back ``h x w``.
        cover_all: Whether the matching pooling uses ``cover_all``; ``True`` makes the output
            smaller by ``sy - 1`` rows and ``sx - 1`` columns.

    Returns:
        A Variable ``(B, C, out_h, out_w)``.

    Raises:
        TypeError: ``ksize``, ``stride``, ``pad`` or ``outsize`` is not an int or a pair of
            ints.
        ValueError: One of them is out of range.
        InvalidType: ``x`` is not a float 4-D array, ``outsize`` does not match ``x``, or the
            output would be empty.

    Example:
        >>> x = numpy.array([[[[1, 2], [3, 4]]]], numpy.float32)
        >>> F.unpooling_2d(x, 2, cover_all=False).array[0, 0]
        array([[1., 1., 2., 2.],
               [1., 1., 2., 2.],
               [3., 3., 4., 4.],
               [3., 3., 4., 4.]], dtype=float32)
    """
    params = _conv_utils.PoolingParams("unpooling_2d", ksize, stride, pad, bool(cover_all))
    if outsize is not None:
        outsize = _conv_utils.pair(outsize, "unpooling_2d", "outsize", 1)
    return Unpooling2D(params, outsize).apply((x,))[0]
