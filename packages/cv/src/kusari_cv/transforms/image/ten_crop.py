"""Ten crops: the center and four corners, and their mirror images."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari_cv.transforms._check import _check_crop


def ten_crop(img: Any, size: tuple[int, int]) -> Any:
    """Crop the center and the four corners of an image, and their horizontal flips.

    Order: center, top-left, bottom-left, top-right, bottom-right, then the same five
    flipped left to right. The center crop starts at ``((H - H_out) // 2, (W - W_out) // 2)``.

    Args:
        img (numpy.ndarray or cupy.ndarray): Image of shape ``(C, H, W)``.
        size (tuple of two ints): Crop size ``(H_out, W_out)``; not larger than ``(H, W)``.

    Returns:
        numpy.ndarray or cupy.ndarray: The crops, of shape ``(10, C, H_out, W_out)``.

    Raises:
        ValueError: If ``img`` is not CHW or ``size`` is larger than the image.
    """
    height, width, out_h, out_w = _check_crop("ten_crop", img, size)
    y_center = (height - out_h) // 2
    x_center = (width - out_w) // 2
    corners = (
        (y_center, x_center),
        (0, 0),
        (height - out_h, 0),
        (0, width - out_w),
        (height - out_h, width - out_w),
    )
    xp = backend.get_array_module(img)
    crops = xp.stack([img[:, y : y + out_h, x : x + out_w] for y, x in corners])
    return xp.concatenate((crops, crops[:, :, :, ::-1]))
