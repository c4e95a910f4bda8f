"""Crop a random region of a given size."""

from __future__ import annotations

from typing import Any

import numpy as np

from kusari_cv.transforms._check import _check_crop, _crop


def random_crop(
    img: Any, size: tuple[int, int], return_param: bool = False, copy: bool = False
) -> Any:
    """Crop a region of shape ``size`` at a random position.

    Each offset is drawn uniformly from ``{0, ..., H - H_out}`` (resp. ``W``) with NumPy's
    global RNG, so ``numpy.random.seed`` makes the crop repeatable.

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
    height, width, out_h, out_w = _check_crop("random_crop", img, size)
    y_offset = int(np.random.randint(height - out_h + 1))
    x_offset = int(np.random.randint(width - out_w + 1))
    return _crop(img, y_offset, x_offset, (out_h, out_w), copy, return_param)
