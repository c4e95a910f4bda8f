"""Convolution followed by an activation (``chainercv.links.Conv2DActiv``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kusari
import kusari.functions as F
import kusari.links as L

__all__ = ["Conv2DActiv"]


class Conv2DActiv(kusari.Chain):
    """A 2-D convolution, then an activation.

    The arguments are those of :class:`kusari.links.Convolution2D` plus ``activ``. As there,
    ``Conv2DActiv(out_channels, ksize)`` and ``Conv2DActiv(None, out_channels, ksize)`` leave
    the number of input channels open until the first call.

    The convolution is the child ``conv``, so the weights are saved as ``conv/W`` and
    ``conv/b`` (ChainerCV's layout).

    Args:
        in_channels: Number of input channels ``C``, or ``None`` to infer it at the first call.
        out_channels: Number of output channels.
        ksize: Kernel size: an int or a pair ``(kH, kW)``.
        stride: Stride: an int or a pair.
        pad: Zero padding of each spatial side: an int or a pair.
        dilate: Dilation factor: an int or a pair (Yu and Koltun 2016, "Multi-Scale Context
            Aggregation by Dilated Convolutions").
        nobias: If ``True``, the convolution has no bias.
        initialW: Initializer of the filter ``W`` (``None``: LeCunNormal).
        initial_bias: Initializer of the bias ``b`` (``None``: zeros).
        activ: Activation applied to the convolution's output; ``None`` means identity.
            Default: :func:`kusari.functions.relu`.

    Example:
        >>> layer = Conv2DActiv(3, 8, 3, pad=1)
        >>> layer(numpy.zeros((1, 3, 5, 5), numpy.float32)).shape
        (1, 8, 5, 5)
    """

    def __init__(
        self,
        in_channels: int | None,
        out_channels: int | None,
        ksize: int | tuple[int, int] | None = None,
        stride: int | tuple[int, int] = 1,
        pad: int | tuple[int, int] = 0,
        dilate: int | tuple[int, int] = 1,
        nobias: bool = False,
        initialW: Any = None,
        initial_bias: Any = None,
        activ: Callable[[Any], Any] | None = F.relu,
    ) -> None:
        super().__init__()
        if ksize is None:
            in_channels, out_channels, ksize = None, in_channels, out_channels
        _check_activ("Conv2DActiv", activ)
        self.activ = activ
        with self.init_scope():
            self.conv = L.Convolution2D(
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

    def forward(self, x: kusari.Variable | Any) -> kusari.Variable:
        """Apply the convolution and the activation.

        Args:
            x: Input ``(B, C, H, W)``.

        Returns:
            A Variable ``(B, out_channels, H_out, W_out)``.
        """
        h = self.conv(x)
        if self.activ is None:
            return h
        return self.activ(h)


def _check_activ(name: str, activ: Any) -> None:
    if activ is not None and not callable(activ):
        raise TypeError(f"{name}: activ must be callable or None, got {type(activ).__name__}")
