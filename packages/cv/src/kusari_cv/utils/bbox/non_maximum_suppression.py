"""Greedy non-maximum suppression of bounding boxes."""

from __future__ import annotations

from typing import Any

import numpy

from kusari.backend import get_array_module
from kusari_cv.utils.bbox.bbox_iou import _check_bbox


def _descending_order(xp: Any, score: Any) -> Any:
    # ChainerCV sorts with ``score.argsort()[::-1]``: ties end up in descending index order.
    # A stable sort makes that order deterministic (CuPy's sort is always stable).
    if xp is numpy:
        return numpy.argsort(score, kind="stable")[::-1]
    return xp.argsort(score)[::-1]


def non_maximum_suppression(
    bbox: Any, thresh: float, score: Any | None = None, limit: int | None = None
) -> Any:
    """Select boxes greedily, dropping those that overlap an already selected box too much.

    Boxes are visited from the highest score to the lowest (in index order when ``score`` is
    ``None``; equal scores are visited from the highest index to the lowest, as ChainerCV's
    ``argsort()[::-1]`` does). A box is selected when its IoU (see
    :func:`~kusari_cv.utils.bbox_iou`) with every box selected so far is less than ``thresh``;
    a box whose IoU with a selected box is ``>= thresh`` is suppressed (a NaN IoU, from two
    empty boxes, does not suppress). The work is vectorized per selected box: each selection
    suppresses all remaining boxes at once, on compacted per-coordinate arrays, which gives the
    same result as the sequential algorithm, with each IoU computed bit for bit as ChainerCV
    does.

    Used as post-processing of object detectors, e.g. Liu et al., "SSD: Single Shot MultiBox
    Detector", ECCV 2016.

    Args:
        bbox (numpy.ndarray or cupy.ndarray): Boxes of shape ``(R, 4)``,
            ``(y_min, x_min, y_max, x_max)``.
        thresh (float): IoU threshold; overlaps of ``thresh`` or more suppress a box.
        score (numpy.ndarray or cupy.ndarray, optional): Confidences of shape ``(R,)`` on the
            same device as ``bbox``.
        limit (int, optional): The most boxes to select; ``None`` selects as many as possible.

    Returns:
        numpy.ndarray or cupy.ndarray: Indices into ``bbox`` of the selected boxes, shape
        ``(K,)`` with ``K <= R``, dtype int32, in the order they were selected (highest score
        first).

    Raises:
        ValueError: ``bbox`` is not ``(R, 4)``, ``score`` is not ``(R,)`` or ``limit`` is
            negative.
    """
    _check_bbox("non_maximum_suppression", "bbox", bbox)
    xp = get_array_module(bbox)
    n_bbox = bbox.shape[0]
    if score is not None and tuple(score.shape) != (n_bbox,):
        raise ValueError(
            f"non_maximum_suppression: expected score of shape ({n_bbox},), "
            f"got {tuple(score.shape)}"
        )
    if limit is not None and limit < 0:
        raise ValueError(f"non_maximum_suppression: expected limit >= 0 or None, got {limit}")
    if score is None:
        order = xp.arange(n_bbox)
    else:
        order = _descending_order(xp, score)
    bbox = bbox[order]
    area = xp.prod(bbox[:, 2:] - bbox[:, :2], axis=1)
    # The remaining candidates, one contiguous array per coordinate, compacted after every
    # selection; the IoU below does ChainerCV's operations in its order (bit-identical).
    candidate = xp.arange(n_bbox)
    y_min, x_min, y_max, x_max = (xp.ascontiguousarray(bbox[:, k]) for k in range(4))
    selected = []
    while candidate.size > 0 and (limit is None or len(selected) < limit):
        selected.append(candidate[:1])
        t_y_min, t_x_min, t_y_max, t_x_max, t_area = (
            v[:1] for v in (y_min, x_min, y_max, x_max, area)
        )
        candidate, y_min, x_min, y_max, x_max, area = (
            v[1:] for v in (candidate, y_min, x_min, y_max, x_max, area)
        )
        top = xp.maximum(t_y_min, y_min)
        left = xp.maximum(t_x_min, x_min)
        bottom = xp.minimum(t_y_max, y_max)
        right = xp.minimum(t_x_max, x_max)
        # ``area.dtype`` is the dtype ``xp.prod`` gives (int64 for int32 boxes, as ChainerCV's).
        height = (bottom - top).astype(area.dtype, copy=False)
        width = (right - left).astype(area.dtype, copy=False)
        area_i = (height * width) * ((top < bottom) & (left < right))
        with numpy.errstate(invalid="ignore"):
            iou = area_i / (area + t_area - area_i)
        # Written as ``~(iou >= thresh)`` so a NaN IoU (two empty boxes) keeps the box.
        keep = ~(iou >= thresh)
        candidate, y_min, x_min, y_max, x_max, area = (
            v[keep] for v in (candidate, y_min, x_min, y_max, x_max, area)
        )
    if not selected:
        return xp.zeros((0,), dtype=numpy.int32)
    return order[xp.concatenate(selected)].astype(numpy.int32)
