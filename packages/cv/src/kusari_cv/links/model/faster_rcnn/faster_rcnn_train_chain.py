"""The training loss of Faster R-CNN (RPN and head, trained jointly)."""

from __future__ import annotations

from typing import Any

import numpy

import kusari
import kusari.functions as F
from kusari import backend
from kusari_cv.links.model.faster_rcnn.faster_rcnn import FasterRCNN
from kusari_cv.links.model.faster_rcnn.utils.anchor_target_creator import AnchorTargetCreator
from kusari_cv.links.model.faster_rcnn.utils.proposal_target_creator import (
    ProposalTargetCreator,
)


class FasterRCNNTrainChain(kusari.Chain):
    """Compute the four losses of Faster R-CNN for one image and report them.

    The RPN is trained on anchors sampled by an :class:`AnchorTargetCreator` (smooth L1 on
    positive anchors' offsets with ``rpn_sigma``, softmax cross entropy on the sampled labels);
    the head on RoIs sampled by a :class:`ProposalTargetCreator` (smooth L1 on the offsets of
    the ground-truth class of foreground RoIs with ``roi_sigma``, softmax cross entropy on the
    labels). Each localization loss is divided by the number of sampled anchors / RoIs. The
    losses are reported as ``rpn_loc_loss``, ``rpn_cls_loss``, ``roi_loc_loss``,
    ``roi_cls_loss`` and ``loss`` (their sum).

    Source: Shaoqing Ren et al. Faster R-CNN: Towards Real-Time Object Detection with Region
    Proposal Networks. NIPS 2015, Section 3.1.2 (approximate joint training); Ross Girshick.
    Fast R-CNN. ICCV 2015, equation 3 (smooth L1).

    Args:
        faster_rcnn: The model to train.
        rpn_sigma: Sigma of the RPN's smooth L1 loss.
        roi_sigma: Sigma of the head's smooth L1 loss.
        anchor_target_creator: Anchor sampler (``None``: a default :class:`AnchorTargetCreator`).
        proposal_target_creator: RoI sampler (``None``: a default
            :class:`ProposalTargetCreator`).
    """

    def __init__(
        self,
        faster_rcnn: FasterRCNN,
        rpn_sigma: float = 3.0,
        roi_sigma: float = 1.0,
        anchor_target_creator: AnchorTargetCreator | None = None,
        proposal_target_creator: ProposalTargetCreator | None = None,
    ) -> None:
        super().__init__()
        with self.init_scope():
            self.faster_rcnn = faster_rcnn
        self.rpn_sigma = rpn_sigma
        self.roi_sigma = roi_sigma
        if anchor_target_creator is None:
            anchor_target_creator = AnchorTargetCreator()
        if proposal_target_creator is None:
            proposal_target_creator = ProposalTargetCreator()
        self.anchor_target_creator = anchor_target_creator
        self.proposal_target_creator = proposal_target_creator
        self.loc_normalize_mean = faster_rcnn.loc_normalize_mean
        self.loc_normalize_std = faster_rcnn.loc_normalize_std

    def forward(self, imgs: Any, bboxes: Any, labels: Any, scales: Any) -> kusari.Variable:
        """Compute the total loss of a batch of one image.

        Args:
            imgs: Preprocessed images ``(1, 3, H, W)`` float32.
            bboxes: Ground-truth boxes ``(1, R, 4)`` float32 in input pixels.
            labels: Ground-truth labels ``(1, R)`` int32 in ``[0, n_fg_class - 1]``.
            scales: Scale applied to each original image ``(1,)`` (or a number).

        Returns:
            kusari.Variable: The scalar sum of the four losses.

        Raises:
            ValueError: The batch size is not one, or the shapes disagree.
        """
        bboxes, labels, scales = (
            v.array if isinstance(v, kusari.Variable) else v for v in (bboxes, labels, scales)
        )
        if bboxes.ndim != 3 or bboxes.shape[0] != 1 or bboxes.shape[2] != 4:
            raise ValueError(
                f"FasterRCNNTrainChain: expected bboxes of shape (1, R, 4) (only batch size 1 "
                f"is supported), got {tuple(bboxes.shape)}"
            )
        if labels.shape != bboxes.shape[:2]:
            raise ValueError(
                f"FasterRCNNTrainChain: expected labels of shape {tuple(bboxes.shape[:2])}, "
                f"got {tuple(labels.shape)}"
            )
        if imgs.ndim != 4 or imgs.shape[0] != 1:
            raise ValueError(
                f"FasterRCNNTrainChain: expected imgs of shape (1, 3, H, W), got "
                f"{tuple(imgs.shape)}"
            )
        scales = numpy.asarray(backend.CpuDevice().send(scales), dtype=numpy.float64).ravel()
        img_size = imgs.shape[2:]
        model = self.faster_rcnn

        features = model.extractor(imgs)
        rpn_locs, rpn_scores, rois, _, anchor = model.rpn(features, img_size, scales.tolist())
        bbox, label = bboxes[0], labels[0]

        sample_roi, gt_roi_loc, gt_roi_label = self.proposal_target_creator(
            rois, bbox, label, self.loc_normalize_mean, self.loc_normalize_std
        )
        sample_roi_index = self.xp.zeros((len(sample_roi),), dtype=numpy.int32)
        roi_cls_loc, roi_score = model.head(features, sample_roi, sample_roi_index)

        gt_rpn_loc, gt_rpn_label = self.anchor_target_creator(bbox, anchor, img_size)
        rpn_loc_loss = _fast_rcnn_loc_loss(rpn_locs[0], gt_rpn_loc, gt_rpn_label, self.rpn_sigma)
        rpn_cls_loss = F.softmax_cross_entropy(rpn_scores[0], gt_rpn_label)

        n_sample = roi_cls_loc.shape[0]
        roi_cls_loc = roi_cls_loc.reshape((n_sample, -1, 4))
        roi_loc = roi_cls_loc[self.xp.arange(n_sample), gt_roi_label]
        roi_loc_loss = _fast_rcnn_loc_loss(roi_loc, gt_roi_loc, gt_roi_label, self.roi_sigma)
        roi_cls_loss = F.softmax_cross_entropy(roi_score, gt_roi_label)

        loss = rpn_loc_loss + rpn_cls_loss + roi_loc_loss + roi_cls_loss
        kusari.reporter.report(
            {
                "rpn_loc_loss": rpn_loc_loss,
                "rpn_cls_loss": rpn_cls_loss,
                "roi_loc_loss": roi_loc_loss,
                "roi_cls_loss": roi_cls_loss,
                "loss": loss,
            },
            self,
        )
        return loss


def _smooth_l1_loss(x: kusari.Variable, t: Any, in_weight: Any, sigma: float) -> kusari.Variable:
    """Sum of the smooth L1 loss of ``in_weight * (x - t)``, quadratic below ``1 / sigma**2``.

    That is the Huber loss with ``delta = 1 / sigma**2`` divided by ``delta``.
    """
    delta = 1.0 / sigma**2
    loss = F.huber_loss(in_weight * x, in_weight * t, delta, reduce="no")
    return F.sum(loss) / delta


def _fast_rcnn_loc_loss(
    pred_loc: kusari.Variable, gt_loc: Any, gt_label: Any, sigma: float
) -> kusari.Variable:
    """Smooth L1 loss on the positive rows, divided by the number of non-ignored rows."""
    xp = backend.get_array_module(gt_loc)
    in_weight = xp.zeros_like(gt_loc)
    in_weight[gt_label > 0] = 1
    loc_loss = _smooth_l1_loss(pred_loc, gt_loc, in_weight, sigma)
    n_valid = int((gt_label >= 0).sum())
    return loc_loss / max(n_valid, 1)
