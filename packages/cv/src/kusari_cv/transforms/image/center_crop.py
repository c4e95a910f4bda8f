"""Crop the center of an image."""

from __future__ import annotations

from typing import Any

from kusari_cv.transforms._check import _check_crop, _crop


def center_crop(
    img: Any, size: tuple[int, int], return_param: bool = False, copy: bool = False
) -> Any:
    """Crop the center region of an image.

    The offsets are ``round((H - H_out) / 2)`` and ``round((W - W_out) / 2)``.

    Args:
        img (numpy.ndarray or cupy.ndarray): Image of shape ``(C, H, W)``.
        size (tuple of two ints): Output size ``(H_out, W_out)``; not larger than ``(H, W)``.
        return_param (bool): If ``True``, also return the slices used.
        copy (bool): If ``False``, the result is a view of ``img``.

    Returns:
        numpy.ndarray or tuple: The cropped image of shape ``(C, H_out, W_out)``. With
        ``return_param=True``, a tuple ``(out_img, param)`` where ``param`` holds
        ``y_slice`` and ``x_slice`` (``slice``) with ``out_img == img[:, y_slice, x_slice]``.

    Raises:
        ValueError: If ``img`` is not CHW or ``size`` is larger than the image.
    """
    height, width, out_h, out_w = _check_crop("center_crop", img, size)
    y_offset = int(round((height - out_h) / 2.0))
    x_offset = int(round((width - out_w) / 2.0))
    return _crop(img, y_offset, x_offset, (out_h, out_w), copy, return_param)
