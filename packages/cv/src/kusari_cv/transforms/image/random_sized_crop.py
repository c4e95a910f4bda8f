"""Crop a region of random size and aspect ratio (Inception-style)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kusari_cv.transforms._check import _check_image


def _sample_parameters(
    size: tuple[int, int],
    scale_ratio_range: tuple[float, float],
    aspect_ratio_range: tuple[float, float],
) -> tuple[float, float]:
    """Draw a scale ratio and an aspect ratio whose crop fits in an image of ``size``."""
    height, width = size
    for _ in range(10):
        aspect_ratio = np.random.uniform(aspect_ratio_range[0], aspect_ratio_range[1])
        if np.random.uniform(0, 1) < 0.5:
            aspect_ratio = 1 / aspect_ratio
        # The largest scale for which H_crop <= H and W_crop <= W.
        scale_ratio_max = min(
            scale_ratio_range[1], height / (width * aspect_ratio), aspect_ratio * width / height
        )
        scale_ratio = np.random.uniform(scale_ratio_range[0], scale_ratio_range[1])
        if scale_ratio_range[0] <= scale_ratio <= scale_ratio_max:
            return float(scale_ratio), float(aspect_ratio)
    # Ten misses: fall back to a scale below the largest valid one, possibly under the range.
    scale_ratio = np.random.uniform(min(scale_ratio_range[0], scale_ratio_max), scale_ratio_max)
    return float(scale_ratio), float(aspect_ratio)


def random_sized_crop(
    img: Any,
    scale_ratio_range: tuple[float, float] = (0.08, 1),
    aspect_ratio_range: tuple[float, float] = (3 / 4, 4 / 3),
    return_param: bool = False,
    copy: bool = False,
) -> Any:
    """Crop a region of random area and aspect ratio.

    With ``s ~ U(scale_ratio_range)`` and ``a = b`` or ``1 / b`` (probability 1/2 each) for
    ``b ~ U(aspect_ratio_range)``, the crop has ``H_crop = floor(sqrt(s * H * W * a))`` and
    ``W_crop = floor(sqrt(s * H * W / a))`` and a uniformly drawn top-left corner. Draws that
    do not fit are retried ten times; after that the scale is taken below the largest one
    that fits, which can fall under ``scale_ratio_range[0]``. Random numbers come from
    NumPy's global RNG. Source: C. Szegedy et al., "Going Deeper with Convolutions",
    CVPR 2015 (the ResNet training recipe of fb.resnet.torch).

    Args:
        img (numpy.ndarray or cupy.ndarray): Image of shape ``(C, H, W)``.
        scale_ratio_range (tuple of two floats): Range of the crop's area over the image's.
        aspect_ratio_range (tuple of two floats): Range of ``H_crop / W_crop`` (and inverse).
        return_param (bool): If ``True``, also return the sampled parameters.
        copy (bool): If ``False``, the result is a view of ``img``.

    Returns:
        numpy.ndarray or tuple: The crop of shape ``(C, H_crop, W_crop)``. With
        ``return_param=True``, a tuple ``(out_img, param)`` where ``param`` holds
        ``y_slice`` and ``x_slice`` (``slice``, ``out_img == img[:, y_slice, x_slice]``),
        ``scale_ratio`` and ``aspect_ratio`` (float).

    Raises:
        ValueError: If ``img`` is not CHW or a range is not ``0 < low <= high``.
    """
    _, height, width = _check_image("random_sized_crop", img)
    for arg, value in (
        ("scale_ratio_range", scale_ratio_range),
        ("aspect_ratio_range", aspect_ratio_range),
    ):
        if len(value) != 2 or not 0 < value[0] <= value[1]:
            raise ValueError(
                f"random_sized_crop: expected {arg} as (low, high) with 0 < low <= high, "
                f"got {value!r}"
            )
    scale_ratio, aspect_ratio = _sample_parameters(
        (height, width), scale_ratio_range, aspect_ratio_range
    )
    crop_h = int(math.floor(math.sqrt(scale_ratio * height * width * aspect_ratio)))
    crop_w = int(math.floor(math.sqrt(scale_ratio * height * width / aspect_ratio)))
    crop_h, crop_w = min(crop_h, height), min(crop_w, width)
    y_start = int(np.random.randint(height - crop_h + 1))
    x_start = int(np.random.randint(width - crop_w + 1))
    y_slice = slice(y_start, y_start + crop_h)
    x_slice = slice(x_start, x_start + crop_w)
    out = img[:, y_slice, x_slice]
    if copy:
        out = out.copy()
    if return_param:
        return out, {
            "y_slice": y_slice,
            "x_slice": x_slice,
            "scale_ratio": scale_ratio,
            "aspect_ratio": aspect_ratio,
        }
    return out
