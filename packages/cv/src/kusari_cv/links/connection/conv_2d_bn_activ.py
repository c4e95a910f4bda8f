"""Convolution, batch normalization and an activation (``chainercv.links.Conv2DBNActiv``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import kusari
import kusari.functions as F
import kusari.links as L
from kusari_cv.links.connection.conv_2d_activ import _check_activ

__all__ = ["Conv2DBNActiv"]


class Conv2DBNActiv(kusari.Chain):
    """A 2-D convolution, then batch normalization, then an activation.

    The arguments are those of :class:`kusari.links.Convolution2D` plus ``activ`` and
    ``bn_kwargs``; unlike there, ``nobias`` defaults to ``True`` (the normalization's ``beta``
    plays the bias's role). ``Conv2DBNActiv(out_channels, ksize)`` and
    ``Conv2DBNActiv(None, out_channels, ksize)`` infer the input channels at the first call.

    The children are ``conv`` (:class:`~kusari.links.Convolution2D`) and ``bn``
    (:class:`~kusari.links.BatchNormalization`), so the weights are saved as ``conv/W``,
    ``bn/gamma``, ``bn/beta``, ``bn/avg_mean``, ``bn/avg_var``, ``bn/N`` (ChainerCV's layout).

    Source of batch normalization: Ioffe and Szegedy, "Batch Normalization: Accelerating Deep
    Network Training by Reducing Internal Covariate Shift", ICML 2015.

    Args:
        in_channels: Number of input channels ``C``, or ``None`` to infer it at the first call.
        out_channels: Number of output channels.
        ksize: Kernel size: an int or a pair ``(kH, kW)``.
        stride: Stride: an int or a pair.
        pad: Zero padding of each spatial side: an int or a pair.
        dilate: Dilation factor: an int or a pair.
        groups: Number of groups of the grouped convolution (1: an ordinary convolution).
        nobias: If ``True`` (default), the convolution has no bias.
        initialW: Initializer of the filter ``W`` (``None``: LeCunNormal).
        initial_bias: Initializer of the bias ``b`` (``None``: zeros).
        activ: Activation applied last; ``None`` means identity. Default:
            :func:`kusari.functions.relu`.
        bn_kwargs: Keyword arguments of :class:`kusari.links.BatchNormalization` (e.g.
            ``{'decay': 0.9, 'eps': 2e-5}``); ``None`` means none.

    Raises:
        ValueError: ``bn_kwargs`` has the key ``'comm'`` (ChainerMN's multi-node batch
            normalization is not available).
        TypeError: ``activ`` is not callable, or ``bn_kwargs`` is not a mapping.

    Example:
        >>> layer = Conv2DBNActiv(3, 8, 3, pad=1)
        >>> layer(numpy.zeros((2, 3, 5, 5), numpy.float32)).shape
        (2, 8, 5, 5)
    """

    def __init__(
        self,
        in_channels: int | None,
        out_channels: int | None,
        ksize: int | tuple[int, int] | None = None,
        stride: int | tuple[int, int] = 1,
        pad: int | tuple[int, int] = 0,
        dilate: int | tuple[int, int] = 1,
        groups: int = 1,
        nobias: bool = True,
        initialW: Any = None,
        initial_bias: Any = None,
        activ: Callable[[Any], Any] | None = F.relu,
        bn_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if ksize is None:
            in_channels, out_channels, ksize = None, in_channels, out_channels
        _check_activ("Conv2DBNActiv", activ)
        if bn_kwargs is None:
            bn_kwargs = {}
        if not isinstance(bn_kwargs, Mapping):
            raise TypeError(
                f"Conv2DBNActiv: bn_kwargs must be a dict, got {type(bn_kwargs).__name__}"
            )
        if "comm" in bn_kwargs:
            raise ValueError(
                "Conv2DBNActiv: bn_kwargs['comm'] (ChainerMN's MultiNodeBatchNormalization) is "
                "not supported; remove the 'comm' key"
            )
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
                groups=groups,
            )
            self.bn = L.BatchNormalization(out_channels, **bn_kwargs)

    def forward(self, x: kusari.Variable | Any) -> kusari.Variable:
        """Apply the convolution, the normalization and the activation.

        Args:
            x: Input ``(B, C, H, W)``.

        Returns:
            A Variable ``(B, out_channels, H_out, W_out)``.
        """
        h = self.bn(self.conv(x))
        if self.activ is None:
            return h
        return self.activ(h)
