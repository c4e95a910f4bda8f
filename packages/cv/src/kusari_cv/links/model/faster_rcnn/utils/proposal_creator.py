"""Turn the Region Proposal Network's outputs into regions of interest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

import kusari
from kusari import backend
from kusari.backend import get_array_module
from kusari_cv.links.model.faster_rcnn.utils.loc2bbox import loc2bbox
from kusari_cv.utils import non_maximum_suppression


def _descending_order(xp: Any, score: Any) -> Any:
    # ChainerCV orders with ``argsort()[::-1]``; a stable sort makes ties deterministic
    # (highest index first), as in ``non_maximum_suppression``.
    if xp is numpy:
        return numpy.argsort(score, kind="stable")[::-1]
    return xp.argsort(score)[::-1]


class ProposalCreator:
    """Decode anchors with predicted offsets, then filter them into proposals.

    Calling the object decodes every anchor with :func:`loc2bbox`, clips the boxes to the image,
    drops those smaller than ``min_size * scale`` on either side, keeps the ``n_pre_nms`` best
    by score, runs non-maximum suppression with ``nms_thresh`` and keeps the first
    ``n_post_nms`` survivors. The ``n_train_*`` limits apply when ``kusari.config.train`` is
    true, the ``n_test_*`` limits otherwise.

    Source: Shaoqing Ren et al. Faster R-CNN: Towards Real-Time Object Detection with Region
    Proposal Networks. NIPS 2015, Section 3.3.

    Args:
        nms_thresh: IoU threshold of the non-maximum suppression.
        n_train_pre_nms: Boxes kept before NMS in training (``<= 0`` keeps all).
        n_train_post_nms: Boxes kept after NMS in training (``<= 0`` keeps all).
        n_test_pre_nms: Boxes kept before NMS at test time (``<= 0`` keeps all).
        n_test_post_nms: Boxes kept after NMS at test time (``<= 0`` keeps all).
        force_cpu_nms: Run the NMS on the CPU even when the inputs are CuPy arrays.
        min_size: Smallest side, in pixels of the original image, of a kept box.
    """

    def __init__(
        self,
        nms_thresh: float = 0.7,
        n_train_pre_nms: int = 12000,
        n_train_post_nms: int = 2000,
        n_test_pre_nms: int = 6000,
        n_test_post_nms: int = 300,
        force_cpu_nms: bool = False,
        min_size: float = 16,
    ) -> None:
        self.nms_thresh = nms_thresh
        self.n_train_pre_nms = n_train_pre_nms
        self.n_train_post_nms = n_train_post_nms
        self.n_test_pre_nms = n_test_pre_nms
        self.n_test_post_nms = n_test_post_nms
        self.force_cpu_nms = force_cpu_nms
        self.min_size = min_size

    def __call__(
        self, loc: Any, score: Any, anchor: Any, img_size: Sequence[int], scale: float = 1.0
    ) -> Any:
        """Propose regions of interest for one image.

        Args:
            loc (numpy.ndarray or cupy.ndarray): Predicted offsets ``(R, 4)``, ``(t_y, t_x,
                t_h, t_w)``, one row per anchor.
            score (numpy.ndarray or cupy.ndarray): Foreground scores ``(R,)``.
            anchor (numpy.ndarray or cupy.ndarray): Anchors ``(R, 4)``, ``(y_min, x_min, y_max,
                x_max)``.
            img_size: ``(H, W)`` of the network input (after scaling).
            scale: Scale applied to the original image; ``min_size`` is multiplied by it.

        Returns:
            numpy.ndarray or cupy.ndarray: Proposals ``(S, 4)`` float32 on ``loc``'s device,
            best first, with ``S <= n_post_nms`` when that limit is positive.

        Raises:
            ValueError: The shapes of ``loc``, ``score`` and ``anchor`` disagree.
        """
        if loc.ndim != 2 or loc.shape[1] != 4 or anchor.shape != loc.shape:
            raise ValueError(
                f"ProposalCreator: expected loc and anchor of the same shape (R, 4), got "
                f"{tuple(loc.shape)} and {tuple(anchor.shape)}"
            )
        if score.shape != (loc.shape[0],):
            raise ValueError(
                f"ProposalCreator: expected score of shape ({loc.shape[0]},), got "
                f"{tuple(score.shape)}"
            )
        if kusari.config.train:
            n_pre_nms, n_post_nms = self.n_train_pre_nms, self.n_train_post_nms
        else:
            n_pre_nms, n_post_nms = self.n_test_pre_nms, self.n_test_post_nms
        xp = get_array_module(loc)

        roi = loc2bbox(anchor, loc)
        roi[:, 0::2] = xp.clip(roi[:, 0::2], 0, img_size[0])
        roi[:, 1::2] = xp.clip(roi[:, 1::2], 0, img_size[1])

        min_size = self.min_size * scale
        height = roi[:, 2] - roi[:, 0]
        width = roi[:, 3] - roi[:, 1]
        keep = xp.nonzero((height >= min_size) & (width >= min_size))[0]
        roi = roi[keep]
        score = score[keep]

        order = _descending_order(xp, score.ravel())
        if n_pre_nms > 0:
            order = order[:n_pre_nms]
        roi = roi[order]

        # ``roi`` is sorted by score, so the NMS visits it in index order.
        if self.force_cpu_nms and xp is not numpy:
            keep = non_maximum_suppression(backend.CpuDevice().send(roi), self.nms_thresh)
            keep = xp.asarray(keep)
        else:
            keep = non_maximum_suppression(roi, self.nms_thresh)
        if n_post_nms > 0:
            keep = keep[:n_post_nms]
        return roi[keep].astype(numpy.float32, copy=False)
