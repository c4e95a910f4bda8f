"""The feature pyramid extractor of Faster R-CNN with FPN."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import initializers


class FPN(kusari.Chain):
    """Feature Pyramid Network: a top-down pathway with lateral connections over a backbone.

    The backbone returns ``n_base_output`` feature maps, each half the size of the previous one.
    Each map goes through a 1x1 convolution (``inner``) to 256 channels and is added to the
    nearest-neighbour 2x upsampling of the (already merged) coarser level; each merged map then
    goes through a 3x3 convolution (``outer``). Levels beyond the backbone's (``len(scales) >
    n_base_output``) are made by subsampling the coarsest map with stride 2.

    Source: Tsung-Yi Lin et al. Feature Pyramid Networks for Object Detection. CVPR 2017.

    Args:
        base: A link mapping images ``(B, 3, H, W)`` to a tuple of ``n_base_output`` feature
            maps ``(B, C_l, H_l, W_l)`` with ``H_{l+1} = H_l / 2``; it must have ``mean``.
        n_base_output: Number of feature maps ``base`` returns.
        scales: Scale of each output level relative to the input, e.g. ``(1/4, 1/8, 1/16, 1/32,
            1/64)``; ``len(scales) >= n_base_output``.

    Raises:
        ValueError: ``n_base_output`` is not positive or exceeds ``len(scales)``.
    """

    def __init__(self, base: kusari.Link, n_base_output: int, scales: Sequence[float]) -> None:
        if not 0 < n_base_output <= len(scales):
            raise ValueError(
                f"FPN: expected 0 < n_base_output <= len(scales) ({len(scales)}), got "
                f"{n_base_output}"
            )
        super().__init__()
        with self.init_scope():
            self.base = base
            self.inner = kusari.ChainList()
            self.outer = kusari.ChainList()
        for _ in range(n_base_output):
            self.inner.append(L.Convolution2D(256, 1, initialW=initializers.GlorotNormal()))
            self.outer.append(L.Convolution2D(256, 3, pad=1, initialW=initializers.GlorotNormal()))
        self.scales = tuple(scales)

    @property
    def mean(self) -> Any:
        """The mean the images are centred with: the backbone's ``mean``."""
        return self.base.mean

    def forward(self, x: kusari.Variable | Any) -> list[kusari.Variable]:
        """Compute the feature pyramid.

        Args:
            x: Preprocessed images ``(B, 3, H, W)`` float32, ``H`` and ``W`` multiples of the
                coarsest backbone stride.

        Returns:
            ``len(scales)`` feature maps ``(B, 256, H * s_l, W * s_l)``, finest first.

        Raises:
            ValueError: The backbone returned a number of maps other than ``n_base_output``.
        """
        hs = list(self.base(x))
        if len(hs) != len(self.inner):
            raise ValueError(
                f"FPN.forward: expected {len(self.inner)} feature maps from base, got {len(hs)}"
            )
        for i in reversed(range(len(hs))):
            hs[i] = self.inner[i](hs[i])
            if i + 1 < len(hs):
                hs[i] = hs[i] + F.unpooling_2d(hs[i + 1], 2, cover_all=False)
        hs = [outer(h) for outer, h in zip(self.outer, hs, strict=True)]
        while len(hs) < len(self.scales):
            hs.append(F.max_pooling_2d(hs[-1], 1, stride=2, cover_all=False))
        return hs
