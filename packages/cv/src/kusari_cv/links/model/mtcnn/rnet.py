"""R-Net, the refinement network of MTCNN."""

from __future__ import annotations

from typing import Any

import kusari
import kusari.functions as F
import kusari.links as L


class RNet(kusari.Chain):
    """Refinement network: classifies 24 x 24 crops and refines their boxes.

    Layers: ``conv1`` 3x3 (28) - ``prelu1`` - max pool 3/2 (``cover_all``) - ``conv2`` 3x3
    (48) - ``prelu2`` - max pool 3/2 - ``conv3`` 2x2 (64) - ``prelu3`` - ``fc4`` (128) -
    ``prelu4``, then ``fc5_1`` (face logits) and ``fc5_2`` (box offsets). ``fc4`` reads the
    ``(64, 3, 3)`` feature map flattened in ``(C, H, W)`` order.

    Source: K. Zhang, Z. Zhang, Z. Li and Y. Qiao, "Joint Face Detection and Alignment Using
    Multitask Cascaded Convolutional Networks", IEEE Signal Processing Letters 23(10), 2016.

    Args:
        init: Initial PReLU slope (the weights of a pretrained model replace it).
    """

    insize = 24

    def __init__(self, init: float = 0.25) -> None:
        super().__init__()
        with self.init_scope():
            self.conv1 = L.Convolution2D(3, 28, 3)
            self.prelu1 = L.PReLU((28,), init)
            self.conv2 = L.Convolution2D(28, 48, 3)
            self.prelu2 = L.PReLU((48,), init)
            self.conv3 = L.Convolution2D(48, 64, 2)
            self.prelu3 = L.PReLU((64,), init)
            self.fc4 = L.Linear(576, 128)
            self.prelu4 = L.PReLU((128,), init)
            self.fc5_1 = L.Linear(128, 2)
            self.fc5_2 = L.Linear(128, 4)

    def forward(self, x: kusari.Variable | Any) -> tuple[kusari.Variable, kusari.Variable]:
        """Score and refine crops.

        Args:
            x: Normalized crops ``(B, 3, 24, 24)`` float32, RGB, ``(pixel - 127.5) / 128``.

        Returns:
            ``(conf, loc)``: ``(B, 2)`` logits of (background, face) and ``(B, 4)`` box
            offsets ``(dy_min, dx_min, dy_max, dx_max)`` in units of the crop side.

        Raises:
            ValueError: ``x`` is not ``(B, 3, 24, 24)``.
        """
        _check_crops("RNet", x, self.insize)
        h = self.prelu1(self.conv1(x))
        h = F.max_pooling_2d(h, 3, 2, cover_all=True)
        h = self.prelu2(self.conv2(h))
        h = F.max_pooling_2d(h, 3, 2, cover_all=False)
        h = self.prelu3(self.conv3(h))
        h = self.prelu4(self.fc4(h))
        return self.fc5_1(h), self.fc5_2(h)


def _check_crops(name: str, x: Any, insize: int) -> None:
    shape = tuple(x.shape)
    if len(shape) != 4 or shape[1:] != (3, insize, insize):
        raise ValueError(f"{name}: expected x of shape (B, 3, {insize}, {insize}), got {shape}")
