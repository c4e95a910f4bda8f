"""Average precision and recall of object detections as in the MS COCO evaluation code.

Source: T.-Y. Lin et al., "Microsoft COCO: Common Objects in Context", ECCV 2014, and the
COCO detection evaluation (https://cocodataset.org/#detection-eval): AP averaged over the IoU
thresholds 0.50:0.05:0.95 and 101 recall points, split by object area and capped by the number
of detections per image. The matching itself is done by ``pycocotools``, an optional
dependency (``pip install pycocotools``) imported when the function is called.
"""

import contextlib
import io
from collections.abc import Iterable
from typing import Any

import numpy as np

from kusari.backend import CpuDevice
from kusari_cv.evaluations._iterables import _zip_same_length

_INPUT_NAMES = (
    "pred_bboxes",
    "pred_labels",
    "pred_scores",
    "gt_bboxes",
    "gt_labels",
    "gt_areas",
    "gt_crowdeds",
)

_AREA_RANGES = ("small", "medium", "large")

# (metric, IoU threshold or None for 0.50:0.95, area range, max detections per image)
_METRICS = (
    ("ap", None, "all", 100),
    ("ap", 0.5, "all", 100),
    ("ap", 0.75, "all", 100),
    ("ap", None, "small", 100),
    ("ap", None, "medium", 100),
    ("ap", None, "large", 100),
    ("ar", None, "all", 1),
    ("ar", None, "all", 10),
    ("ar", None, "all", 100),
    ("ar", None, "small", 100),
    ("ar", None, "medium", 100),
    ("ar", None, "large", 100),
)


def eval_detection_coco(
    pred_bboxes: Iterable[Any],
    pred_labels: Iterable[Any],
    pred_scores: Iterable[Any],
    gt_bboxes: Iterable[Any],
    gt_labels: Iterable[Any],
    gt_areas: Iterable[Any] | None = None,
    gt_crowdeds: Iterable[Any] | None = None,
) -> dict[str, Any]:
    """Evaluate detections with the MS COCO metrics (AP and AR over IoU 0.50:0.95).

    The inputs describe the same ``N`` images, one array per image. Boxes are
    ``(y_min, x_min, y_max, x_max)`` in pixels; their IoU is computed without the one-pixel
    offset of the VOC devkit, and their coordinates are rounded to two decimals as in COCO's
    result files.

    Args:
        pred_bboxes (iterable of ndarray): ``N`` arrays of shape ``(R, 4)``, predicted boxes;
            ``R`` may differ between images.
        pred_labels (iterable of ndarray): ``N`` int arrays of shape ``(R,)``, class ids in
            ``[0, L - 1]``.
        pred_scores (iterable of ndarray): ``N`` float arrays of shape ``(R,)``, confidences.
        gt_bboxes (iterable of ndarray): ``N`` arrays of shape ``(R', 4)``, ground truth boxes.
        gt_labels (iterable of ndarray): ``N`` int arrays of shape ``(R',)``.
        gt_areas (iterable of ndarray or None): ``N`` float arrays of shape ``(R',)``, the
            object areas that decide the small / medium / large split (COCO uses the mask
            area). ``None`` uses the box areas and leaves the per-area keys out of the result.
        gt_crowdeds (iterable of ndarray or None): ``N`` bool arrays of shape ``(R',)``
            flagging crowd boxes, which a detection may match without counting as a true or
            false positive. ``None`` means no box is a crowd.

    Returns:
        dict: For each metric key ``K`` below, ``'ap/K'`` or ``'ar/K'`` is a float64 array of
        shape ``(L,)`` (``L`` one more than the largest class id seen) holding the value per
        class, ``nan`` for a class that cannot be evaluated (absent, or with only crowd ground
        truth), and ``'map/K'`` or ``'mar/K'`` is their mean ignoring ``nan`` (``nan`` when
        all are). The AP keys ``K`` are ``iou=0.50:0.95/area=all/max_dets=100``,
        ``iou=0.50/area=all/max_dets=100``, ``iou=0.75/area=all/max_dets=100`` and
        ``iou=0.50:0.95/area={small,medium,large}/max_dets=100``; the AR keys are
        ``iou=0.50:0.95/area=all/max_dets={1,10,100}`` and
        ``iou=0.50:0.95/area={small,medium,large}/max_dets=100``. The per-area keys are only
        present when ``gt_areas`` is given. ``'coco_eval'`` holds the
        ``pycocotools.cocoeval.COCOeval`` object and ``'existent_labels'`` the int32 array of
        the class ids that occur in the predictions or the ground truth.

    Raises:
        ImportError: If ``pycocotools`` is not installed.
        ValueError: If the inputs have different lengths, malformed shapes or no box at all.
        TypeError: If labels are not integer arrays.
    """
    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError as error:
        raise ImportError(
            "eval_detection_coco: needs the optional package pycocotools; install it with "
            "`pip install pycocotools`"
        ) from error

    name = "eval_detection_coco"
    given = [
        (n, it)
        for n, it in zip(
            _INPUT_NAMES,
            (pred_bboxes, pred_labels, pred_scores, gt_bboxes, gt_labels, gt_areas, gt_crowdeds),
            strict=True,
        )
        if it is not None
    ]
    given_names = tuple(n for n, _ in given)
    to_cpu = CpuDevice().send

    images: list[dict[str, int]] = []
    pred_anns: list[dict[str, Any]] = []
    gt_anns: list[dict[str, Any]] = []
    labels: set[int] = set()
    zipped = _zip_same_length(name, given_names, *(it for _, it in given))
    for index, items in enumerate(zipped):
        arrays = dict(zip(given_names, items, strict=True))
        pred_bbox, pred_label, pred_score, gt_bbox, gt_label, gt_area, gt_crowded = (
            None if n not in arrays else np.asarray(to_cpu(arrays[n])) for n in _INPUT_NAMES
        )
        _check_image(
            name, index, pred_bbox, pred_label, pred_score, gt_bbox, gt_label, gt_area, gt_crowded
        )
        img_id = index + 1
        images.append({"id": img_id})
        if gt_crowded is None:
            gt_crowded = np.zeros(len(gt_bbox), dtype=bool)
        pred_anns.extend(
            _annotations(pred_bbox, pred_label, None, None, pred_score, img_id, len(pred_anns))
        )
        gt_anns.extend(
            _annotations(gt_bbox, gt_label, gt_area, gt_crowded, None, img_id, len(gt_anns))
        )
        labels.update(pred_label.tolist())
        labels.update(gt_label.tolist())

    if not labels:
        raise ValueError(
            f"{name}: expected at least one box in pred_labels or gt_labels, but all images "
            "were empty"
        )
    existent_labels = np.array(sorted(labels), dtype=np.int32)
    # COCO category ids are the labels shifted by one: pycocotools treats id 0 as "no id".
    categories = [{"id": label + 1} for label in existent_labels.tolist()]

    with contextlib.redirect_stdout(io.StringIO()):
        gt_coco = COCO()
        gt_coco.dataset = {"images": images, "annotations": gt_anns, "categories": categories}
        gt_coco.createIndex()
        pred_coco = COCO()
        pred_coco.dataset = {
            "images": images,
            "annotations": pred_anns,
            "categories": categories,
        }
        pred_coco.createIndex()
        coco_eval = COCOeval(gt_coco, pred_coco, "bbox")
        coco_eval.evaluate()
        coco_eval.accumulate()

    params = coco_eval.params
    # precision: (T IoU thresholds, 101 recall points, K classes, A areas, M max dets);
    # recall: (T, K, A, M); -1 marks what cannot be evaluated.
    precision = np.asarray(coco_eval.eval["precision"], dtype=np.float64)
    recall = np.asarray(coco_eval.eval["recall"], dtype=np.float64)
    class_index = np.asarray(params.catIds) - 1
    n_class = int(existent_labels.max()) + 1

    results: dict[str, Any] = {"coco_eval": coco_eval, "existent_labels": existent_labels}
    for metric, iou_thresh, area, max_dets in _METRICS:
        if gt_areas is None and area != "all":
            continue
        values = precision if metric == "ap" else recall
        if iou_thresh is not None:
            values = values[np.isclose(params.iouThrs, iou_thresh)]
        values = values[..., params.areaRngLbl.index(area), params.maxDets.index(max_dets)]
        values = values.reshape(-1, values.shape[-1])
        per_class = np.full(n_class, np.nan)
        per_class[class_index] = _mean_valid(values)
        iou = "0.50:0.95" if iou_thresh is None else f"{iou_thresh:.2f}"
        key = f"{metric}/iou={iou}/area={area}/max_dets={max_dets}"
        results[key] = per_class
        results["m" + key] = (
            float(np.nanmean(per_class)) if np.any(~np.isnan(per_class)) else float("nan")
        )
    return results


def _mean_valid(values: np.ndarray) -> np.ndarray:
    """Mean over axis 0 of the entries that are not -1, ``nan`` for columns with none."""
    valid = values > -1
    count = valid.sum(axis=0)
    total = np.where(valid, values, 0.0).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _annotations(
    bbox: np.ndarray,
    label: np.ndarray,
    area: np.ndarray | None,
    crowded: np.ndarray | None,
    score: np.ndarray | None,
    img_id: int,
    first_id: int,
) -> list[dict[str, Any]]:
    """Build COCO annotation dicts (``bbox`` as ``[x, y, w, h]``) for the boxes of one image."""
    bbox = bbox.astype(np.float64)
    height = bbox[:, 2] - bbox[:, 0]
    width = bbox[:, 3] - bbox[:, 1]
    coco_bbox = np.round(np.stack((bbox[:, 1], bbox[:, 0], width, height), axis=1), 2)
    area = height * width if area is None else area.astype(np.float64)
    fields: dict[str, list[Any]] = {
        "bbox": coco_bbox.tolist(),
        "area": area.tolist(),
        "category_id": (label.astype(np.int64) + 1).tolist(),
        "id": list(range(first_id + 1, first_id + 1 + len(bbox))),
    }
    if crowded is not None:
        fields["iscrowd"] = crowded.astype(np.int64).tolist()
    if score is not None:
        fields["score"] = score.astype(np.float64).tolist()
    keys = list(fields)
    return [
        dict(zip(keys, values, strict=True), image_id=img_id)
        for values in zip(*fields.values(), strict=True)
    ]


def _check_image(
    name: str,
    index: int,
    pred_bbox: np.ndarray,
    pred_label: np.ndarray,
    pred_score: np.ndarray,
    gt_bbox: np.ndarray,
    gt_label: np.ndarray,
    gt_area: np.ndarray | None,
    gt_crowded: np.ndarray | None,
) -> None:
    """Raise if the arrays of image ``index`` do not have matching, well-formed shapes."""
    for kind, bbox, label in (("pred", pred_bbox, pred_label), ("gt", gt_bbox, gt_label)):
        if bbox.ndim != 2 or bbox.shape[1] != 4:
            raise ValueError(
                f"{name}: {kind}_bboxes[{index}] must have shape (R, 4), got {bbox.shape}"
            )
        if not np.issubdtype(label.dtype, np.integer):
            raise TypeError(
                f"{name}: {kind}_labels[{index}] must be an integer array, got {label.dtype}"
            )
        if label.shape != (bbox.shape[0],):
            raise ValueError(
                f"{name}: {kind}_labels[{index}] must have shape ({bbox.shape[0]},) to match "
                f"{kind}_bboxes[{index}], got {label.shape}"
            )
        if label.size and label.min() < 0:
            raise ValueError(
                f"{name}: {kind}_labels[{index}] must be non-negative, got {label.min()}"
            )
    n_gt = gt_bbox.shape[0]
    for kind, array, n in (
        ("pred_scores", pred_score, pred_bbox.shape[0]),
        ("gt_areas", gt_area, n_gt),
        ("gt_crowdeds", gt_crowded, n_gt),
    ):
        if array is not None and array.shape != (n,):
            raise ValueError(
                f"{name}: {kind}[{index}] must have shape ({n},) to match the boxes, got "
                f"{array.shape}"
            )
