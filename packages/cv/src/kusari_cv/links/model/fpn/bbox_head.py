"""Box head of Faster R-CNN with FPN, and its training losses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import backend, initializers
from kusari.initializer import Initializer
from kusari_cv.links.model.fpn.misc import argsort, choice, exp_clip, smooth_l1
from kusari_cv.utils import bbox_iou, non_maximum_suppression


class _Caffe2FCUniform(Initializer):
    """Uniform on ``[-s, s]`` with ``s = 1 / sqrt(array.shape[-1])`` (Caffe2's FC default)."""

    def __call__(self, array: Any) -> None:
        initializers.Uniform(1 / numpy.sqrt(array.shape[-1]))(array)


class BboxHead(kusari.Chain):
    """Box head of Faster R-CNN with FPN: RoIAlign, two fully connected layers, two outputs.

    Each region of interest is assigned to a pyramid level by its size (:meth:`distribute`),
    pooled to ``7 x 7`` with :func:`kusari.functions.roi_average_align_2d` (2 samples per bin),
    and mapped by two 1024-unit layers with ReLU to class-wise offsets and class logits. Offsets
    are encoded as ``(dy, dx, dh, dw) / std`` with ``std = (0.1, 0.2)``.

    Sources: Tsung-Yi Lin et al. Feature Pyramid Networks for Object Detection. CVPR 2017;
    Kaiming He et al. Mask R-CNN. ICCV 2017 (RoIAlign).

    Args:
        n_class: Number of classes including the background (class 0).
        scales: Scale of each pyramid level relative to the input.
    """

    _canonical_level = 2
    _canonical_scale = 224
    _roi_size = 7
    _roi_sample_ratio = 2
    std = (0.1, 0.2)

    def __init__(self, n_class: int, scales: Sequence[float]) -> None:
        if n_class < 2:
            raise ValueError(f"BboxHead: expected n_class >= 2 (with background), got {n_class}")
        super().__init__()
        with self.init_scope():
            self.fc1 = L.Linear(1024, initialW=_Caffe2FCUniform(), initial_bias=_Caffe2FCUniform())
            self.fc2 = L.Linear(1024, initialW=_Caffe2FCUniform(), initial_bias=_Caffe2FCUniform())
            self.loc = L.Linear(n_class * 4, initialW=initializers.Normal(0.001))
            self.conf = L.Linear(n_class, initialW=initializers.Normal(0.01))
        self._n_class = n_class
        self._scales = tuple(scales)

    def forward(
        self,
        hs: Sequence[kusari.Variable | Any],
        rois: Sequence[Any],
        roi_indices: Sequence[Any],
    ) -> tuple[kusari.Variable, kusari.Variable]:
        """Predict class-wise offsets and class logits of regions of interest.

        Args:
            hs: Feature maps ``(B, C, H_l, W_l)``, one per level.
            rois: Per level, regions ``(R_l, 4)`` float32 ``(y_min, x_min, y_max, x_max)`` in
                input pixels (from :meth:`distribute`).
            roi_indices: Per level, image indices ``(R_l,)`` int32.

        Returns:
            ``(locs, confs)``: offsets ``(R, n_class, 4)`` and logits ``(R, n_class)`` with
            ``R = sum(R_l)``, the levels in order.

        Raises:
            ValueError: ``hs``, ``rois`` and ``roi_indices`` do not have one entry per level.
        """
        if not len(hs) == len(rois) == len(roi_indices) == len(self._scales):
            raise ValueError(
                f"BboxHead.forward: expected {len(self._scales)} levels of hs, rois and "
                f"roi_indices, got {len(hs)}, {len(rois)} and {len(roi_indices)}"
            )
        pooled = [
            F.roi_average_align_2d(h, roi, roi_index, self._roi_size, scale, self._roi_sample_ratio)
            for h, roi, roi_index, scale in zip(hs, rois, roi_indices, self._scales, strict=True)
            if len(roi) > 0
        ]
        if not pooled:
            locs = self.xp.empty((0, self._n_class, 4), dtype=numpy.float32)
            confs = self.xp.empty((0, self._n_class), dtype=numpy.float32)
            return kusari.Variable(locs), kusari.Variable(confs)
        h = F.concat(pooled, axis=0)
        h = F.reshape(h, (h.shape[0], -1))
        h = F.relu(self.fc1(h))
        h = F.relu(self.fc2(h))
        locs = F.reshape(self.loc(h), (h.shape[0], self._n_class, 4))
        return locs, self.conf(h)

    def distribute(self, rois: Any, roi_indices: Any) -> tuple[list[Any], list[Any]]:
        """Assign regions of interest to pyramid levels by their size.

        A box of size ``s = sqrt(h * w)`` goes to level ``floor(log2(s / 224 + 1e-6)) + 2``,
        clipped to ``[0, len(scales) - 2]`` (the coarsest level is not used), FPN paper eq. 1.

        Args:
            rois: Regions ``(R, 4)`` float32 in input pixels.
            roi_indices: Image indices ``(R,)`` int32.

        Returns:
            ``(rois, roi_indices)``: one array per level, ``(R_l, 4)`` and ``(R_l,)``, each
            keeping the input order.

        Raises:
            ValueError: ``rois`` is not ``(R, 4)`` or ``roi_indices`` not ``(R,)``.
        """
        if rois.ndim != 2 or rois.shape[1] != 4 or roi_indices.shape != rois.shape[:1]:
            raise ValueError(
                f"BboxHead.distribute: expected rois (R, 4) and roi_indices (R,), got "
                f"{tuple(rois.shape)} and {tuple(roi_indices.shape)}"
            )
        xp = backend.get_array_module(rois)
        size = xp.sqrt(xp.prod(rois[:, 2:] - rois[:, :2], axis=1))
        level = xp.floor(xp.log2(size / self._canonical_scale + 1e-6)).astype(numpy.int32)
        level = xp.clip(level + self._canonical_level, 0, len(self._scales) - 2)
        masks = [level == lv for lv in range(len(self._scales))]
        return [rois[m] for m in masks], [roi_indices[m] for m in masks]

    def decode(
        self,
        rois: Sequence[Any],
        roi_indices: Sequence[Any],
        locs: kusari.Variable | Any,
        confs: kusari.Variable | Any,
        scales: Sequence[float],
        sizes: Sequence[tuple[int, int]],
        nms_thresh: float,
        score_thresh: float,
    ) -> tuple[list[Any], list[Any], list[Any]]:
        """Turn the head's predictions into detections in image coordinates.

        The regions are mapped back to each image (divided by its scale), moved by the offsets
        of every class (log-scales clipped to ``log(1000 / 16)``) and both corners clipped into
        the image;
        class scores are the softmax of the logits. For each foreground class, boxes scoring at
        least ``score_thresh`` are sorted by score and reduced with NMS.

        Args:
            rois: Per level, regions ``(R_l, 4)`` in input pixels (as given to :meth:`forward`).
            roi_indices: Per level, image indices ``(R_l,)``.
            locs: Offsets ``(R, n_class, 4)`` from :meth:`forward`.
            confs: Logits ``(R, n_class)`` from :meth:`forward`.
            scales: Per image, the scale :meth:`FasterRCNN.prepare` resized it with.
            sizes: Per image, its original ``(H, W)``.
            nms_thresh: IoU threshold of the NMS.
            score_thresh: Minimum score of a detection.

        Returns:
            ``(bboxes, labels, scores)``: per image, boxes ``(R'_n, 4)`` float32, labels
            ``(R'_n,)`` int32 in ``[0, n_class - 2]`` and scores ``(R'_n,)`` float32, ordered by
            label then score, on this link's device.

        Raises:
            ValueError: ``scales`` and ``sizes`` differ in length, or ``locs``/``confs`` do
                not have one row per region.
        """
        if len(scales) != len(sizes):
            raise ValueError(
                f"BboxHead.decode: expected as many scales as sizes, got {len(scales)} and "
                f"{len(sizes)}"
            )
        xp = self.xp
        rois = xp.concatenate(rois)
        roi_indices = xp.concatenate(roi_indices)
        locs = locs.array if isinstance(locs, kusari.Variable) else locs
        confs = confs.array if isinstance(confs, kusari.Variable) else confs
        if locs.shape != (len(rois), self._n_class, 4) or confs.shape != locs.shape[:2]:
            raise ValueError(
                f"BboxHead.decode: expected locs ({len(rois)}, {self._n_class}, 4) and confs "
                f"({len(rois)}, {self._n_class}), got {tuple(locs.shape)} and "
                f"{tuple(confs.shape)}"
            )
        # Decode every region at once, in the coordinates of its image: (R, n_class, 4).
        roi_scale = xp.asarray(scales, dtype=numpy.float32)[roi_indices]
        roi = rois / roi_scale[:, None]
        roi_hw = roi[:, None, 2:] - roi[:, None, :2]
        roi_yx = roi[:, None, :2] + roi_hw / 2
        yx = roi_yx + locs[:, :, :2] * roi_hw * numpy.float32(self.std[0])
        hw = roi_hw * xp.exp(xp.minimum(locs[:, :, 2:] * numpy.float32(self.std[1]), exp_clip))
        top_left = yx - hw / 2
        # Both corners are clipped into the image (ChainerCV clips only the top-left one from
        # below and the bottom-right one from above, which can invert a box).
        bound = xp.tile(xp.asarray(sizes, dtype=numpy.float32), 2)[roi_indices]
        bbox = xp.clip(xp.concatenate((top_left, top_left + hw), axis=2), 0, bound[:, None])
        conf = xp.exp(confs - confs.max(axis=1, keepdims=True))
        score = conf / conf.sum(axis=1, keepdims=True)
        bboxes, labels, scores = [], [], []
        for i in range(len(scales)):
            mask = roi_indices == i
            bbox_i, label_i, score_i = _suppress(bbox[mask], score[mask], nms_thresh, score_thresh)
            bboxes.append(bbox_i)
            labels.append(label_i)
            scores.append(score_i)
        return bboxes, labels, scores


def _suppress(
    raw_bbox: Any, raw_score: Any, nms_thresh: float, score_thresh: float
) -> tuple[Any, Any, Any]:
    """Per foreground class: threshold, sort by score, NMS; concatenated in class order."""
    xp = backend.get_array_module(raw_bbox)
    candidate = raw_score[:, 1:] >= score_thresh
    has_candidate = backend.CpuDevice().send(candidate.any(axis=0))
    bbox, label, score = [], [], []
    for fg in numpy.flatnonzero(has_candidate):
        index = xp.flatnonzero(candidate[:, fg])
        score_l = raw_score[index, fg + 1]
        order = argsort(-score_l)
        bbox_l = raw_bbox[index[order], fg + 1]
        score_l = score_l[order]
        keep = non_maximum_suppression(bbox_l, nms_thresh)
        bbox.append(bbox_l[keep])
        score.append(score_l[keep])
        label.append(xp.full((len(keep),), fg, dtype=numpy.int32))
    if not bbox:
        return (
            xp.zeros((0, 4), dtype=numpy.float32),
            xp.zeros((0,), dtype=numpy.int32),
            xp.zeros((0,), dtype=numpy.float32),
        )
    return (
        xp.concatenate(bbox).astype(numpy.float32, copy=False),
        xp.concatenate(label),
        xp.concatenate(score).astype(numpy.float32, copy=False),
    )


def bbox_head_loss_pre(
    rois: Sequence[Any],
    roi_indices: Sequence[Any],
    std: tuple[float, float],
    bboxes: Sequence[Any],
    labels: Sequence[Any],
) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Sample regions of interest and compute their targets, for :func:`bbox_head_loss_post`.

    Each region takes the ground truth box it overlaps most: its label + 1 when the IoU is at
    least 0.5, else background (0). Each image keeps at most 512 regions, at most a quarter of
    them foreground, drawn with ``numpy.random``; the others are dropped.

    Source: Ross Girshick. Fast R-CNN. ICCV 2015.

    Args:
        rois: Per level, regions ``(R_l, 4)`` in input pixels.
        roi_indices: Per level, image indices ``(R_l,)``.
        std: Encoding coefficients ``(center, size)`` (:attr:`BboxHead.std`).
        bboxes: Per image, ground truth boxes ``(G_n, 4)`` in input pixels.
        labels: Per image, ground truth labels ``(G_n,)`` int32 (foreground classes from 0).

    Returns:
        ``(rois, roi_indices, gt_locs, gt_labels)``: per level, the kept regions ``(R'_l, 4)``,
        their image indices ``(R'_l,)``, encoded target offsets ``(R'_l, 4)`` and target labels
        ``(R'_l,)`` int32 (0 is background).

    Raises:
        ValueError: ``bboxes`` and ``labels`` differ in length.
    """
    if len(bboxes) != len(labels):
        raise ValueError(
            f"bbox_head_loss_pre: expected as many bboxes as labels, got {len(bboxes)} and "
            f"{len(labels)}"
        )
    thresh, n_sample, fg_ratio = 0.5, 512, 0.25
    xp = backend.get_array_module(rois[0])
    n_level = len(rois)
    roi_levels = xp.concatenate(
        [xp.full((len(roi),), lv, dtype=numpy.int32) for lv, roi in enumerate(rois)]
    )
    rois = xp.concatenate(rois).astype(numpy.float32, copy=False)
    roi_indices = xp.concatenate(roi_indices).astype(numpy.int32, copy=False)
    rois_hw = rois[:, 2:] - rois[:, :2]
    rois_yx = rois[:, :2] + rois_hw / 2

    gt_locs = xp.zeros_like(rois)
    gt_labels = xp.full((len(rois),), -1, dtype=numpy.int32)
    for i in numpy.unique(backend.CpuDevice().send(roi_indices)):
        index = xp.flatnonzero(roi_indices == i)
        if len(bboxes[i]) > 0:
            iou = bbox_iou(rois[index], bboxes[i])
            gt_index = iou.argmax(axis=1)
            gt = bboxes[i][gt_index]
            gt_hw = gt[:, 2:] - gt[:, :2]
            gt_yx = gt[:, :2] + gt_hw / 2
            gt_locs[index, :2] = (gt_yx - rois_yx[index]) / rois_hw[index] / std[0]
            gt_locs[index, 2:] = xp.log(gt_hw / rois_hw[index]) / std[1]
            gt_label = labels[i][gt_index].astype(numpy.int32) + 1
            gt_label[iou.max(axis=1) < thresh] = 0
        else:
            gt_label = xp.zeros((len(index),), dtype=numpy.int32)

        fg_index = xp.flatnonzero(gt_label > 0)
        n_fg = int(n_sample * fg_ratio)
        if len(fg_index) > n_fg:
            gt_label[choice(fg_index, size=len(fg_index) - n_fg)] = -1
        bg_index = xp.flatnonzero(gt_label == 0)
        n_bg = n_sample - int((gt_label > 0).sum())
        if len(bg_index) > n_bg:
            gt_label[choice(bg_index, size=len(bg_index) - n_bg)] = -1
        gt_labels[index] = gt_label

    keep = gt_labels >= 0
    roi_levels = roi_levels[keep]
    masks = [roi_levels == lv for lv in range(n_level)]
    return (
        [rois[keep][m] for m in masks],
        [roi_indices[keep][m] for m in masks],
        [gt_locs[keep][m] for m in masks],
        [gt_labels[keep][m] for m in masks],
    )


def bbox_head_loss_post(
    locs: kusari.Variable,
    confs: kusari.Variable,
    roi_indices: Sequence[Any],
    gt_locs: Sequence[Any],
    gt_labels: Sequence[Any],
    batchsize: int,
) -> tuple[kusari.Variable, kusari.Variable]:
    """Training loss of :class:`BboxHead` on the regions :func:`bbox_head_loss_pre` kept.

    Per image: the smooth L1 loss (``beta = 1``) of the offsets predicted for the target class
    of foreground regions, summed and divided by the number of regions, and the softmax cross
    entropy of the logits averaged over the regions; both are summed over the images and
    divided by ``batchsize``.

    Source: Ross Girshick. Fast R-CNN. ICCV 2015.

    Args:
        locs: Predicted offsets ``(R, n_class, 4)`` (:meth:`BboxHead.forward`).
        confs: Predicted logits ``(R, n_class)``.
        roi_indices: Per level, image indices ``(R_l,)`` from :func:`bbox_head_loss_pre`.
        gt_locs: Per level, target offsets ``(R_l, 4)``.
        gt_labels: Per level, target labels ``(R_l,)``.
        batchsize: Number of images in the batch.

    Returns:
        ``(loc_loss, conf_loss)``: scalar Variables.

    Raises:
        ValueError: The number of targets differs from ``R``.
    """
    xp = backend.get_array_module(locs.array)
    roi_indices = xp.concatenate(roi_indices).astype(numpy.int32, copy=False)
    gt_locs = xp.concatenate(gt_locs).astype(numpy.float32, copy=False)
    gt_labels = xp.concatenate(gt_labels).astype(numpy.int32, copy=False)
    if not len(roi_indices) == len(gt_locs) == len(gt_labels) == locs.shape[0]:
        raise ValueError(
            f"bbox_head_loss_post: expected {locs.shape[0]} targets (one per region), got "
            f"{len(roi_indices)} roi_indices, {len(gt_locs)} gt_locs and {len(gt_labels)} "
            f"gt_labels"
        )
    loc_loss = 0
    conf_loss = 0
    for i in numpy.unique(backend.CpuDevice().send(roi_indices)):
        index = xp.flatnonzero(roi_indices == i)
        fg = index[gt_labels[index] > 0]
        loc_fg = locs[fg, gt_labels[fg]]
        loc_loss += F.sum(smooth_l1(loc_fg, gt_locs[fg], 1)) / len(index)
        conf_loss += F.softmax_cross_entropy(confs[index], gt_labels[index])
    return loc_loss / batchsize, conf_loss / batchsize
