"""Confusion matrix, IoU and accuracies for semantic segmentation.

Source: J. Long, E. Shelhamer, T. Darrell, "Fully Convolutional Networks for Semantic
Segmentation", CVPR 2015, Sec. 5 (pixel accuracy, mean accuracy, mean IU); definitions as in
A. Garcia-Garcia et al., "A Review on Deep Learning Techniques Applied to Semantic
Segmentation", arXiv:1704.06857, 2017.
"""

from collections.abc import Iterable
from typing import Any

import numpy as np

from kusari.backend import get_array_module
from kusari_cv.evaluations._iterables import _zip_same_length


def calc_semantic_segmentation_confusion(
    pred_labels: Iterable[Any], gt_labels: Iterable[Any]
) -> Any:
    """Count pixels by (ground truth class, predicted class).

    Pixels whose ground truth label is ``-1`` (or any negative value) are ignored. The number
    of classes ``n_class`` is one more than the largest label in either input.

    Args:
        pred_labels (iterable of ndarray): ``N`` int arrays of shape ``(H, W)``, predicted
            labels in ``[0, n_class - 1]``; ``H`` and ``W`` may differ between images.
        gt_labels (iterable of ndarray): ``N`` int arrays of shape ``(H, W)``, ground truth
            labels in ``[-1, n_class - 1]``.

    Returns:
        ndarray: int64 array of shape ``(n_class, n_class)`` whose ``(i, j)`` entry counts the
        pixels labelled ``i`` in the ground truth and ``j`` in the prediction.

    Raises:
        ValueError: If the inputs differ in length, an image pair is not 2-D with equal
            shapes, or a prediction is negative at a pixel that is not ignored.
        TypeError: If labels are not integer arrays.
    """
    name = "calc_semantic_segmentation_confusion"
    n_class = 0
    confusion = None
    for index, (pred_label, gt_label) in enumerate(
        _zip_same_length(name, ("pred_labels", "gt_labels"), pred_labels, gt_labels)
    ):
        _check_pair(name, index, pred_label, gt_label)
        xp = get_array_module(pred_label)
        if confusion is None:
            confusion = xp.zeros((0, 0), dtype=np.int64)
        pred_label = pred_label.ravel().astype(np.int64)
        gt_label = gt_label.ravel().astype(np.int64)
        if pred_label.size == 0:
            continue

        label_max = int(max(pred_label.max(), gt_label.max()))
        if label_max >= n_class:
            expanded = xp.zeros((label_max + 1, label_max + 1), dtype=np.int64)
            expanded[:n_class, :n_class] = confusion
            n_class = label_max + 1
            confusion = expanded

        valid = gt_label >= 0
        pred_valid = pred_label[valid]
        if pred_valid.size and int(pred_valid.min()) < 0:
            raise ValueError(
                f"{name}: pred_labels[{index}] must be >= 0 where gt_labels[{index}] is not "
                f"ignored (-1), got {int(pred_valid.min())}"
            )
        counts = xp.bincount(n_class * gt_label[valid] + pred_valid, minlength=n_class**2)
        confusion += counts.reshape(n_class, n_class)
    if confusion is None:
        return np.zeros((0, 0), dtype=np.int64)
    return confusion


def calc_semantic_segmentation_iou(confusion: Any) -> Any:
    """Compute per-class Intersection over Union from a confusion matrix.

    ``IoU_i = N_ii / (sum_j N_ij + sum_j N_ji - N_ii)``, with ``N_ij`` the number of pixels of
    ground truth class ``i`` predicted as ``j``.

    Args:
        confusion (ndarray): Array of shape ``(n_class, n_class)`` as returned by
            :func:`calc_semantic_segmentation_confusion`.

    Returns:
        ndarray: float64 array of shape ``(n_class,)``; ``nan`` for a class that occurs in
        neither the ground truth nor the prediction.

    Raises:
        ValueError: If ``confusion`` is not a square 2-D array.
    """
    shape = getattr(confusion, "shape", None)
    if shape is None or len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(
            "calc_semantic_segmentation_iou: confusion must have shape (n_class, n_class), "
            f"got {shape if shape is not None else type(confusion).__name__}"
        )
    xp = get_array_module(confusion)
    diag = xp.diag(confusion)
    denominator = confusion.sum(axis=1) + confusion.sum(axis=0) - diag
    with np.errstate(divide="ignore", invalid="ignore"):
        return diag / denominator.astype(np.float64)


def eval_semantic_segmentation(
    pred_labels: Iterable[Any], gt_labels: Iterable[Any]
) -> dict[str, Any]:
    """Evaluate IoU, pixel accuracy and class accuracy of semantic segmentation.

    With ``N_ij`` the number of pixels of ground truth class ``i`` predicted as ``j`` (pixels
    labelled ``-1`` in the ground truth ignored):

    * IoU of class ``i``: ``N_ii / (sum_j N_ij + sum_j N_ji - N_ii)``; mIoU is its mean.
    * Pixel accuracy: ``sum_i N_ii / sum_ij N_ij``.
    * Class accuracy of class ``i``: ``N_ii / sum_j N_ij``; mean class accuracy is its mean.

    Means skip classes whose value is ``nan`` (classes absent from the data).

    Args:
        pred_labels (iterable of ndarray): ``N`` int arrays of shape ``(H, W)``, predicted
            labels in ``[0, n_class - 1]``.
        gt_labels (iterable of ndarray): ``N`` int arrays of shape ``(H, W)``, ground truth
            labels in ``[-1, n_class - 1]``.

    Returns:
        dict: ``'iou'`` float64 array ``(n_class,)``, ``'miou'`` float, ``'pixel_accuracy'``
        float, ``'class_accuracy'`` float64 array ``(n_class,)``, ``'mean_class_accuracy'``
        float.

    Raises:
        ValueError: See :func:`calc_semantic_segmentation_confusion`.
        TypeError: See :func:`calc_semantic_segmentation_confusion`.
    """
    confusion = calc_semantic_segmentation_confusion(pred_labels, gt_labels)
    xp = get_array_module(confusion)
    iou = calc_semantic_segmentation_iou(confusion)
    diag = xp.diag(confusion).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        pixel_accuracy = diag.sum() / confusion.sum()
        class_accuracy = diag / confusion.sum(axis=1)
    return {
        "iou": iou,
        "miou": float(xp.nanmean(iou)),
        "pixel_accuracy": float(pixel_accuracy),
        "class_accuracy": class_accuracy,
        "mean_class_accuracy": float(xp.nanmean(class_accuracy)),
    }


def _check_pair(name: str, index: int, pred_label: Any, gt_label: Any) -> None:
    """Raise if one prediction and its ground truth are not 2-D integer arrays of one shape."""
    for arg, label in (("pred_labels", pred_label), ("gt_labels", gt_label)):
        if getattr(label, "ndim", None) != 2:
            raise ValueError(
                f"{name}: {arg}[{index}] must have shape (H, W), got "
                f"{getattr(label, 'shape', type(label).__name__)}"
            )
        if label.dtype.kind not in "iu":
            raise TypeError(
                f"{name}: {arg}[{index}] must be an integer array, got dtype {label.dtype}"
            )
    if pred_label.shape != gt_label.shape:
        raise ValueError(
            f"{name}: pred_labels[{index}].shape {pred_label.shape} != "
            f"gt_labels[{index}].shape {gt_label.shape}"
        )
