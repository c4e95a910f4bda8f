"""Fit an image into a canvas, keeping its aspect ratio."""

from __future__ import annotations

from typing import Any

import numpy as np
import PIL.Image

from kusari import backend
from kusari_cv.transforms._check import _check_image, _check_size
from kusari_cv.transforms.image.resize import resize


def resize_contain(
    img: Any,
    size: tuple[int, int],
    fill: Any = 0,
    interpolation: int = PIL.Image.BILINEAR,
    return_param: bool = False,
) -> Any:
    """Place an image in the center of a canvas of ``size``, shrinking it if it does not fit.

    The image is scaled by ``s = min(H_out / H, W_out / W, 1)`` to
    ``(int(H * s), int(W * s))`` (never enlarged) and pasted at offset
    ``((H_out - H_s) // 2, (W_out - W_s) // 2)``; the rest of the canvas is ``fill``.

    Args:
        img (numpy.ndarray or cupy.ndarray): Image of shape ``(C, H, W)``.
        size (tuple of two ints): Canvas size ``(H_out, W_out)``.
        fill (float or array-like): Canvas value, a scalar or one value per channel ``(C,)``.
        interpolation (int): Pillow filter used when shrinking (see :func:`resize`).
        return_param (bool): If ``True``, also return where the image was placed.

    Returns:
        numpy.ndarray or tuple: The canvas of shape ``(C, H_out, W_out)``. With
        ``return_param=True``, a tuple ``(out_img, param)`` where ``param`` holds
        ``y_offset`` and ``x_offset`` (int, top-left corner of the image on the canvas) and
        ``scaled_size`` (tuple ``(H_s, W_s)``).

    Raises:
        ValueError: If ``img`` is not CHW, ``size`` is invalid or ``fill`` has neither 1 nor
            ``C`` values.
    """
    n_channel, height, width = _check_image("resize_contain", img)
    out_h, out_w = _check_size("resize_contain", size)
    fill = np.asarray(fill).reshape(-1)
    if fill.size not in (1, n_channel):
        raise ValueError(
            f"resize_contain: expected fill as a scalar or {n_channel} values, got {fill.size}"
        )
    scale = min(out_h / height, out_w / width, 1.0)
    scaled_size = (int(height * scale), int(width * scale))
    if scale < 1.0:
        img = resize(img, scaled_size, interpolation=interpolation)
    y_offset = (out_h - scaled_size[0]) // 2
    x_offset = (out_w - scaled_size[1]) // 2
    xp = backend.get_array_module(img)
    out = xp.empty((n_channel, out_h, out_w), dtype=img.dtype)
    out[:] = xp.asarray(fill, dtype=img.dtype).reshape(-1, 1, 1)
    out[:, y_offset : y_offset + scaled_size[0], x_offset : x_offset + scaled_size[1]] = img
    if return_param:
        return out, {"y_offset": y_offset, "x_offset": x_offset, "scaled_size": scaled_size}
    return out
