"""Sizes and patch extraction for 2-D convolution and pooling (Chainer's ``chainer.utils.conv``).

:func:`im2col` lays out the patches of an image batch ``(B, C, H, W)`` as an array
``(B, C, kh, kw, out_h, out_w)``: ``col[b, c, i, j, y, x]`` is the input pixel that kernel offset
``(i, j)`` sees at output position ``(y, x)``. :func:`col2im` is its adjoint: it adds every entry of
such an array back to the pixel it came from. Both run on NumPy or CuPy arrays alike.
"""

from __future__ import annotations

from typing import Any

from kusari import backend

__all__ = [
    "col2im",
    "col2im_cpu",
    "col2im_gpu",
    "get_conv_outsize",
    "get_deconv_outsize",
    "im2col",
    "im2col_cpu",
    "im2col_gpu",
]


def get_conv_outsize(size: int, k: int, s: int, p: int, cover_all: bool = False,
                     d: int = 1) -> int:
    """Output length of a convolution (or pooling) along one spatial axis.

    Args:
        size: Input length.
        k: Kernel length.
        s: Stride.
        p: Padding added on each side.
        cover_all: Add windows until every input pixel is covered (the last window may run past
            the padded input).
        d: Dilation: the kernel's taps are ``d`` pixels apart.

    Returns:
        The number of output positions (may be ``<= 0`` when the kernel is too large).
    """
    dk = k + (k - 1) * (d - 1)
    if cover_all:
        return (size + p * 2 - dk + s - 1) // s + 1
    return (size + p * 2 - dk) // s + 1


def get_deconv_outsize(size: int, k: int, s: int, p: int, cover_all: bool = False,
                       d: int = 1) -> int:
    """Output length of a deconvolution (transposed convolution) along one spatial axis.

    It inverts :func:`get_conv_outsize`: a convolution with the same arguments maps the result
    back to ``size``.

    Args:
        size: Input length.
        k: Kernel length.
        s: Stride.
        p: Padding.
        cover_all: Whether the matching convolution uses ``cover_all``.
        d: Dilation.

    Returns:
        The output length.
    """
    dk = (k - 1) * d + 1
    if cover_all:
        return s * (size - 1) + dk - s + 1 - 2 * p
    return s * (size - 1) + dk - 2 * p


def _im2col_view(img: Any, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int,
                 pval: float = 0, cover_all: bool = False, dy: int = 1, dx: int = 1,
                 out_h: int | None = None, out_w: int | None = None) -> Any:
    """:func:`im2col` as a strided view of the padded image (no copy of the patches).

    The view shares memory between overlapping windows: read it, never write into it.
    """
    xp = backend.get_array_module(img)
    n, c, h, w = img.shape
    if out_h is None:
        out_h = get_conv_outsize(h, kh, sy, ph, cover_all, dy)
    if out_w is None:
        out_w = get_conv_outsize(w, kw, sx, pw, cover_all, dx)
    # pad below and right only as far as the last window reaches
    bottom = max(0, (out_h - 1) * sy + (kh - 1) * dy + 1 - h - ph)
    right = max(0, (out_w - 1) * sx + (kw - 1) * dx + 1 - w - pw)
    if ph or pw or bottom or right:
        img = xp.pad(img, ((0, 0), (0, 0), (ph, bottom), (pw, right)),
                     mode="constant", constant_values=(pval,))
    s0, s1, s2, s3 = img.strides
    return xp.lib.stride_tricks.as_strided(
        img, (n, c, kh, kw, out_h, out_w), (s0, s1, s2 * dy, s3 * dx, s2 * sy, s3 * sx)
    )


def im2col(img: Any, kh: int, kw: int, sy: int, sx: int, ph: int, pw: int, pval: float = 0,
           cover_all: bool = False, dy: int = 1, dx: int = 1, out_h: int | None = None,
           out_w: int | None = None) -> Any:
    """Extract the sliding windows of an image batch.

    Args:
        img: Images ``(B, C, H, W)``, NumPy or CuPy.
        kh: Kernel height.
        kw: Kernel width.
        sy: Vertical stride.
        sx: Horizontal stride.
        ph: Padding added above and below.
        pw: Padding added left and right.
        pval: Value of the padding.
        cover_all: Add windows until every pixel is covered (see :func:`get_conv_outsize`).
        dy: Vertical dilation.
        dx: Horizontal dilation.
        out_h: Number of window rows (computed from the other arguments when ``None``).
        out_w: Number of window columns (likewise).

    Returns:
        A new C-contiguous array ``(B, C, kh, kw, out_h, out_w)`` of ``img``'s dtype.
    """
    col = _im2col_view(img, kh, kw, sy, sx, ph, pw, pval, cover_all, dy, dx, out_h, out_w)
    return backend.get_array_module(img).ascontiguousarray(col)


def col2im(col: Any, sy: int, sx: int, ph: int, pw: int, h: int, w: int, dy: int = 1,
           dx: int = 1) -> Any:
    """Add the windows ``col`` back onto an image (the adjoint of :func:`im2col`).

    Args:
        col: Windows ``(B, C, kh, kw, out_h, out_w)``.
        sy: Vertical stride.
        sx: Horizontal stride.
        ph: Padding above and below (cropped from the result).
        pw: Padding left and right (cropped from the result).
        h: Height of the image to produce.
        w: Width of the image to produce.
        dy: Vertical dilation.
        dx: Horizontal dilation.

    Returns:
        A C-contiguous array ``(B, C, h, w)`` of ``col``'s dtype; a pixel covered by several
        windows receives the sum of their entries.
    """
    n, c, kh, kw, out_h, out_w = col.shape
    return _add_windows(lambda i, j: col[:, :, i, j], (n, c, out_h, out_w), kh, kw, col.dtype,
                        backend.get_array_module(col), sy, sx, ph, pw, h, w, dy, dx)


def _add_windows(piece: Any, out_shape: tuple[int, ...], kh: int, kw: int, dtype: Any, xp: Any,
                 sy: int, sx: int, ph: int, pw: int, h: int, w: int, dy: int = 1,
                 dx: int = 1) -> Any:
    """:func:`col2im` with the window entries of offset ``(i, j)`` given by ``piece(i, j)``.

    ``piece(i, j)`` returns an array broadcastable to ``out_shape`` ``(B, C, out_h, out_w)``, so
    callers need not build the whole ``(B, C, kh, kw, out_h, out_w)`` array.
    """
    n, c, out_h, out_w = out_shape
    hp = max(h + ph, (out_h - 1) * sy + (kh - 1) * dy + 1)
    wp = max(w + pw, (out_w - 1) * sx + (kw - 1) * dx + 1)
    img = xp.zeros((n, c, hp, wp), dtype)
    # one strided add per kernel offset: kh * kw vectorized passes, never a loop over pixels
    for i in range(kh):
        top = i * dy
        rows = slice(top, top + sy * out_h, sy)
        for j in range(kw):
            left = j * dx
            img[:, :, rows, left:left + sx * out_w:sx] += piece(i, j)
    return xp.ascontiguousarray(img[:, :, ph:ph + h, pw:pw + w])


# Chainer's per-device names; one xp-generic body serves both
im2col_cpu = im2col
im2col_gpu = im2col
col2im_cpu = col2im
col2im_gpu = col2im
