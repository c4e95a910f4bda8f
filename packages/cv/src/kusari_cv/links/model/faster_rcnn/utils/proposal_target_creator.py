"""Sample proposals and give them targets to train the Fast R-CNN head."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

from kusari import backend
from kusari.backend import get_array_module
from kusari_cv.links.model.faster_rcnn.utils.bbox2loc import bbox2loc
from kusari_cv.utils import bbox_iou


class ProposalTargetCreator:
    """Sample RoIs among the proposals and the ground-truth boxes, and give their targets.

    The ground-truth boxes are appended to the proposals. A RoI whose best IoU with a
    ground-truth box is at least ``pos_iou_thresh`` is a foreground candidate (labelled with
    that box's label + 1); one whose best IoU lies in ``[neg_iou_thresh_lo,
    neg_iou_thresh_hi)`` is a background candidate (label 0). Up to
    ``round(n_sample * pos_ratio)`` foregrounds, then backgrounds up to ``n_sample`` RoIs in
    all, are drawn at random without replacement with ``numpy.random``.

    Source: Ross Girshick. Fast R-CNN. ICCV 2015, Section 2.3 (mini-batch sampling).

    Args:
        n_sample: Number of RoIs sampled per image.
        pos_ratio: Largest fraction of foregrounds in the sample.
        pos_iou_thresh: IoU at or above which a RoI is foreground.
        neg_iou_thresh_hi: IoU below which a RoI is background.
        neg_iou_thresh_lo: IoU at or above which a RoI may be background.
    """

    def __init__(
        self,
        n_sample: int = 128,
        pos_ratio: float = 0.25,
        pos_iou_thresh: float = 0.5,
        neg_iou_thresh_hi: float = 0.5,
        neg_iou_thresh_lo: float = 0.0,
    ) -> None:
        self.n_sample = n_sample
        self.pos_ratio = pos_ratio
        self.pos_iou_thresh = pos_iou_thresh
        self.neg_iou_thresh_hi = neg_iou_thresh_hi
        self.neg_iou_thresh_lo = neg_iou_thresh_lo

    def __call__(
        self,
        roi: Any,
        bbox: Any,
        label: Any,
        loc_normalize_mean: Sequence[float] = (0.0, 0.0, 0.0, 0.0),
        loc_normalize_std: Sequence[float] = (0.1, 0.1, 0.2, 0.2),
    ) -> tuple[Any, Any, Any]:
        """Sample RoIs of one image and compute their targets.

        The work is done on the CPU; the results go back to the device of ``roi``.

        Args:
            roi (numpy.ndarray or cupy.ndarray): Proposals ``(R, 4)``.
            bbox (numpy.ndarray or cupy.ndarray): Ground-truth boxes ``(R', 4)``, ``R' >= 1``.
            label (numpy.ndarray or cupy.ndarray): Ground-truth labels ``(R',)`` int32 in
                ``[0, n_fg_class - 1]``.
            loc_normalize_mean: Mean subtracted from the regression targets.
            loc_normalize_std: Standard deviation the targets are divided by.

        Returns:
            ``(sample_roi, gt_roi_loc, gt_roi_label)``: sampled RoIs ``(S, 4)`` float32
            (foregrounds first), their normalized targets ``(S, 4)`` float32 and labels ``(S,)``
            int32 in ``[0, n_fg_class]`` (0 is background), with ``S <= n_sample``.

        Raises:
            ValueError: A box array is not ``(R, 4)``, ``bbox`` is empty, or ``label`` does not
                match ``bbox``.
        """
        for name, value in (("roi", roi), ("bbox", bbox)):
            if value.ndim != 2 or value.shape[1] != 4:
                raise ValueError(
                    f"ProposalTargetCreator: expected {name} of shape (R, 4), got "
                    f"{tuple(value.shape)}"
                )
        if bbox.shape[0] == 0:
            raise ValueError("ProposalTargetCreator: expected at least one ground-truth box, got 0")
        if label.shape != (bbox.shape[0],):
            raise ValueError(
                f"ProposalTargetCreator: expected label of shape ({bbox.shape[0]},), got "
                f"{tuple(label.shape)}"
            )
        xp = get_array_module(roi)
        cpu = backend.CpuDevice()
        roi = numpy.asarray(cpu.send(roi), dtype=numpy.float32)
        bbox = numpy.asarray(cpu.send(bbox), dtype=numpy.float32)
        label = numpy.asarray(cpu.send(label))

        roi = numpy.concatenate((roi, bbox), axis=0)
        n_pos_max = numpy.round(self.n_sample * self.pos_ratio)
        iou = bbox_iou(roi, bbox)
        gt_assignment = iou.argmax(axis=1)
        max_iou = iou.max(axis=1)
        gt_roi_label = label[gt_assignment].astype(numpy.int32) + 1

        pos_index = numpy.nonzero(max_iou >= self.pos_iou_thresh)[0]
        n_pos = int(min(n_pos_max, pos_index.size))
        if pos_index.size > 0:
            pos_index = numpy.random.choice(pos_index, size=n_pos, replace=False)
        neg_index = numpy.nonzero(
            (max_iou < self.neg_iou_thresh_hi) & (max_iou >= self.neg_iou_thresh_lo)
        )[0]
        n_neg = int(min(self.n_sample - n_pos, neg_index.size))
        if neg_index.size > 0:
            neg_index = numpy.random.choice(neg_index, size=n_neg, replace=False)

        keep = numpy.concatenate((pos_index, neg_index))
        gt_roi_label = gt_roi_label[keep]
        gt_roi_label[n_pos:] = 0
        sample_roi = roi[keep]
        gt_roi_loc = bbox2loc(sample_roi, bbox[gt_assignment[keep]])
        gt_roi_loc = (gt_roi_loc - numpy.asarray(loc_normalize_mean, numpy.float32)) / (
            numpy.asarray(loc_normalize_std, numpy.float32)
        )
        return (
            xp.asarray(sample_roi),
            xp.asarray(gt_roi_loc.astype(numpy.float32, copy=False)),
            xp.asarray(gt_roi_label),
        )
