"""P-Net, the fully convolutional proposal network of MTCNN."""

from __future__ import annotations

from typing import Any

import kusari
import kusari.functions as F
import kusari.links as L


class PNet(kusari.Chain):
    """Proposal network: a 12 x 12 face classifier slid over the image with stride 2.

    Layers (TensorFlow/Caffe ``'same'`` pooling is ``max_pooling_2d`` with ``cover_all=True``,
    which pads the end of each axis):
    ``conv1`` 3x3 (10) - ``prelu1`` - max pool 2/2 - ``conv2`` 3x3 (16) - ``prelu2`` -
    ``conv3`` 3x3 (32) - ``prelu3``, then two 1x1 heads: ``conv4_1`` (face logits) and
    ``conv4_2`` (box offsets).

    Source: K. Zhang, Z. Zhang, Z. Li and Y. Qiao, "Joint Face Detection and Alignment Using
    Multitask Cascaded Convolutional Networks", IEEE Signal Processing Letters 23(10), 2016.

    Args:
        init: Initial PReLU slope (the weights of a pretrained model replace it).
    """

    def __init__(self, init: float = 0.25) -> None:
        super().__init__()
        with self.init_scope():
            self.conv1 = L.Convolution2D(3, 10, 3)
            self.prelu1 = L.PReLU((10,), init)
            self.conv2 = L.Convolution2D(10, 16, 3)
            self.prelu2 = L.PReLU((16,), init)
            self.conv3 = L.Convolution2D(16, 32, 3)
            self.prelu3 = L.PReLU((32,), init)
            self.conv4_1 = L.Convolution2D(32, 2, 1)
            self.conv4_2 = L.Convolution2D(32, 4, 1)

    def forward(self, x: kusari.Variable | Any) -> tuple[kusari.Variable, kusari.Variable]:
        """Score every 12 x 12 window (stride 2) of the images.

        Args:
            x: Normalized images ``(B, 3, H, W)`` float32, RGB, ``(pixel - 127.5) / 128``,
                ``H, W >= 12``.

        Returns:
            ``(conf, loc)``: ``(B, 2, H', W')`` logits of (background, face) and
            ``(B, 4, H', W')`` box offsets ``(dy_min, dx_min, dy_max, dx_max)`` in units of
            the window side, with ``H' = ceil((H - 2) / 2) - 4`` (likewise ``W'``). Window
            ``(i, j)`` covers input pixels ``[2i, 2i + 12) x [2j, 2j + 12)``.

        Raises:
            ValueError: ``x`` is not ``(B, 3, H, W)`` with ``H, W >= 12``.
        """
        shape = tuple(x.shape)
        if len(shape) != 4 or shape[1] != 3 or min(shape[2:]) < 12:
            raise ValueError(f"PNet: expected x of shape (B, 3, H, W) with H, W >= 12, got {shape}")
        h = self.prelu1(self.conv1(x))
        h = F.max_pooling_2d(h, 2, 2, cover_all=True)
        h = self.prelu2(self.conv2(h))
        h = self.prelu3(self.conv3(h))
        return self.conv4_1(h), self.conv4_2(h)
