"""Rescale bounding boxes with their image."""

from __future__ import annotations

from typing import Any

from kusari_cv.transforms._check import _check_bbox, _check_size


def resize_bbox(bbox: Any, in_size: tuple[int, int], out_size: tuple[int, int]) -> Any:
    """Scale bounding boxes as :func:`~kusari_cv.transforms.resize` scales their image.

    ``y`` is multiplied by ``H_out / H_in`` and ``x`` by ``W_out / W_in``.

    Args:
        bbox (numpy.ndarray or cupy.ndarray): Boxes of shape ``(R, 4)``, rows
            ``(y_min, x_min, y_max, x_max)``.
        in_size (tuple of two ints): Image size before resizing, ``(H_in, W_in)``.
        out_size (tuple of two ints): Image size after resizing, ``(H_out, W_out)``.

    Returns:
        numpy.ndarray or cupy.ndarray: The scaled boxes, a new array of shape ``(R, 4)``.

    Raises:
        ValueError: If ``bbox`` is not ``(R, 4)`` or a size is not ``(H, W)`` with positive
            ``in_size``.
    """
    _check_bbox("resize_bbox", bbox)
    in_h, in_w = _check_size("resize_bbox", in_size, "in_size")
    out_h, out_w = _check_size("resize_bbox", out_size, "out_size")
    if in_h == 0 or in_w == 0:
        raise ValueError(f"resize_bbox: expected a positive in_size, got {in_size!r}")
    out = bbox.copy()
    y_scale = out_h / in_h
    x_scale = out_w / in_w
    out[:, 0::2] = bbox[:, 0::2] * y_scale
    out[:, 1::2] = bbox[:, 1::2] * x_scale
    return out
