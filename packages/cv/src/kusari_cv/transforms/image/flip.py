"""Flip an image vertically and/or horizontally."""

from __future__ import annotations

from typing import Any

from kusari_cv.transforms._check import _check_image


def flip(img: Any, y_flip: bool = False, x_flip: bool = False, copy: bool = False) -> Any:
    """Flip an image along its vertical and/or horizontal axis.

    Args:
        img (numpy.ndarray or cupy.ndarray): Image of shape ``(C, H, W)``.
        y_flip (bool): Flip upside down.
        x_flip (bool): Flip left to right.
        copy (bool): If ``False``, the result is a view of ``img``.

    Returns:
        numpy.ndarray or cupy.ndarray: The flipped image of shape ``(C, H, W)``.

    Raises:
        ValueError: If ``img`` is not CHW.
    """
    _check_image("flip", img)
    if y_flip:
        img = img[:, ::-1, :]
    if x_flip:
        img = img[:, :, ::-1]
    if copy:
        img = img.copy()
    return img
