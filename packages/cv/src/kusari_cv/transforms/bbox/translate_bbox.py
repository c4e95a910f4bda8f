"""Translate bounding boxes."""

from __future__ import annotations

from typing import Any

from kusari_cv.transforms._check import _check_bbox


def translate_bbox(bbox: Any, y_offset: float = 0, x_offset: float = 0) -> Any:
    """Shift bounding boxes by ``(y_offset, x_offset)``.

    Used together with transforms that move an image on a canvas, such as
    :func:`~kusari_cv.transforms.random_expand` (add its offsets) or a crop (subtract the
    crop's start).

    Args:
        bbox (numpy.ndarray or cupy.ndarray): Boxes of shape ``(R, 4)``, rows
            ``(y_min, x_min, y_max, x_max)``.
        y_offset (float): Shift along ``y``.
        x_offset (float): Shift along ``x``.

    Returns:
        numpy.ndarray or cupy.ndarray: The shifted boxes, a new array of shape ``(R, 4)``.

    Raises:
        ValueError: If ``bbox`` is not ``(R, 4)``.
    """
    _check_bbox("translate_bbox", bbox)
    out = bbox.copy()
    out[:, 0::2] += y_offset
    out[:, 1::2] += x_offset
    return out
