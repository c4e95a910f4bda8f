"""The Region Proposal Network of Faster R-CNN."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy

import kusari
import kusari.functions as F
import kusari.links as L
from kusari_cv.links.model.faster_rcnn.utils.generate_anchor_base import generate_anchor_base
from kusari_cv.links.model.faster_rcnn.utils.proposal_creator import ProposalCreator


class RegionProposalNetwork(kusari.Chain):
    """Predict objectness and box offsets for anchors on a feature map, and propose RoIs.

    A 3x3 convolution (``conv1``, then ReLU) is followed by two 1x1 convolutions: ``score``
    (two logits, background and object, per anchor) and ``loc`` (four offsets per anchor). The
    anchors are :func:`generate_anchor_base`'s, shifted to every feature-map cell by
    ``feat_stride``; a :class:`ProposalCreator` turns them into RoIs per image.

    Source: Shaoqing Ren et al. Faster R-CNN: Towards Real-Time Object Detection with Region
    Proposal Networks. NIPS 2015, Section 3.1.

    Args:
        in_channels: Channels of the input feature map.
        mid_channels: Channels of the 3x3 convolution's output.
        ratios: Height-to-width ratios of the anchors.
        anchor_scales: Sides of the anchors relative to ``feat_stride``.
        feat_stride: Stride of the feature map in input pixels.
        initialW: Initializer of the convolution weights (``None``: Kusari's default).
        proposal_creator_params: Keyword arguments of the :class:`ProposalCreator`.

    Attributes:
        anchor_base (numpy.ndarray): Anchors ``(A, 4)`` of one cell.
        proposal_layer (ProposalCreator): The proposal filter.
    """

    def __init__(
        self,
        in_channels: int = 512,
        mid_channels: int = 512,
        ratios: Sequence[float] = (0.5, 1, 2),
        anchor_scales: Sequence[float] = (8, 16, 32),
        feat_stride: int = 16,
        initialW: Any = None,
        proposal_creator_params: Mapping[str, Any] | None = None,
    ) -> None:
        self.anchor_base = generate_anchor_base(anchor_scales=anchor_scales, ratios=ratios)
        self.feat_stride = feat_stride
        self.proposal_layer = ProposalCreator(**dict(proposal_creator_params or {}))
        n_anchor = self.anchor_base.shape[0]
        super().__init__()
        with self.init_scope():
            self.conv1 = L.Convolution2D(in_channels, mid_channels, 3, 1, 1, initialW=initialW)
            self.score = L.Convolution2D(mid_channels, n_anchor * 2, 1, 1, 0, initialW=initialW)
            self.loc = L.Convolution2D(mid_channels, n_anchor * 4, 1, 1, 0, initialW=initialW)

    def forward(
        self,
        x: kusari.Variable | Any,
        img_size: Sequence[int],
        scales: float | Iterable[float] | None = None,
    ) -> tuple[kusari.Variable, kusari.Variable, Any, Any, Any]:
        """Predict anchor offsets and scores, and propose RoIs for each image.

        Args:
            x: Feature maps ``(B, C, H', W')``.
            img_size: ``(H, W)`` of the network input images.
            scales: Scale(s) applied to the original images: one number for all, one per image,
                or ``None`` (1).

        Returns:
            ``(rpn_locs, rpn_scores, rois, roi_indices, anchor)``: offsets ``(B, H' W' A, 4)``
            and logits ``(B, H' W' A, 2)`` (Variables), the proposals of all images ``(R, 4)``
            float32, the image index of each ``(R,)`` int32, and the anchors
            ``(H' W' A, 4)`` float32 (cell-major, then anchor).

        Raises:
            ValueError: ``x`` is not 4-dimensional or ``scales`` has the wrong length.
        """
        if x.ndim != 4:
            raise ValueError(
                f"RegionProposalNetwork: expected x of shape (B, C, H, W), got {tuple(x.shape)}"
            )
        n, _, hh, ww = x.shape
        if scales is None:
            scales = [1.0] * n
        elif not isinstance(scales, Iterable):
            scales = [scales] * n
        scales = list(scales)
        if len(scales) != n:
            raise ValueError(
                f"RegionProposalNetwork: expected {n} scales (one per image), got {len(scales)}"
            )
        xp = self.xp
        anchor = _enumerate_shifted_anchor(xp.asarray(self.anchor_base), self.feat_stride, hh, ww)
        n_anchor = self.anchor_base.shape[0]
        h = F.relu(self.conv1(x))

        rpn_locs = self.loc(h).transpose((0, 2, 3, 1)).reshape((n, -1, 4))
        rpn_scores = self.score(h).transpose((0, 2, 3, 1))
        rpn_fg_scores = rpn_scores.array.reshape((n, hh, ww, n_anchor, 2))[..., 1]
        rpn_fg_scores = rpn_fg_scores.reshape((n, -1))
        rpn_scores = rpn_scores.reshape((n, -1, 2))

        rois = []
        roi_indices = []
        for i in range(n):
            roi = self.proposal_layer(
                rpn_locs.array[i], rpn_fg_scores[i], anchor, img_size, scale=scales[i]
            )
            rois.append(roi)
            roi_indices.append(xp.full((len(roi),), i, dtype=numpy.int32))
        rois = xp.concatenate(rois, axis=0)
        roi_indices = xp.concatenate(roi_indices, axis=0)
        return rpn_locs, rpn_scores, rois, roi_indices, anchor


def _enumerate_shifted_anchor(anchor_base: Any, feat_stride: int, height: int, width: int) -> Any:
    """Shift the cell anchors ``(A, 4)`` to every cell of a ``height x width`` map.

    Returns ``(height * width * A, 4)`` float32, cells in row-major order, anchors within.
    """
    xp = kusari.backend.get_array_module(anchor_base)
    shift_y = xp.arange(height, dtype=numpy.float32) * feat_stride
    shift_x = xp.arange(width, dtype=numpy.float32) * feat_stride
    shift_y, shift_x = xp.meshgrid(shift_y, shift_x, indexing="ij")
    shift = xp.stack((shift_y, shift_x, shift_y, shift_x), axis=-1).reshape((-1, 1, 4))
    anchor = anchor_base[None, :, :] + shift
    return anchor.reshape((-1, 4)).astype(numpy.float32, copy=False)
