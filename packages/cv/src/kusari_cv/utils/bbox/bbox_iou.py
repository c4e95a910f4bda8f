"""Intersection over union between two sets of bounding boxes."""

from __future__ import annotations

from typing import Any

from kusari.backend import get_array_module


def _check_bbox(name: str, arg: str, bbox: Any) -> None:
    if bbox.ndim != 2 or bbox.shape[1] != 4:
        raise ValueError(f"{name}: expected {arg} of shape (R, 4), got {tuple(bbox.shape)}")


def bbox_iou(bbox_a: Any, bbox_b: Any) -> Any:
    """Compute the intersection over union (Jaccard index) of every pair of boxes.

    Boxes are ``(y_min, x_min, y_max, x_max)``; the area of a box is
    ``(y_max - y_min) * (x_max - x_min)`` (no ``+ 1``, ChainerCV's convention). Boxes that only
    touch along an edge or a corner have an intersection of zero.

    Args:
        bbox_a (numpy.ndarray or cupy.ndarray): Boxes of shape ``(N, 4)``.
        bbox_b (numpy.ndarray or cupy.ndarray): Boxes of shape ``(K, 4)``, on the same device
            as ``bbox_a``.

    Returns:
        numpy.ndarray or cupy.ndarray: IoUs of shape ``(N, K)``; element ``(n, k)`` is the IoU
        of ``bbox_a[n]`` and ``bbox_b[k]``. The dtype follows NumPy's promotion of the inputs.

    Raises:
        ValueError: An input is not of shape ``(R, 4)``.

    Example:
        >>> a = np.array([[0, 0, 2, 2]], dtype=np.float32)
        >>> b = np.array([[1, 1, 3, 3]], dtype=np.float32)
        >>> bbox_iou(a, b)  # intersection 1, union 7
        array([[0.14285715]], dtype=float32)
    """
    _check_bbox("bbox_iou", "bbox_a", bbox_a)
    _check_bbox("bbox_iou", "bbox_b", bbox_b)
    xp = get_array_module(bbox_a)
    top_left = xp.maximum(bbox_a[:, None, :2], bbox_b[None, :, :2])
    bottom_right = xp.minimum(bbox_a[:, None, 2:], bbox_b[None, :, 2:])
    size = bottom_right - top_left
    area_i = xp.prod(size, axis=2) * (size > 0).all(axis=2)
    area_a = xp.prod(bbox_a[:, 2:] - bbox_a[:, :2], axis=1)
    area_b = xp.prod(bbox_b[:, 2:] - bbox_b[:, :2], axis=1)
    return area_i / (area_a[:, None] + area_b[None, :] - area_i)
