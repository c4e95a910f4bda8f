"""Average precision of object detections as in the PASCAL VOC evaluation code.

Source: M. Everingham et al., "The PASCAL Visual Object Classes (VOC) Challenge", IJCV 2010,
Sec. 4.2 (matching by IoU >= 0.5 in score order, difficult boxes ignored, the 11-point
interpolated AP of VOC2007 and the area under the interpolated curve used from VOC2010).
Boxes are treated as integer pixel boxes as in the VOC devkit: one is added to ``y_max`` and
``x_max`` before computing IoU, as ChainerCV 0.13 does.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from kusari.backend import get_array_module
from kusari_cv.evaluations._iterables import _zip_same_length
from kusari_cv.utils import bbox_iou

_INPUT_NAMES = (
    "pred_bboxes",
    "pred_labels",
    "pred_scores",
    "gt_bboxes",
    "gt_labels",
    "gt_difficults",
)


def eval_detection_voc(
    pred_bboxes: Iterable[Any],
    pred_labels: Iterable[Any],
    pred_scores: Iterable[Any],
    gt_bboxes: Iterable[Any],
    gt_labels: Iterable[Any],
    gt_difficults: Iterable[Any] | None = None,
    iou_thresh: float = 0.5,
    use_07_metric: bool = False,
) -> dict[str, Any]:
    """Compute per-class average precision and their mean as in PASCAL VOC.

    The inputs describe the same ``N`` images, one array per image. See
    :func:`calc_detection_voc_prec_rec` for how detections are matched and
    :func:`calc_detection_voc_ap` for how the PR curve becomes one number.

    Args:
        pred_bboxes (iterable of ndarray): ``N`` arrays of shape ``(R, 4)`` holding predicted
            boxes ``(y_min, x_min, y_max, x_max)``; ``R`` may differ between images.
        pred_labels (iterable of ndarray): ``N`` int arrays of shape ``(R,)``, class ids in
            ``[0, L - 1]``.
        pred_scores (iterable of ndarray): ``N`` float arrays of shape ``(R,)``, confidences.
        gt_bboxes (iterable of ndarray): ``N`` arrays of shape ``(R', 4)``, ground truth boxes.
        gt_labels (iterable of ndarray): ``N`` int arrays of shape ``(R',)``.
        gt_difficults (iterable of ndarray or None): ``N`` bool arrays of shape ``(R',)``
            flagging difficult ground truth boxes; ``None`` means none is difficult.
        iou_thresh (float): A detection matches a ground truth box when their IoU is at least
            this value.
        use_07_metric (bool): Use the 11-point metric of VOC2007 instead of the area under
            the interpolated PR curve.

    Returns:
        dict: ``'ap'``: float64 array of shape ``(L,)`` with ``L`` one more than the largest
        class id seen; entry ``l`` is ``nan`` when class ``l`` occurs in neither
        ``pred_labels`` nor ``gt_labels`` (and, with the area metric, when it has
        detections but no non-difficult ground truth). ``'map'``: float, the mean of
        ``'ap'`` ignoring ``nan``.

    Raises:
        ValueError: If the inputs have different lengths, malformed shapes or no box at all.
        TypeError: If labels are not integer arrays.
    """
    prec, rec = calc_detection_voc_prec_rec(
        pred_bboxes,
        pred_labels,
        pred_scores,
        gt_bboxes,
        gt_labels,
        gt_difficults,
        iou_thresh=iou_thresh,
    )
    ap = calc_detection_voc_ap(prec, rec, use_07_metric=use_07_metric)
    xp = get_array_module(ap)
    return {"ap": ap, "map": float(xp.nanmean(ap))}


def calc_detection_voc_prec_rec(
    pred_bboxes: Iterable[Any],
    pred_labels: Iterable[Any],
    pred_scores: Iterable[Any],
    gt_bboxes: Iterable[Any],
    gt_labels: Iterable[Any],
    gt_difficults: Iterable[Any] | None = None,
    iou_thresh: float = 0.5,
) -> tuple[list[Any], list[Any]]:
    """Compute per-class precision and recall curves as in PASCAL VOC.

    In each image and for each class, detections are visited from the highest score down;
    each takes the ground truth box of the same class with which it has the largest IoU
    (computed on boxes with one pixel added to ``y_max`` and ``x_max``). If that IoU is below
    ``iou_thresh`` the detection is a false positive. If the box is difficult the detection
    is ignored (neither true nor false positive). Otherwise the first detection to take the
    box is a true positive and later ones are false positives (duplicates). All detections of
    a class are then sorted by score over the whole dataset and the cumulative counts give
    precision ``tp / (tp + fp)`` and recall ``tp / n_pos``, where ``n_pos`` counts the
    non-difficult ground truth boxes of the class.

    Args:
        pred_bboxes (iterable of ndarray): ``N`` arrays of shape ``(R, 4)``, predicted boxes
            ``(y_min, x_min, y_max, x_max)``.
        pred_labels (iterable of ndarray): ``N`` int arrays of shape ``(R,)``.
        pred_scores (iterable of ndarray): ``N`` float arrays of shape ``(R,)``.
        gt_bboxes (iterable of ndarray): ``N`` arrays of shape ``(R', 4)``.
        gt_labels (iterable of ndarray): ``N`` int arrays of shape ``(R',)``.
        gt_difficults (iterable of ndarray or None): ``N`` bool arrays of shape ``(R',)``;
            ``None`` means no box is difficult.
        iou_thresh (float): Smallest IoU at which a detection matches a ground truth box.

    Returns:
        tuple of two lists: ``prec`` and ``rec``, each of length ``L`` (one more than the
        largest class id seen). ``prec[l]`` and ``rec[l]`` are float64 arrays of shape
        ``(D_l,)`` over the ``D_l`` detections of class ``l`` in descending score order, or
        ``None`` when class ``l`` occurs in neither ``pred_labels`` nor ``gt_labels``.
        ``rec[l]`` is ``nan`` where class ``l`` has no non-difficult ground truth box.

    Raises:
        ValueError: If the inputs have different lengths, malformed shapes or no box at all.
        TypeError: If labels are not integer arrays.
    """
    name = "calc_detection_voc_prec_rec"
    names = _INPUT_NAMES
    iterables = (pred_bboxes, pred_labels, pred_scores, gt_bboxes, gt_labels, gt_difficults)
    if gt_difficults is None:
        names, iterables = names[:-1], iterables[:-1]

    n_pos: dict[int, int] = defaultdict(int)
    score: dict[int, list[Any]] = defaultdict(list)
    match: dict[int, list[Any]] = defaultdict(list)
    xp: Any = np

    for index, items in enumerate(_zip_same_length(name, names, *iterables)):
        pred_bbox, pred_label, pred_score, gt_bbox, gt_label = items[:5]
        gt_difficult = items[5] if gt_difficults is not None else None
        _check_image(
            name, index, pred_bbox, pred_label, pred_score, gt_bbox, gt_label, gt_difficult
        )
        xp = get_array_module(pred_bbox)
        if gt_difficult is None:
            gt_difficult = xp.zeros(gt_bbox.shape[0], dtype=bool)
        else:
            gt_difficult = gt_difficult.astype(bool)

        classes = xp.unique(xp.concatenate((pred_label, gt_label)).astype(np.int64))
        for label in classes.tolist():
            pred_mask = pred_label == label
            order = xp.argsort(pred_score[pred_mask], kind="stable")[::-1]
            pred_bbox_l = pred_bbox[pred_mask][order]
            score[label].append(pred_score[pred_mask][order])

            gt_mask = gt_label == label
            gt_bbox_l = gt_bbox[gt_mask]
            gt_difficult_l = gt_difficult[gt_mask]
            n_pos[label] += int(xp.logical_not(gt_difficult_l).sum())

            if pred_bbox_l.shape[0] > 0:
                match[label].append(
                    _match_image(xp, pred_bbox_l, gt_bbox_l, gt_difficult_l, iou_thresh)
                )

    if not n_pos:
        raise ValueError(
            f"{name}: expected at least one box in pred_labels or gt_labels, but all images "
            "were empty"
        )

    n_fg_class = max(n_pos) + 1
    prec: list[Any] = [None] * n_fg_class
    rec: list[Any] = [None] * n_fg_class
    for label, n_pos_l in n_pos.items():
        score_l = xp.concatenate(score[label])
        if match[label]:
            match_l = xp.concatenate(match[label])
        else:
            match_l = xp.zeros((0,), dtype=np.int8)
        match_l = match_l[xp.argsort(score_l, kind="stable")[::-1]]

        tp = xp.cumsum(match_l == 1)
        fp = xp.cumsum(match_l == 0)
        prec[label] = tp / xp.maximum(fp + tp, np.finfo(np.float64).eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            rec[label] = tp / np.float64(n_pos_l)
    return prec, rec


def calc_detection_voc_ap(
    prec: Sequence[Any], rec: Sequence[Any], use_07_metric: bool = False
) -> Any:
    """Compute average precision per class from precision and recall curves.

    With ``use_07_metric`` the AP is the mean over the 11 recall thresholds
    ``t = 0, 0.1, ..., 1`` of the largest precision reached at recall ``>= t`` (0 when none
    is). Otherwise the precision curve is replaced by its running maximum from the right
    (the interpolated precision) and the AP is the area under that step curve, with recall
    running from 0 to 1.

    Args:
        prec (sequence of ndarray or None): ``L`` entries; ``prec[l]`` is a float array of
            shape ``(D_l,)`` or ``None``.
        rec (sequence of ndarray or None): ``L`` entries matching ``prec``.
        use_07_metric (bool): Use the 11-point metric of VOC2007.

    Returns:
        ndarray: float64 array of shape ``(L,)``; ``nan`` where ``prec[l]`` or ``rec[l]`` is
        ``None``.

    Raises:
        ValueError: If ``prec`` and ``rec`` differ in length or an entry's shapes differ.
    """
    name = "calc_detection_voc_ap"
    if len(prec) != len(rec):
        raise ValueError(f"{name}: len(prec) ({len(prec)}) != len(rec) ({len(rec)})")
    present = [p for p, r in zip(prec, rec, strict=True) if p is not None and r is not None]
    xp = get_array_module(present[0]) if present else np
    ap = xp.full((len(prec),), np.nan, dtype=np.float64)
    for label, (prec_l, rec_l) in enumerate(zip(prec, rec, strict=True)):
        if prec_l is None or rec_l is None:
            continue
        if prec_l.shape != rec_l.shape or prec_l.ndim != 1:
            raise ValueError(
                f"{name}: prec[{label}] and rec[{label}] must be 1-D arrays of the same shape, "
                f"got {prec_l.shape} and {rec_l.shape}"
            )
        if use_07_metric:
            ap[label] = _ap_11_point(xp, prec_l, rec_l)
        else:
            ap[label] = _ap_area(xp, prec_l, rec_l)
    return ap


def _ap_11_point(xp: Any, prec: Any, rec: Any) -> Any:
    """Return the VOC2007 11-point interpolated AP of one PR curve."""
    thresholds = xp.arange(0.0, 1.1, 0.1)
    reached = rec[None, :] >= thresholds[:, None]
    best = xp.where(reached, prec[None, :], 0.0)
    if best.shape[1] == 0:
        return 0.0
    return (best.max(axis=1) / 11).sum()


def _ap_area(xp: Any, prec: Any, rec: Any) -> Any:
    """Return the area under the interpolated PR curve (VOC2010 onwards)."""
    mpre = xp.concatenate((xp.zeros(1), prec.astype(np.float64), xp.zeros(1)))
    mrec = xp.concatenate((xp.zeros(1), rec.astype(np.float64), xp.ones(1)))
    mpre = xp.maximum.accumulate(mpre[::-1])[::-1]
    step = xp.nonzero(mrec[1:] != mrec[:-1])[0]
    return ((mrec[step + 1] - mrec[step]) * mpre[step + 1]).sum()


def _match_image(
    xp: Any, pred_bbox: Any, gt_bbox: Any, gt_difficult: Any, iou_thresh: float
) -> Any:
    """Label detections of one class in one image, sorted by descending score.

    Returns an int8 array of shape ``(R,)``: 1 true positive, 0 false positive, -1 ignored
    (matched a difficult box).
    """
    n_pred = pred_bbox.shape[0]
    if gt_bbox.shape[0] == 0:
        return xp.zeros((n_pred,), dtype=np.int8)
    pred_bbox = pred_bbox.copy()
    pred_bbox[:, 2:] += 1
    gt_bbox = gt_bbox.copy()
    gt_bbox[:, 2:] += 1
    iou = bbox_iou(pred_bbox, gt_bbox)
    gt_index = iou.argmax(axis=1)
    matched = iou.max(axis=1) >= iou_thresh

    matched_at = xp.nonzero(matched)[0]
    _, first = xp.unique(gt_index[matched_at], return_index=True)
    is_first = xp.zeros((n_pred,), dtype=bool)
    is_first[matched_at[first]] = True
    hits_difficult = matched & gt_difficult[gt_index]

    result = xp.zeros((n_pred,), dtype=np.int8)
    result[is_first & ~hits_difficult] = 1
    result[hits_difficult] = -1
    return result


def _check_image(
    name: str,
    index: int,
    pred_bbox: Any,
    pred_label: Any,
    pred_score: Any,
    gt_bbox: Any,
    gt_label: Any,
    gt_difficult: Any,
) -> None:
    """Raise if the arrays of image ``index`` do not have consistent shapes and dtypes."""
    for arg, bbox in (("pred_bboxes", pred_bbox), ("gt_bboxes", gt_bbox)):
        if getattr(bbox, "ndim", None) != 2 or bbox.shape[1] != 4:
            raise ValueError(
                f"{name}: {arg}[{index}] must have shape (R, 4), got "
                f"{getattr(bbox, 'shape', type(bbox).__name__)}"
            )
    for arg, array, bbox in (
        ("pred_labels", pred_label, pred_bbox),
        ("pred_scores", pred_score, pred_bbox),
        ("gt_labels", gt_label, gt_bbox),
        ("gt_difficults", gt_difficult, gt_bbox),
    ):
        if array is None:
            continue
        if getattr(array, "shape", None) != (bbox.shape[0],):
            raise ValueError(
                f"{name}: {arg}[{index}] must have shape ({bbox.shape[0]},) to match the "
                f"boxes, got {getattr(array, 'shape', type(array).__name__)}"
            )
    for arg, label in (("pred_labels", pred_label), ("gt_labels", gt_label)):
        if label.dtype.kind not in "iu":
            raise TypeError(
                f"{name}: {arg}[{index}] must be an integer array, got dtype {label.dtype}"
            )
