"""Place an image at a random position on a larger canvas ("zoom out")."""

from __future__ import annotations

from typing import Any

import numpy as np

from kusari import backend
from kusari_cv.transforms._check import _check_image


def random_expand(img: Any, max_ratio: float = 4, fill: Any = 0, return_param: bool = False) -> Any:
    """Paste an image at a random position on a canvas ``ratio`` times as large.

    ``ratio`` is drawn uniformly from ``[1, max_ratio]``; the canvas has size
    ``(int(H * ratio), int(W * ratio))`` and is filled with ``fill`` outside the image.
    Random numbers come from NumPy's global RNG. Source: W. Liu et al., "SSD: Single Shot
    MultiBox Detector", ECCV 2016, Sec. 3.6.

    Args:
        img (numpy.ndarray or cupy.ndarray): Image of shape ``(C, H, W)``.
        max_ratio (float): Largest expansion ratio (4 in the SSD paper). With
            ``max_ratio <= 1`` the image is returned as is.
        fill (float or array-like): Canvas value, a scalar or one value per channel ``(C,)``.
        return_param (bool): If ``True``, also return the sampled parameters.

    Returns:
        numpy.ndarray or tuple: The expanded image. With ``return_param=True``, a tuple
        ``(out_img, param)`` where ``param`` holds ``ratio`` (float), ``y_offset`` and
        ``x_offset`` (int): the top-left corner of ``img`` on the canvas.

    Raises:
        ValueError: If ``img`` is not CHW or ``fill`` has neither 1 nor ``C`` values.
    """
    n_channel, height, width = _check_image("random_expand", img)
    if max_ratio <= 1:
        if return_param:
            return img, {"ratio": 1, "y_offset": 0, "x_offset": 0}
        return img
    fill = np.asarray(fill).reshape(-1)
    if fill.size not in (1, n_channel):
        raise ValueError(
            f"random_expand: expected fill as a scalar or {n_channel} values, got {fill.size}"
        )
    ratio = float(np.random.uniform(1, max_ratio))
    out_h, out_w = int(height * ratio), int(width * ratio)
    y_offset = int(np.random.randint(out_h - height + 1))
    x_offset = int(np.random.randint(out_w - width + 1))
    xp = backend.get_array_module(img)
    out = xp.empty((n_channel, out_h, out_w), dtype=img.dtype)
    out[:] = xp.asarray(fill, dtype=img.dtype).reshape(-1, 1, 1)
    out[:, y_offset : y_offset + height, x_offset : x_offset + width] = img
    if return_param:
        return out, {"ratio": ratio, "y_offset": y_offset, "x_offset": x_offset}
    return out
