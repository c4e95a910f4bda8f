"""Rotate bounding boxes by a multiple of 90 degrees."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari_cv.transforms._check import _check_bbox, _check_size


def rotate_bbox(bbox: Any, angle: float, size: tuple[int, int]) -> Any:
    """Rotate bounding boxes counter-clockwise as :func:`~kusari_cv.transforms.rotate` does.

    Only multiples of 90 degrees keep boxes axis-aligned, so only those are accepted. For an
    image of size ``(H, W)`` a 90-degree turn maps a point ``(y, x)`` to ``(W - x, y)``,
    -90 degrees to ``(x, H - y)`` and 180 degrees to ``(H - y, W - x)``.

    Args:
        bbox (numpy.ndarray or cupy.ndarray): Boxes of shape ``(R, 4)``, rows
            ``(y_min, x_min, y_max, x_max)``.
        angle (float): Counter-clockwise angle in degrees, a multiple of 90.
        size (tuple of two ints): Image size ``(H, W)`` before rotation.

    Returns:
        numpy.ndarray or cupy.ndarray: The rotated boxes, of shape ``(R, 4)`` and the dtype of
        ``bbox``.

    Raises:
        ValueError: If ``bbox`` is not ``(R, 4)``, ``size`` is not ``(H, W)`` or ``angle`` is
            not a multiple of 90.
    """
    _check_bbox("rotate_bbox", bbox)
    height, width = _check_size("rotate_bbox", size)
    if angle % 90 != 0:
        raise ValueError(f"rotate_bbox: expected angle as a multiple of 90, got {angle}")
    xp = backend.get_array_module(bbox)
    y_min, x_min, y_max, x_max = bbox[:, 0], bbox[:, 1], bbox[:, 2], bbox[:, 3]
    turns = int(angle // 90) % 4
    if turns == 0:
        return bbox.copy()
    if turns == 1:
        cols = (width - x_max, y_min, width - x_min, y_max)
    elif turns == 2:
        cols = (height - y_max, width - x_max, height - y_min, width - x_min)
    else:
        cols = (x_min, height - y_max, x_max, height - y_min)
    return xp.stack(cols, axis=1).astype(bbox.dtype, copy=False)
