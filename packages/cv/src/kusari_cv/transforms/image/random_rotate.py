"""Rotate an image by a random multiple of 90 degrees."""

from __future__ import annotations

from typing import Any

import numpy as np

from kusari import backend
from kusari_cv.transforms._check import _check_image


def random_rotate(img: Any, return_param: bool = False) -> Any:
    """Rotate an image counter-clockwise by ``90 * k`` degrees, ``k`` uniform in ``{0,1,2,3}``.

    ``k`` is drawn from NumPy's global RNG. The result equals
    ``rotate(img, 90 * k)`` and matches ``rotate_bbox(bbox, 90 * k, (H, W))``.

    Args:
        img (numpy.ndarray or cupy.ndarray): Image of shape ``(C, H, W)``.
        return_param (bool): If ``True``, also return ``k``.

    Returns:
        numpy.ndarray or tuple: The rotated image (a view), of shape ``(C, H, W)`` for even
        ``k`` and ``(C, W, H)`` for odd ``k``. With ``return_param=True``, a tuple
        ``(out_img, param)`` where ``param`` holds ``k`` (int).

    Raises:
        ValueError: If ``img`` is not CHW.
    """
    _check_image("random_rotate", img)
    k = int(np.random.randint(4))
    xp = backend.get_array_module(img)
    out = xp.rot90(img, k, axes=(1, 2))
    if return_param:
        return out, {"k": k}
    return out
