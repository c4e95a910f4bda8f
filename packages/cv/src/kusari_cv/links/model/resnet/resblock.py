"""Residual blocks of ResNet (``chainercv.links.model.resnet.ResBlock``, ``Bottleneck``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kusari
import kusari.functions as F
from kusari_cv.links.connection.conv_2d_bn_activ import Conv2DBNActiv
from kusari_cv.links.model.pickable_sequential_chain import PickableSequentialChain

__all__ = ["Bottleneck", "ResBlock"]


class ResBlock(PickableSequentialChain):
    """A stage of ResNet: ``n_layer`` bottlenecks, the first one changing the shape.

    The first bottleneck is the child ``a`` (with a 1x1 projection ``residual_conv`` of the
    shortcut, applying ``stride``); the others are ``b1``, ``b2``, ... ``b{n_layer - 1}`` (identity
    shortcuts), as in ChainerCV.

    Source: Kaiming He et al., "Deep Residual Learning for Image Recognition", CVPR 2016.

    Args:
        n_layer: Number of bottlenecks (>= 1).
        in_channels: Channels of the input, or ``None`` to infer them at the first call.
        mid_channels: Channels inside each bottleneck.
        out_channels: Channels of the output.
        stride: Stride of the block (applied in the first bottleneck).
        dilate: Dilation of the 3x3 convolutions of every bottleneck.
        groups: Number of groups of the 3x3 convolutions (ResNeXt); 1 for ResNet.
        initialW: Initializer of the convolution weights (``None``: LeCunNormal).
        bn_kwargs: Keyword arguments of every :class:`~kusari.links.BatchNormalization`.
        stride_first: Where the first bottleneck strides: the first 1x1 convolution if
            ``True`` (the original paper, ``arch='he'``), else the 3x3 one (``arch='fb'``).

    Raises:
        ValueError: ``n_layer`` is smaller than 1.

    Example:
        >>> block = ResBlock(2, 8, 4, 16, stride=2)
        >>> block(numpy.zeros((1, 8, 6, 6), numpy.float32)).shape
        (1, 16, 3, 3)
    """

    def __init__(
        self,
        n_layer: int,
        in_channels: int | None,
        mid_channels: int,
        out_channels: int,
        stride: int | tuple[int, int],
        dilate: int | tuple[int, int] = 1,
        groups: int = 1,
        initialW: Any = None,
        bn_kwargs: Mapping[str, Any] | None = None,
        stride_first: bool = False,
    ) -> None:
        if not isinstance(n_layer, int) or n_layer < 1:
            raise ValueError(f"ResBlock: n_layer must be an int >= 1, got {n_layer!r}")
        super().__init__()
        with self.init_scope():
            self.a = Bottleneck(
                in_channels,
                mid_channels,
                out_channels,
                stride,
                dilate,
                groups,
                initialW,
                bn_kwargs=bn_kwargs,
                residual_conv=True,
                stride_first=stride_first,
            )
            for i in range(1, n_layer):
                bottleneck = Bottleneck(
                    out_channels,
                    mid_channels,
                    out_channels,
                    1,
                    dilate,
                    groups,
                    initialW,
                    bn_kwargs=bn_kwargs,
                    residual_conv=False,
                )
                setattr(self, f"b{i}", bottleneck)


class Bottleneck(kusari.Chain):
    """The bottleneck unit: 1x1, 3x3 and 1x1 convolutions plus a shortcut, then ReLU.

    ``relu(conv3(conv2(conv1(x))) + shortcut(x))`` where each ``convN`` is a
    :class:`~kusari_cv.links.Conv2DBNActiv` without bias (``conv3`` without activation), and
    ``shortcut`` is the child ``residual_conv`` (1x1 convolution + batch normalization) when
    ``residual_conv`` is ``True``, else the identity.

    Source: Kaiming He et al., "Deep Residual Learning for Image Recognition", CVPR 2016,
    Fig. 5 (right).

    Args:
        in_channels: Channels of the input, or ``None`` to infer them at the first call.
        mid_channels: Channels of ``conv1`` and ``conv2``.
        out_channels: Channels of the output.
        stride: Stride of the unit.
        dilate: Dilation (and padding) of the 3x3 convolution.
        groups: Number of groups of the 3x3 convolution.
        initialW: Initializer of the convolution weights (``None``: LeCunNormal).
        bn_kwargs: Keyword arguments of every :class:`~kusari.links.BatchNormalization`.
        residual_conv: Whether the shortcut is a 1x1 projection (needed when the shape
            changes) rather than the identity.
        stride_first: Apply ``stride`` in ``conv1`` if ``True``, else in ``conv2``.
    """

    def __init__(
        self,
        in_channels: int | None,
        mid_channels: int,
        out_channels: int,
        stride: int | tuple[int, int] = 1,
        dilate: int | tuple[int, int] = 1,
        groups: int = 1,
        initialW: Any = None,
        bn_kwargs: Mapping[str, Any] | None = None,
        residual_conv: bool = False,
        stride_first: bool = False,
    ) -> None:
        first_stride, second_stride = (stride, 1) if stride_first else (1, stride)
        super().__init__()
        with self.init_scope():
            self.conv1 = Conv2DBNActiv(
                in_channels,
                mid_channels,
                1,
                first_stride,
                0,
                initialW=initialW,
                bn_kwargs=bn_kwargs,
            )
            self.conv2 = Conv2DBNActiv(
                mid_channels,
                mid_channels,
                3,
                second_stride,
                dilate,
                dilate,
                groups,
                initialW=initialW,
                bn_kwargs=bn_kwargs,
            )
            self.conv3 = Conv2DBNActiv(
                mid_channels,
                out_channels,
                1,
                1,
                0,
                initialW=initialW,
                activ=None,
                bn_kwargs=bn_kwargs,
            )
            if residual_conv:
                self.residual_conv = Conv2DBNActiv(
                    in_channels,
                    out_channels,
                    1,
                    stride,
                    0,
                    initialW=initialW,
                    activ=None,
                    bn_kwargs=bn_kwargs,
                )

    def forward(self, x: kusari.Variable | Any) -> kusari.Variable:
        """Apply the unit.

        Args:
            x: Input ``(B, in_channels, H, W)``.

        Returns:
            A Variable ``(B, out_channels, H_out, W_out)`` (``H_out = ceil(H / stride)``).
        """
        h = self.conv3(self.conv2(self.conv1(x)))
        residual = self.residual_conv(x) if hasattr(self, "residual_conv") else x
        return F.relu(h + residual)
