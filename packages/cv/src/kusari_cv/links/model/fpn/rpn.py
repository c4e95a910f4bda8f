"""Region Proposal Network of Faster R-CNN with FPN, and its training loss."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import backend, initializers
from kusari_cv.links.model.fpn.misc import argsort, choice, exp_clip, smooth_l1
from kusari_cv.utils import bbox_iou, non_maximum_suppression


def _as_array(x: Any) -> Any:
    return x.array if isinstance(x, kusari.Variable) else x


class RPN(kusari.Chain):
    """Region Proposal Network shared by every level of a feature pyramid.

    A 3x3 convolution with ReLU, then two 1x1 convolutions predict, for each of the ``A = 3``
    anchors (aspect ratios 0.5, 1, 2) at each position, the offsets ``(dy, dx, dh, dw)`` and an
    objectness logit. The anchors of level ``l`` have area ``(32 * 2**l)**2`` in input pixels.

    Proposals keep the 1000 (2000 in training) best-scored boxes of each level before NMS (IoU
    0.7), at most as many after it, then the best 1000 (2000) of the image.

    Sources: Shaoqing Ren et al. Faster R-CNN: Towards Real-Time Object Detection with Region
    Proposal Networks. NIPS 2015; Tsung-Yi Lin et al. Feature Pyramid Networks for Object
    Detection. CVPR 2017.

    Args:
        scales: Scale of each pyramid level relative to the input, e.g. ``(1/4, ..., 1/64)``.
    """

    _anchor_size = 32
    _anchor_ratios = (0.5, 1, 2)
    _nms_thresh = 0.7
    _train_nms_limit_pre = 2000
    _train_nms_limit_post = 2000
    _test_nms_limit_pre = 1000
    _test_nms_limit_post = 1000

    def __init__(self, scales: Sequence[float]) -> None:
        super().__init__()
        n_anchor = len(self._anchor_ratios)
        with self.init_scope():
            self.conv = L.Convolution2D(256, 3, pad=1, initialW=initializers.Normal(0.01))
            self.loc = L.Convolution2D(n_anchor * 4, 1, initialW=initializers.Normal(0.01))
            self.conf = L.Convolution2D(n_anchor, 1, initialW=initializers.Normal(0.01))
        self._scales = tuple(scales)

    def forward(
        self, hs: Iterable[kusari.Variable | Any]
    ) -> tuple[list[kusari.Variable], list[kusari.Variable]]:
        """Predict offsets and objectness for the anchors of each level.

        Args:
            hs: Feature maps ``(B, C, H_l, W_l)``, one per level.

        Returns:
            ``(locs, confs)``: per level, offsets ``(B, H_l * W_l * A, 4)`` and logits
            ``(B, H_l * W_l * A)``, anchors ordered as :meth:`anchors` orders them.
        """
        locs = []
        confs = []
        for h in hs:
            h = F.relu(self.conv(h))
            loc = F.transpose(self.loc(h), (0, 2, 3, 1))
            locs.append(F.reshape(loc, (loc.shape[0], -1, 4)))
            conf = F.transpose(self.conf(h), (0, 2, 3, 1))
            confs.append(F.reshape(conf, (conf.shape[0], -1)))
        return locs, confs

    def anchors(self, sizes: Iterable[tuple[int, int]]) -> list[Any]:
        """Compute the anchor boxes of each level.

        At position ``(i, j)`` of level ``l`` (scale ``s``), the anchor of ratio ``r`` is centred
        at ``((i + 0.5) / s, (j + 0.5) / s)`` with width ``round(1 / (sqrt(r) * s)) * 32 * 2**l *
        s`` and height ``round(round(1 / (sqrt(r) * s)) * r) * 32 * 2**l * s``.

        Args:
            sizes: ``(H_l, W_l)`` of the feature map of each level.

        Returns:
            Per level, boxes ``(H_l * W_l * A, 4)`` float32 ``(y_min, x_min, y_max, x_max)``
            ordered by row, column, then ratio, on this link's device.
        """
        ratios = numpy.asarray(self._anchor_ratios, dtype=numpy.float64)
        anchors = []
        for level, (H, W) in enumerate(sizes):
            scale = self._scales[level]
            w = numpy.round(1 / numpy.sqrt(ratios) / scale)
            hw = numpy.stack((numpy.round(w * ratios), w), axis=1)
            hw *= (self._anchor_size << level) * scale
            y = (numpy.arange(H) + 0.5) / scale
            x = (numpy.arange(W) + 0.5) / scale
            center = numpy.empty((H, W, len(ratios), 2))
            center[..., 0] = y[:, None, None]
            center[..., 1] = x[None, :, None]
            top_left = center - hw / 2
            anchor = numpy.concatenate((top_left, top_left + hw), axis=-1).reshape(-1, 4)
            anchors.append(self.xp.asarray(anchor, dtype=numpy.float32))
        return anchors

    def decode(
        self,
        locs: Sequence[kusari.Variable | Any],
        confs: Sequence[kusari.Variable | Any],
        anchors: Sequence[Any],
        in_shape: tuple[int, ...],
    ) -> tuple[Any, Any]:
        """Turn the predictions into region proposals.

        Per image and level, the anchors are moved by the offsets (the log-scales clipped to
        ``log(1000 / 16)``), clipped to the input, the best ``nms_limit_pre`` by objectness are
        kept, empty boxes dropped and NMS applied; the levels are then merged and the best
        ``nms_limit_post`` of the image kept. The limits are the training ones when
        ``kusari.config.train`` is true.

        Args:
            locs: Per level, offsets ``(B, K_l, 4)`` ``(dy, dx, dh, dw)``.
            confs: Per level, objectness logits ``(B, K_l)``.
            anchors: Per level, anchors ``(K_l, 4)`` from :meth:`anchors`.
            in_shape: Shape ``(B, 3, H, W)`` of the network input.

        Returns:
            ``(rois, roi_indices)``: proposals ``(R, 4)`` float32 and the image index of each
            ``(R,)`` int32, grouped by image, best first.

        Raises:
            ValueError: ``locs``, ``confs`` and ``anchors`` do not have one entry per level.
        """
        n_level = len(self._scales)
        if not len(locs) == len(confs) == len(anchors) == n_level:
            raise ValueError(
                f"RPN.decode: expected {n_level} levels of locs, confs and anchors, got "
                f"{len(locs)}, {len(confs)} and {len(anchors)}"
            )
        if kusari.config.train:
            limit_pre, limit_post = self._train_nms_limit_pre, self._train_nms_limit_post
        else:
            limit_pre, limit_post = self._test_nms_limit_pre, self._test_nms_limit_post
        xp = self.xp
        locs = [_as_array(loc) for loc in locs]
        confs = [_as_array(conf) for conf in confs]
        bound = xp.tile(xp.asarray(in_shape[2:], dtype=numpy.float32), 2)
        # Decode every image of a level at once: (B, K_l, 4).
        boxes = []
        for loc, anchor in zip(locs, anchors, strict=True):
            a_hw = anchor[:, 2:] - anchor[:, :2]
            a_yx = anchor[:, :2] + a_hw / 2
            yx = a_yx + loc[..., :2] * a_hw
            hw = a_hw * xp.exp(xp.minimum(loc[..., 2:], exp_clip))
            top_left = yx - hw / 2
            boxes.append(xp.clip(xp.concatenate((top_left, top_left + hw), axis=-1), 0, bound))
        rois = []
        roi_indices = []
        for i in range(in_shape[0]):
            roi = []
            conf = []
            for box, level_conf in zip(boxes, confs, strict=True):
                order = argsort(-level_conf[i])[:limit_pre]
                roi_l = box[i][order]
                conf_l = level_conf[i][order]
                nonempty = (roi_l[:, 2:] - roi_l[:, :2] > 0).all(axis=1)
                roi_l = roi_l[nonempty]
                conf_l = conf_l[nonempty]
                keep = non_maximum_suppression(roi_l, self._nms_thresh, limit=limit_post)
                roi.append(roi_l[keep])
                conf.append(conf_l[keep])
            roi = xp.concatenate(roi).astype(numpy.float32, copy=False)
            conf = xp.concatenate(conf)
            roi = roi[argsort(-conf)[:limit_post]]
            rois.append(roi)
            roi_indices.append(xp.full((len(roi),), i, dtype=numpy.int32))
        return xp.concatenate(rois), xp.concatenate(roi_indices)


def rpn_loss(
    locs: Sequence[kusari.Variable | Any],
    confs: Sequence[kusari.Variable | Any],
    anchors: Sequence[Any],
    sizes: Sequence[tuple[int, int]],
    bboxes: Sequence[Any],
) -> tuple[kusari.Variable, kusari.Variable]:
    """Training loss of :class:`RPN`.

    Each image samples 256 anchors lying inside it: positives (at most a quarter) are the
    anchors with IoU >= 0.7 with a ground truth box and, for each box, the anchors overlapping
    it most; negatives have IoU < 0.3 with every box. The localization loss is the smooth L1
    loss (``beta = 1/9``) of the positives' offsets, the confidence loss the sigmoid cross
    entropy of the sampled anchors; both are divided by the number sampled, then averaged over
    the images. Sampling draws from ``numpy.random``.

    Source: Shaoqing Ren et al. Faster R-CNN: Towards Real-Time Object Detection with Region
    Proposal Networks. NIPS 2015.

    Args:
        locs: Per level, predicted offsets ``(B, K_l, 4)``.
        confs: Per level, objectness logits ``(B, K_l)``.
        anchors: Per level, anchors ``(K_l, 4)`` from :meth:`RPN.anchors`.
        sizes: ``(H, W)`` of each image inside the (padded) input.
        bboxes: Per image, ground truth boxes ``(R_n, 4)`` in input pixels.

    Returns:
        ``(loc_loss, conf_loss)``: scalar Variables.

    Raises:
        ValueError: ``sizes`` and ``bboxes`` do not have one entry per image.
    """
    locs = F.concat(locs)
    confs = F.concat(confs)
    if not len(sizes) == len(bboxes) == locs.shape[0]:
        raise ValueError(
            f"rpn_loss: expected sizes and bboxes for {locs.shape[0]} images, got "
            f"{len(sizes)} and {len(bboxes)}"
        )
    xp = backend.get_array_module(locs.array)
    anchors = xp.concatenate(anchors)
    anchors_hw = anchors[:, 2:] - anchors[:, :2]
    anchors_yx = anchors[:, :2] + anchors_hw / 2
    fg_thresh, bg_thresh, n_sample, fg_ratio = 0.7, 0.3, 256, 0.25

    loc_loss = 0
    conf_loss = 0
    for i, (size, bbox) in enumerate(zip(sizes, bboxes, strict=True)):
        inside = ((anchors[:, :2] >= 0) & (anchors[:, 2:] < xp.asarray(size))).all(axis=1)
        gt_label = xp.full((len(anchors),), -1, dtype=numpy.int32)
        if len(bbox) > 0:
            iou = bbox_iou(anchors, bbox)
            max_iou = iou.max(axis=1)
            gt = bbox[iou.argmax(axis=1)]
            gt_hw = gt[:, 2:] - gt[:, :2]
            gt_yx = gt[:, :2] + gt_hw / 2
            gt_loc = xp.concatenate(
                ((gt_yx - anchors_yx) / anchors_hw, xp.log(gt_hw / anchors_hw)), axis=1
            )
            best = (iou[inside] == iou[inside].max(axis=0)).any(axis=1)
            gt_label[xp.flatnonzero(inside)[best]] = 1
            gt_label[inside & (max_iou >= fg_thresh)] = 1
            bg_index = xp.flatnonzero(inside & (max_iou < bg_thresh))
        else:
            gt_loc = xp.zeros_like(anchors)
            bg_index = xp.flatnonzero(inside)
        fg_index = xp.flatnonzero(gt_label == 1)
        n_fg = int(n_sample * fg_ratio)
        if len(fg_index) > n_fg:
            gt_label[choice(fg_index, size=len(fg_index) - n_fg)] = -1
        n_bg = n_sample - int((gt_label == 1).sum())
        if len(bg_index) > n_bg:
            bg_index = choice(bg_index, size=n_bg)
        gt_label[bg_index] = 0

        fg = xp.flatnonzero(gt_label == 1)
        sampled = xp.flatnonzero(gt_label >= 0)
        n_sampled = max(len(sampled), 1)
        loc_loss += F.sum(smooth_l1(locs[i][fg], gt_loc[fg], 1 / 9)) / n_sampled
        conf_loss += F.sum(_sigmoid_cross_entropy(confs[i][sampled], gt_label[sampled])) / n_sampled
    return loc_loss / len(sizes), conf_loss / len(sizes)


def _sigmoid_cross_entropy(x: kusari.Variable, t: Any) -> kusari.Variable:
    # Elementwise -t log(sigmoid(x)) - (1 - t) log(1 - sigmoid(x)) = softplus(x) - t * x.
    return F.softplus(x) - x * t.astype(x.dtype)
