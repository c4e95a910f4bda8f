"""The 2-D dilated convolution layer (``chainer.links.DilatedConvolution2D``)."""

from __future__ import annotations

from typing import Any

from kusari.links.connection.convolution_2d import Convolution2D

__all__ = ["DilatedConvolution2D"]


class DilatedConvolution2D(Convolution2D):
    """2-D dilated convolution layer, wrapping :func:`kusari.functions.dilated_convolution_2d`.

    It is :class:`Convolution2D` with ``dilate`` as a positional argument (Chainer's argument
    order) and no ``groups``. ``DilatedConvolution2D(out_channels, ksize, ...)`` (``ksize``
    left out) and ``DilatedConvolution2D(None, out_channels, ksize, ...)`` leave the number of
    input channels open: ``W`` is created at the first call from ``x.shape[1]``. Dilated
    convolution is from Yu & Koltun, "Multi-Scale Context Aggregation by Dilated
    Convolutions", ICLR 2016.

    Args:
        in_channels: Number of input channels ``C``, or ``None`` to infer it at the first call.
        out_channels: Number of output channels.
        ksize: Kernel size: an int ``k`` (``k x k``) or a pair ``(kH, kW)``.
        stride: Stride: an int or a pair ``(sy, sx)``.
        pad: Zero padding of each spatial side: an int or a pair ``(ph, pw)``.
        dilate: Dilation of the kernel: an int or a pair ``(dy, dx)``.
        nobias: If ``True``, the layer has no bias (``b`` is ``None``).
        initialW: Initializer of ``W (out_channels, in_channels, kH, kW)``: an initializer, a
            scalar, an array, or ``None`` for :class:`~kusari.initializers.LeCunNormal`.
        initial_bias: Initializer of ``b (out_channels,)``; ``None`` for zeros.

    Attributes:
        W (~kusari.Parameter): The filter ``(out_channels, in_channels, kH, kW)``.
        b (~kusari.Parameter or None): The bias ``(out_channels,)``.

    Raises:
        ValueError: ``out_channels`` or ``ksize`` is missing.

    Example:
        >>> conv = L.DilatedConvolution2D(3, 8, ksize=3, pad=2, dilate=2)
        >>> conv(numpy.zeros((2, 3, 5, 5), numpy.float32)).shape
        (2, 8, 5, 5)
    """

    def __init__(
        self,
        in_channels: int | None,
        out_channels: int | None = None,
        ksize: int | tuple[int, int] | None = None,
        stride: int | tuple[int, int] = 1,
        pad: int | tuple[int, int] = 0,
        dilate: int | tuple[int, int] = 1,
        nobias: bool = False,
        initialW: Any = None,
        initial_bias: Any = None,
    ) -> None:
        if ksize is None:
            in_channels, out_channels, ksize = None, in_channels, out_channels
        if out_channels is None or ksize is None:
            raise ValueError(
                f"DilatedConvolution2D: out_channels and ksize are required, got out_channels="
                f"{out_channels} and ksize={ksize}"
            )
        super().__init__(
            in_channels,
            out_channels,
            ksize,
            stride,
            pad,
            nobias,
            initialW,
            initial_bias,
            dilate=dilate,
        )
