"""Rotate an image by an arbitrary angle."""

from __future__ import annotations

from typing import Any

import numpy as np
import PIL.Image

from kusari import backend
from kusari_cv.transforms._check import _check_image

_ORDERS = {PIL.Image.NEAREST: 0, PIL.Image.BILINEAR: 1, PIL.Image.BICUBIC: 3}


def rotate(
    img: Any,
    angle: float,
    expand: bool = True,
    fill: float = 0,
    interpolation: int = PIL.Image.BILINEAR,
) -> Any:
    """Rotate an image counter-clockwise by ``angle`` degrees about its center.

    Implemented with :func:`scipy.ndimage.rotate` on the ``(H, W)`` axes (spline order 0, 1
    or 3 for nearest, bilinear or bicubic), as ChainerCV does; CuPy arrays use
    :func:`cupyx.scipy.ndimage.rotate`. Counter-clockwise means as the image is displayed
    (row 0 at the top): ``rotate(img, 90)`` equals ``numpy.rot90(img, 1, axes=(1, 2))``,
    matching :func:`~kusari_cv.transforms.rotate_bbox`.

    Args:
        img (numpy.ndarray or cupy.ndarray): Image of shape ``(C, H, W)``.
        angle (float): Counter-clockwise rotation in degrees.
        expand (bool): If ``True``, the output is enlarged to hold the whole rotated image;
            otherwise it keeps the shape ``(C, H, W)``.
        fill (float): Value of pixels that come from outside the input.
        interpolation (int): ``PIL.Image.NEAREST``, ``PIL.Image.BILINEAR`` (default) or
            ``PIL.Image.BICUBIC``.

    Returns:
        numpy.ndarray or cupy.ndarray: The rotated image in CHW layout.

    Raises:
        ValueError: If ``img`` is not CHW or ``interpolation`` is unknown.
    """
    _check_image("rotate", img)
    if interpolation not in _ORDERS:
        raise ValueError(
            "rotate: expected interpolation in (PIL.Image.NEAREST, PIL.Image.BILINEAR, "
            f"PIL.Image.BICUBIC), got {interpolation!r}"
        )
    xp = backend.get_array_module(img)
    if xp is np:
        import scipy.ndimage as ndimage
    else:
        import cupyx.scipy.ndimage as ndimage
    return ndimage.rotate(
        img,
        angle,
        axes=(2, 1),
        reshape=expand,
        order=_ORDERS[interpolation],
        cval=fill,
    )
