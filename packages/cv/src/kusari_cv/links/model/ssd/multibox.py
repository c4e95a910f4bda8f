"""The multibox head of SSD: per-source convolutions predicting box offsets and class scores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import initializers


class Multibox(kusari.Chain):
    """Multibox head of the Single Shot MultiBox Detector.

    Each source map ``i`` gets two 3x3 convolutions (pad 1), ``loc[i]`` with ``n_i * 4`` and
    ``conf[i]`` with ``n_i * n_class`` output channels, where ``n_i = (len(aspect_ratios[i]) + 1)
    * 2`` default boxes sit at each location.

    Source: Wei Liu et al. SSD: Single Shot MultiBox Detector. ECCV 2016.

    Args:
        n_class: Number of classes including the background (column 0).
        aspect_ratios: One tuple of aspect ratios per source map.
        initialW: Initializer of the convolution weights; ``None`` for LeCunUniform.
        initial_bias: Initializer of the biases; ``None`` for zeros.

    Raises:
        ValueError: ``n_class`` is smaller than 2.
    """

    def __init__(
        self,
        n_class: int,
        aspect_ratios: Sequence[Sequence[float]],
        initialW: Any = None,
        initial_bias: Any = None,
    ) -> None:
        super().__init__()
        if int(n_class) < 2:
            raise ValueError(f"Multibox: n_class must be >= 2 (background + 1), got {n_class}")
        self.n_class = int(n_class)
        self.aspect_ratios = tuple(tuple(ar) for ar in aspect_ratios)
        if initialW is None:
            initialW = initializers.LeCunUniform()
        if initial_bias is None:
            initial_bias = initializers.Zero()
        init = {"initialW": initialW, "initial_bias": initial_bias}
        with self.init_scope():
            self.loc = kusari.ChainList()
            self.conf = kusari.ChainList()
        for ar in self.aspect_ratios:
            n = (len(ar) + 1) * 2
            self.loc.add_link(L.Convolution2D(n * 4, 3, pad=1, **init))
            self.conf.add_link(L.Convolution2D(n * self.n_class, 3, pad=1, **init))

    def forward(self, xs: Sequence[kusari.Variable]) -> tuple[kusari.Variable, kusari.Variable]:
        """Predict offsets and class scores for every default box.

        Args:
            xs: One feature map ``(B, C_i, H_i, W_i)`` per aspect-ratio tuple.

        Returns:
            ``(mb_locs, mb_confs)``: ``(B, K, 4)`` offsets ``(dy, dx, dh, dw)`` and
            ``(B, K, n_class)`` logits, where ``K = sum_i H_i * W_i * n_i``; boxes are ordered
            by source, then row, column and anchor.

        Raises:
            ValueError: ``len(xs)`` differs from ``len(aspect_ratios)``.
        """
        if len(xs) != len(self.aspect_ratios):
            raise ValueError(
                f"Multibox: expected {len(self.aspect_ratios)} feature maps, got {len(xs)}"
            )
        mb_locs = []
        mb_confs = []
        for i, x in enumerate(xs):
            mb_loc = F.transpose(self.loc[i](x), (0, 2, 3, 1))
            mb_locs.append(F.reshape(mb_loc, (mb_loc.shape[0], -1, 4)))
            mb_conf = F.transpose(self.conf[i](x), (0, 2, 3, 1))
            mb_confs.append(F.reshape(mb_conf, (mb_conf.shape[0], -1, self.n_class)))
        return F.concat(mb_locs, axis=1), F.concat(mb_confs, axis=1)
