"""Flip bounding boxes with their image."""

from __future__ import annotations

from typing import Any

from kusari_cv.transforms._check import _check_bbox, _check_size


def flip_bbox(bbox: Any, size: tuple[int, int], y_flip: bool = False, x_flip: bool = False) -> Any:
    """Flip bounding boxes as :func:`~kusari_cv.transforms.flip` flips their image.

    In pixel coordinates a vertical flip maps ``y`` to ``H - y``, so
    ``(y_min, y_max)`` becomes ``(H - y_max, H - y_min)``; likewise for ``x`` with ``W``.

    Args:
        bbox (numpy.ndarray or cupy.ndarray): Boxes of shape ``(R, 4)``, rows
            ``(y_min, x_min, y_max, x_max)``.
        size (tuple of two ints): Image size ``(H, W)``.
        y_flip (bool): Flip upside down.
        x_flip (bool): Flip left to right.

    Returns:
        numpy.ndarray or cupy.ndarray: The flipped boxes, a new array of shape ``(R, 4)``.

    Raises:
        ValueError: If ``bbox`` is not ``(R, 4)`` or ``size`` is not ``(H, W)``.
    """
    _check_bbox("flip_bbox", bbox)
    height, width = _check_size("flip_bbox", size)
    out = bbox.copy()
    if y_flip:
        out[:, 0] = height - bbox[:, 2]
        out[:, 2] = height - bbox[:, 0]
    if x_flip:
        out[:, 1] = width - bbox[:, 3]
        out[:, 3] = width - bbox[:, 1]
    return out
