"""Flip an image at random."""

from __future__ import annotations

from typing import Any

import numpy as np

from kusari_cv.transforms._check import _check_image
from kusari_cv.transforms.image.flip import flip


def random_flip(
    img: Any,
    y_random: bool = False,
    x_random: bool = False,
    return_param: bool = False,
    copy: bool = False,
) -> Any:
    """Flip an image vertically and/or horizontally, each with probability 1/2.

    The coin flips use NumPy's global RNG.

    Args:
        img (numpy.ndarray or cupy.ndarray): Image of shape ``(C, H, W)``.
        y_random (bool): Randomly flip upside down.
        x_random (bool): Randomly flip left to right.
        return_param (bool): If ``True``, also return which flips were applied.
        copy (bool): If ``False``, the result is a view of ``img``.

    Returns:
        numpy.ndarray or tuple: The image of shape ``(C, H, W)``. With ``return_param=True``,
        a tuple ``(out_img, param)`` where ``param`` holds ``y_flip`` and ``x_flip`` (bool).

    Raises:
        ValueError: If ``img`` is not CHW.
    """
    _check_image("random_flip", img)
    y_flip = bool(np.random.randint(2)) if y_random else False
    x_flip = bool(np.random.randint(2)) if x_random else False
    out = flip(img, y_flip=y_flip, x_flip=x_flip, copy=copy)
    if return_param:
        return out, {"y_flip": y_flip, "x_flip": x_flip}
    return out
