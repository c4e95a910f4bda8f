"""The 2-D convolution layer (``chainer.links.Convolution2D``)."""

from __future__ import annotations

from typing import Any

from kusari import initializers
from kusari.functions.connection.convolution_2d import convolution_2d
from kusari.link import Link
from kusari.variable import Parameter, Variable

__all__ = ["Convolution2D"]


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return value, value


class Convolution2D(Link):
    """2-D convolution layer, wrapping :func:`kusari.functions.convolution_2d`.

    ``Convolution2D(out_channels, ksize, ...)`` (``ksize`` left out) and
    ``Convolution2D(None, out_channels, ksize, ...)`` leave the number of input channels open:
    ``W`` is created at the first call from ``x.shape[1]``.

    Args:
        in_channels: Number of input channels ``C``, or ``None`` to infer it at the first call.
        out_channels: Number of output channels.
        ksize: Kernel size: an int ``k`` (``k x k``) or a pair ``(kH, kW)``.
        stride: Stride: an int or a pair ``(sy, sx)``.
        pad: Zero padding of each spatial side: an int or a pair ``(ph, pw)``.
        nobias: If ``True``, the layer has no bias (``b`` is ``None``).
        initialW: Initializer of ``W (out_channels, in_channels // groups, kH, kW)``: an
            initializer, a scalar, an array, or ``None`` for
            :class:`~kusari.initializers.LeCunNormal`.
        initial_bias: Initializer of ``b (out_channels,)``; ``None`` for zeros.
        dilate: Dilation factor of the kernel: an int or a pair ``(dy, dx)``
            (Yu and Koltun 2016, "Multi-Scale Context Aggregation by Dilated Convolutions").
        groups: Number of groups of channels (grouped convolution, Krizhevsky et al. 2012);
            ``in_channels`` and ``out_channels`` must be divisible by it.

    Attributes:
        W (~kusari.Parameter): The filter ``(out_channels, in_channels // groups, kH, kW)``.
        b (~kusari.Parameter or None): The bias ``(out_channels,)``.

    Raises:
        ValueError: ``out_channels`` or ``in_channels`` is not divisible by ``groups``.

    Example:
        >>> conv = L.Convolution2D(3, 8, ksize=3, pad=1)
        >>> conv(numpy.zeros((2, 3, 5, 5), numpy.float32)).shape
        (2, 8, 5, 5)
        >>> lazy = L.Convolution2D(8, 3)
        >>> lazy(numpy.zeros((2, 4, 5, 5), numpy.float32)).shape, lazy.W.shape
        ((2, 8, 3, 3), (8, 4, 3, 3))
    """

    def __init__(
        self,
        in_channels: int | None,
        out_channels: int,
        ksize: int | tuple[int, int] | None = None,
        stride: int | tuple[int, int] = 1,
        pad: int | tuple[int, int] = 0,
        nobias: bool = False,
        initialW: Any = None,
        initial_bias: Any = None,
        *,
        dilate: int | tuple[int, int] = 1,
        groups: int = 1,
    ) -> None:
        super().__init__()
        if ksize is None:
            in_channels, out_channels, ksize = None, in_channels, out_channels
        if out_channels is None or ksize is None:
            raise ValueError(
                f"Convolution2D: out_channels and ksize are required, got out_channels="
                f"{out_channels} and ksize={ksize}"
            )
        groups = int(groups)
        if groups < 1:
            raise ValueError(f"Convolution2D: groups must be >= 1, got {groups}")
        if out_channels % groups != 0:
            raise ValueError(
                f"Convolution2D: out_channels ({out_channels}) must be divisible by groups "
                f"({groups})"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.ksize = ksize
        self.stride = _pair(stride)
        self.pad = _pair(pad)
        self.dilate = _pair(dilate)
        self.groups = groups
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW))
            if in_channels is not None:
                self._initialize_params(in_channels)
            if nobias:
                self.b = None
            else:
                if initial_bias is None:
                    initial_bias = 0
                self.b = Parameter(initializers._get_initializer(initial_bias), out_channels)

    def _initialize_params(self, in_channels: int) -> None:
        if in_channels % self.groups != 0:
            raise ValueError(
                f"Convolution2D: in_channels ({in_channels}) must be divisible by groups "
                f"({self.groups})"
            )
        kh, kw = _pair(self.ksize)
        self.W.initialize((self.out_channels, in_channels // self.groups, kh, kw))

    def forward(self, x: Variable | Any) -> Variable:
        """Apply the convolution.

        Args:
            x: Input ``(B, C, H, W)``.

        Returns:
            A Variable ``(B, out_channels, H_out, W_out)`` with
            ``H_out = (H + 2 * ph - dy * (kH - 1) - 1) // sy + 1`` (likewise ``W_out``).
        """
        if self.W.array is None:
            self._initialize_params(x.shape[1])
        return convolution_2d(
            x, self.W, self.b, self.stride, self.pad, dilate=self.dilate, groups=self.groups
        )
