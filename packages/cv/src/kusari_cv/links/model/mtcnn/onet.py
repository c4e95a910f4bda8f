"""O-Net, the output network of MTCNN."""

from __future__ import annotations

from typing import Any

import kusari
import kusari.functions as F
import kusari.links as L
from kusari_cv.links.model.mtcnn.rnet import _check_crops


class ONet(kusari.Chain):
    """Output network: classifies 48 x 48 crops, refines their boxes, finds five landmarks.

    Layers: ``conv1`` 3x3 (32) - ``prelu1`` - max pool 3/2 (``cover_all``) - ``conv2`` 3x3
    (64) - ``prelu2`` - max pool 3/2 - ``conv3`` 3x3 (64) - ``prelu3`` - max pool 2/2 -
    ``conv4`` 2x2 (128) - ``prelu4`` - ``fc5`` (256) - ``prelu5``, then ``fc6_1`` (face
    logits), ``fc6_2`` (box offsets) and ``fc6_3`` (landmarks). ``fc5`` reads the
    ``(128, 3, 3)`` feature map flattened in ``(C, H, W)`` order.

    Source: K. Zhang, Z. Zhang, Z. Li and Y. Qiao, "Joint Face Detection and Alignment Using
    Multitask Cascaded Convolutional Networks", IEEE Signal Processing Letters 23(10), 2016.

    Args:
        init: Initial PReLU slope (the weights of a pretrained model replace it).
    """

    insize = 48

    def __init__(self, init: float = 0.25) -> None:
        super().__init__()
        with self.init_scope():
            self.conv1 = L.Convolution2D(3, 32, 3)
            self.prelu1 = L.PReLU((32,), init)
            self.conv2 = L.Convolution2D(32, 64, 3)
            self.prelu2 = L.PReLU((64,), init)
            self.conv3 = L.Convolution2D(64, 64, 3)
            self.prelu3 = L.PReLU((64,), init)
            self.conv4 = L.Convolution2D(64, 128, 2)
            self.prelu4 = L.PReLU((128,), init)
            self.fc5 = L.Linear(1152, 256)
            self.prelu5 = L.PReLU((256,), init)
            self.fc6_1 = L.Linear(256, 2)
            self.fc6_2 = L.Linear(256, 4)
            self.fc6_3 = L.Linear(256, 10)

    def forward(
        self, x: kusari.Variable | Any
    ) -> tuple[kusari.Variable, kusari.Variable, kusari.Variable]:
        """Score and refine crops and locate their landmarks.

        Args:
            x: Normalized crops ``(B, 3, 48, 48)`` float32, RGB, ``(pixel - 127.5) / 128``.

        Returns:
            ``(conf, loc, point)``: ``(B, 2)`` logits of (background, face), ``(B, 4)`` box
            offsets ``(dy_min, dx_min, dy_max, dx_max)`` in units of the crop side, and
            ``(B, 10)`` landmarks as ``(y, x)`` pairs in units of the crop side, measured from
            its top-left corner (reshape to ``(B, 5, 2)``): left eye, right eye, nose, left
            and right mouth corner (left meaning smaller ``x``).

        Raises:
            ValueError: ``x`` is not ``(B, 3, 48, 48)``.
        """
        _check_crops("ONet", x, self.insize)
        h = self.prelu1(self.conv1(x))
        h = F.max_pooling_2d(h, 3, 2, cover_all=True)
        h = self.prelu2(self.conv2(h))
        h = F.max_pooling_2d(h, 3, 2, cover_all=False)
        h = self.prelu3(self.conv3(h))
        h = F.max_pooling_2d(h, 2, 2, cover_all=True)
        h = self.prelu4(self.conv4(h))
        h = self.prelu5(self.fc5(h))
        return self.fc6_1(h), self.fc6_2(h), self.fc6_3(h)
