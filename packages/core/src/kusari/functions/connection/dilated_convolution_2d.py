"""dilated_convolution_2d: two-dimensional convolution with a dilated (atrous) filter."""

from __future__ import annotations

from typing import Any

from kusari.functions.connection.convolution_2d import convolution_2d
from kusari.variable import Variable


def dilated_convolution_2d(
    x: Variable | Any,
    W: Variable | Any,
    b: Variable | Any | None = None,
    stride: int | tuple[int, int] = 1,
    pad: int | tuple[int, int] = 0,
    dilate: int | tuple[int, int] = 1,
    cover_all: bool = False,
) -> Variable:
    """Two-dimensional dilated convolution (the ``dilate`` case of :func:`convolution_2d`).

    The filter taps are ``dy`` rows and ``dx`` columns apart, so a ``kh x kw`` filter covers
    ``(kh - 1) * dy + 1`` by ``(kw - 1) * dx + 1`` input pixels:
    ``y[b, o, i, j] = bias[o] + sum_{c, u, v} W[o, c, u, v] *
    x_pad[b, c, i * sy + u * dy, j * sx + v * dx]``. From Yu & Koltun, "Multi-Scale Context
    Aggregation by Dilated Convolutions", ICLR 2016. It runs the very same node as
    ``convolution_2d(x, W, b, stride, pad, cover_all, dilate=dilate)``.

    Args:
        x: Input images ``(B, C, H, W)``, float16/32/64.
        W: Filters ``(O, C, kh, kw)`` of ``x``'s dtype.
        b: Bias ``(O,)`` of ``x``'s dtype, or ``None``.
        stride: Stride ``sy = sx`` or a pair ``(sy, sx)``, each >= 1.
        pad: Zero padding ``ph = pw`` or ``(ph, pw)``, each >= 0, added on both sides.
        dilate: Dilation ``dy = dx`` or ``(dy, dx)``, each >= 1.
        cover_all: Add output positions until every input pixel is covered (see
            :func:`convolution_2d`).

    Returns:
        A Variable ``(B, O, out_h, out_w)`` with
        ``out_h = (H + 2 ph - (kh - 1) * dy - 1) // sy + 1`` (likewise ``out_w``) when
        ``cover_all`` is false.

    Raises:
        TypeError: ``stride``, ``pad`` or ``dilate`` is not an int or a pair of ints.
        ValueError: One of them is out of range.
        InvalidType: Ranks, dtypes or channel counts do not match, or the output would be empty.
    """
    return convolution_2d(x, W, b, stride, pad, cover_all, dilate=dilate)
