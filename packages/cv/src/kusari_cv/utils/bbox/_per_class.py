"""Per-class thresholding and suppression, the last step of ChainerCV's detectors."""

from __future__ import annotations

from typing import Any

import numpy

from kusari.backend import get_array_module
from kusari_cv.utils.bbox.non_maximum_suppression import non_maximum_suppression


def suppress_per_class(
    bbox: Any,
    score: Any,
    nms_thresh: float | None,
    score_thresh: float,
    inclusive: bool = True,
) -> tuple[Any, Any, Any]:
    """Threshold the scores of each class, then suppress that class's boxes on their own.

    Args:
        bbox: Candidate boxes: ``(K, 4)`` shared by every class, or ``(K, L, 4)`` with one box
            per class (Faster R-CNN's class-specific regression).
        score: Foreground scores ``(K, L)``; column ``l`` gives label ``l``.
        nms_thresh: IoU threshold of :func:`~kusari_cv.utils.non_maximum_suppression`, or
            ``None`` to keep every box above the score threshold, in index order.
        score_thresh: The score a box must reach.
        inclusive: Keep a score equal to ``score_thresh`` (``>=``, SSD and YOLO) or only
            greater ones (``>``, Faster R-CNN), as each ChainerCV model does.

    Returns:
        ``(bbox, label, score)``: ``(R, 4)`` float32, ``(R,)`` int32 and ``(R,)`` float32,
        grouped by increasing label and, within a label, in decreasing score (the order of the
        suppression).
    """
    xp = get_array_module(bbox)
    bboxes, labels, scores = [], [], []
    for lb in range(score.shape[1]):
        bbox_l = bbox if bbox.ndim == 2 else bbox[:, lb]
        score_l = score[:, lb]
        keep = xp.flatnonzero(score_l >= score_thresh if inclusive else score_l > score_thresh)
        if nms_thresh is not None:
            keep = keep[non_maximum_suppression(bbox_l[keep], nms_thresh, score_l[keep])]
        bboxes.append(bbox_l[keep])
        labels.append(xp.full((len(keep),), lb, dtype=numpy.int32))
        scores.append(score_l[keep])
    return (
        xp.concatenate(bboxes).astype(numpy.float32, copy=False),
        xp.concatenate(labels),
        xp.concatenate(scores).astype(numpy.float32, copy=False),
    )
