"""Array kernels and argument checks shared by the 2-D convolution and pooling functions.

Convolution is computed as im2col (a strided view of the padded input, see
:mod:`kusari.utils.conv`) followed by one batched matrix product; its adjoints (the input
gradient, i.e. deconvolution, and the filter gradient) reuse the same layout. Channels are split
into ``groups`` blocks: filter block ``g`` only sees input channels of block ``g``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy

from kusari import backend
from kusari.utils import type_check
from kusari.utils.conv import _add_windows, _im2col_view, col2im, get_conv_outsize

# The most window elements :func:`conv_forward` copies at once (8 MiB of float32), and the
# fewest output columns a band may have for the banded product to pay off.
_COL_BLOCK_SIZE = 1 << 21
_MIN_BAND_COLUMNS = 512


def pair(value: Any, fname: str, name: str, minimum: int) -> tuple[int, int]:
    """Return ``value`` (an int or a pair of ints) as a pair, each at least ``minimum``.

    Raises:
        TypeError: ``value`` is not an int or a pair of ints.
        ValueError: An entry is below ``minimum``.
    """
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in items
    ):
        raise TypeError(f"{fname}: {name} must be an int or a pair of ints, got {value!r}")
    a, b = int(items[0]), int(items[1])
    if a < minimum or b < minimum:
        raise ValueError(f"{fname}: {name} must be >= {minimum}, got {value!r}")
    return a, b


def conv_forward(x: Any, W: Any, sy: int, sx: int, ph: int, pw: int, dy: int, dx: int,
                 groups: int, cover_all: bool) -> Any:
    """Cross-correlate ``x (B, C, H, W)`` with ``W (O, C // groups, kh, kw)``, no bias.

    Returns:
        A C-contiguous array ``(B, O, out_h, out_w)``.
    """
    xp = backend.get_array_module(x)
    n = x.shape[0]
    out_c, c_g, kh, kw = W.shape
    k = c_g * kh * kw
    col = _im2col_view(x, kh, kw, sy, sx, ph, pw, 0, cover_all, dy, dx)
    out_h, out_w = col.shape[4:]
    w = W.reshape(groups, out_c // groups, k)
    rows = max(1, _COL_BLOCK_SIZE // (n * groups * k * out_w))
    if rows >= out_h or rows * out_w < _MIN_BAND_COLUMNS or xp is not numpy:
        y = xp.matmul(w, col.reshape(n, groups, k, out_h * out_w))
        return y.reshape(n, out_c, out_h, out_w)
    # A large image on the CPU: copy the windows a band of output rows at a time, so that each
    # band's copy stays in cache and no full-size copy of the windows is ever allocated. Bands
    # thinner than _MIN_BAND_COLUMNS (a large batch) would make BLAS slower than the copy saves.
    y = xp.empty((n, groups, out_c // groups, out_h, out_w), dtype=xp.result_type(x, W))
    col = col.reshape(n, groups, c_g, kh, kw, out_h, out_w)
    for top in range(0, out_h, rows):
        bottom = min(out_h, top + rows)
        band = col[..., top:bottom, :].reshape(n, groups, k, (bottom - top) * out_w)
        y[..., top:bottom, :] = xp.matmul(w, band).reshape(y[..., top:bottom, :].shape)
    return y.reshape(n, out_c, out_h, out_w)


def conv_grad_w(x: Any, gy: Any, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int, dy: int,
                dx: int, groups: int, cover_all: bool) -> Any:
    """Gradient of :func:`conv_forward` with respect to ``W`` given ``gy (B, O, out_h, out_w)``.

    Returns:
        An array ``(O, C // groups, kh, kw)``.
    """
    xp = backend.get_array_module(x)
    n, c = x.shape[:2]
    out_c, out_h, out_w = gy.shape[1:]
    c_g, o_g, k = c // groups, out_c // groups, (c // groups) * kh * kw
    col = _im2col_view(x, kh, kw, sy, sx, ph, pw, 0, cover_all, dy, dx, out_h, out_w)
    # one copy of the windows, already in the (groups, K, B * out_h * out_w) layout of the product
    col = col.reshape(n, groups, c_g, kh, kw, out_h, out_w).transpose(1, 2, 3, 4, 0, 5, 6)
    col = col.reshape(groups, k, -1)
    gy = gy.reshape(n, groups, o_g, out_h * out_w).transpose(1, 2, 0, 3).reshape(groups, o_g, -1)
    gw = xp.matmul(gy, col.transpose(0, 2, 1))
    return gw.reshape(out_c, c_g, kh, kw)


def deconv_forward(x: Any, W: Any, sy: int, sx: int, ph: int, pw: int, out_h: int, out_w: int,
                   dy: int, dx: int, groups: int) -> Any:
    """Transposed convolution of ``x (B, I, h, w)`` with ``W (I, O // groups, kh, kw)``, no bias.

    This is the adjoint of :func:`conv_forward` in its input (the input gradient of a
    convolution whose filter is ``W``).

    Returns:
        A C-contiguous array ``(B, O, out_h, out_w)``.
    """
    xp = backend.get_array_module(x)
    n, in_c, h, w = x.shape
    o_g, kh, kw = W.shape[1:]
    i_g = in_c // groups
    w_t = W.reshape(groups, i_g, o_g * kh * kw).transpose(0, 2, 1)
    col = xp.matmul(w_t, x.reshape(n, groups, i_g, h * w))
    col = col.reshape(n, groups * o_g, kh, kw, h, w)
    return col2im(col, sy, sx, ph, pw, out_h, out_w, dy, dx)


def sum_channels(gy: Any) -> Any:
    """Sum ``gy (B, C, H, W)`` over all axes but the channel axis: the bias gradient ``(C,)``."""
    return gy.sum(axis=(0, 2, 3))


class PoolingParams:
    """Window size, stride, padding and ``cover_all`` of one 2-D pooling call.

    Args:
        fname: The user-facing function name, for error messages.
        ksize: ``kh = kw`` or ``(kh, kw)``.
        stride: ``sy = sx`` or ``(sy, sx)``; ``None`` uses ``ksize``.
        pad: ``ph = pw`` or ``(ph, pw)``.
        cover_all: See :func:`kusari.utils.conv.get_conv_outsize`.

    Raises:
        TypeError: An argument is not an int or a pair of ints.
        ValueError: An argument is out of range.
    """

    def __init__(self, fname: str, ksize: Any, stride: Any, pad: Any, cover_all: bool) -> None:
        self.fname = fname
        self.kh, self.kw = pair(ksize, fname, "ksize", 1)
        self.sy, self.sx = (self.kh, self.kw) if stride is None else pair(
            stride, fname, "stride", 1)
        self.ph, self.pw = pair(pad, fname, "pad", 0)
        self.cover_all = cover_all

    def check_input(self, x: Any) -> None:
        """Check that ``x`` is a float ``(B, C, H, W)`` array with a non-empty output."""
        type_check.expect_float(self.fname, "x", x)
        type_check.expect_ndim(self.fname, "x", x, 4)
        out_h = get_conv_outsize(x.shape[2], self.kh, self.sy, self.ph, self.cover_all)
        out_w = get_conv_outsize(x.shape[3], self.kw, self.sx, self.pw, self.cover_all)
        if out_h <= 0 or out_w <= 0:
            raise type_check.InvalidType(
                f"{self.fname}: the output would be empty ({out_h} x {out_w}) for x of spatial "
                f"size {tuple(x.shape[2:])}, ksize {(self.kh, self.kw)}, stride "
                f"{(self.sy, self.sx)}, pad {(self.ph, self.pw)}"
            )

    def windows(self, x: Any, pval: float) -> Any:
        """A strided view of the windows of ``x``, ``(B, C, kh, kw, out_h, out_w)``."""
        return _im2col_view(x, self.kh, self.kw, self.sy, self.sx, self.ph, self.pw, pval,
                            self.cover_all)

    def add_windows(self, piece: Any, out_shape: tuple[int, ...], dtype: Any, xp: Any, h: int,
                    w: int) -> Any:
        """col2im without the windows array: add ``piece(i, j)`` for every kernel offset.

        ``piece(i, j)`` gives the entries ``(B, C, out_h, out_w)`` of offset ``(i, j)``; the
        result is the ``(B, C, h, w)`` grid they are added onto.
        """
        return _add_windows(piece, out_shape, self.kh, self.kw, dtype, xp, self.sy, self.sx,
                            self.ph, self.pw, h, w)
