"""Assign ground-truth boxes to anchors to train the Region Proposal Network."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

from kusari import backend
from kusari.backend import get_array_module
from kusari_cv.links.model.faster_rcnn.utils.bbox2loc import bbox2loc
from kusari_cv.utils import bbox_iou


class AnchorTargetCreator:
    """Label anchors as object (1), background (0) or ignored (-1) and give their targets.

    Only anchors lying entirely inside the image take part. An anchor is positive when its IoU
    with some ground-truth box is at least ``pos_iou_thresh``, or when it is (one of) the
    anchor(s) with the highest positive IoU with a ground-truth box; it is negative when its
    best IoU is below ``neg_iou_thresh``. At most ``n_sample * pos_ratio`` positives are kept
    and negatives fill the rest of ``n_sample``; the surplus is drawn at random with
    ``numpy.random`` and set to -1.

    Source: Shaoqing Ren et al. Faster R-CNN: Towards Real-Time Object Detection with Region
    Proposal Networks. NIPS 2015, Section 3.1.2.

    Args:
        n_sample: Number of anchors sampled per image.
        pos_iou_thresh: IoU at or above which an anchor is positive.
        neg_iou_thresh: IoU below which an anchor is negative.
        pos_ratio: Largest fraction of positives in the sample.
    """

    def __init__(
        self,
        n_sample: int = 256,
        pos_iou_thresh: float = 0.7,
        neg_iou_thresh: float = 0.3,
        pos_ratio: float = 0.5,
    ) -> None:
        self.n_sample = n_sample
        self.pos_iou_thresh = pos_iou_thresh
        self.neg_iou_thresh = neg_iou_thresh
        self.pos_ratio = pos_ratio

    def __call__(self, bbox: Any, anchor: Any, img_size: Sequence[int]) -> tuple[Any, Any]:
        """Compute the regression targets and labels of the anchors of one image.

        The work is done on the CPU (the sampling uses ``numpy.random``); the results go back
        to the device of ``bbox``.

        Args:
            bbox (numpy.ndarray or cupy.ndarray): Ground-truth boxes ``(R, 4)``, ``R >= 1``.
            anchor (numpy.ndarray or cupy.ndarray): Anchors ``(S, 4)``.
            img_size: ``(H, W)`` of the network input.

        Returns:
            ``(loc, label)``: targets ``(S, 4)`` float32 ``(t_y, t_x, t_h, t_w)`` from each
            anchor to its best ground-truth box (zeros outside the image), and labels ``(S,)``
            int32 in ``{1, 0, -1}``.

        Raises:
            ValueError: ``bbox`` or ``anchor`` is not ``(R, 4)``, or ``bbox`` is empty.
        """
        for name, value in (("bbox", bbox), ("anchor", anchor)):
            if value.ndim != 2 or value.shape[1] != 4:
                raise ValueError(
                    f"AnchorTargetCreator: expected {name} of shape (R, 4), got "
                    f"{tuple(value.shape)}"
                )
        if bbox.shape[0] == 0:
            raise ValueError("AnchorTargetCreator: expected at least one ground-truth box, got 0")
        xp = get_array_module(bbox)
        cpu = backend.CpuDevice()
        bbox = numpy.asarray(cpu.send(bbox))
        anchor = numpy.asarray(cpu.send(anchor))
        img_h, img_w = img_size

        inside = numpy.nonzero(
            (anchor[:, 0] >= 0)
            & (anchor[:, 1] >= 0)
            & (anchor[:, 2] <= img_h)
            & (anchor[:, 3] <= img_w)
        )[0]
        label = numpy.full((len(anchor),), -1, dtype=numpy.int32)
        loc = numpy.zeros((len(anchor), 4), dtype=numpy.float32)
        if inside.size > 0:
            argmax_iou, inside_label = self._create_label(anchor[inside], bbox)
            label[inside] = inside_label
            loc[inside] = bbox2loc(anchor[inside], bbox[argmax_iou])
        return xp.asarray(loc), xp.asarray(label)

    def _create_label(self, anchor: numpy.ndarray, bbox: numpy.ndarray) -> tuple[Any, Any]:
        iou = bbox_iou(anchor, bbox)
        argmax_iou = iou.argmax(axis=1)
        max_iou = iou[numpy.arange(len(anchor)), argmax_iou]
        gt_max_iou = iou.max(axis=0)
        # Anchors tying for the best IoU of some ground-truth box (a box that overlaps no
        # anchor gives none).
        gt_argmax_iou = numpy.nonzero((iou == gt_max_iou) & (gt_max_iou > 0))[0]

        label = numpy.full((len(anchor),), -1, dtype=numpy.int32)
        label[max_iou < self.neg_iou_thresh] = 0
        label[gt_argmax_iou] = 1
        label[max_iou >= self.pos_iou_thresh] = 1

        n_pos = int(self.pos_ratio * self.n_sample)
        pos_index = numpy.nonzero(label == 1)[0]
        if len(pos_index) > n_pos:
            disable = numpy.random.choice(pos_index, size=len(pos_index) - n_pos, replace=False)
            label[disable] = -1
        n_neg = self.n_sample - int(numpy.sum(label == 1))
        neg_index = numpy.nonzero(label == 0)[0]
        if len(neg_index) > n_neg:
            disable = numpy.random.choice(neg_index, size=len(neg_index) - n_neg, replace=False)
            label[disable] = -1
        return argmax_iou, label
