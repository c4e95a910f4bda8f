"""Tile a batch of images into one image."""

from __future__ import annotations

import math
from typing import Any

import numpy


def tile_images(imgs: numpy.ndarray, n_col: int, pad: int = 2, fill: Any = 0) -> numpy.ndarray:
    """Lay out a batch of images on a grid, row by row.

    Each image sits in a cell of ``(H + pad, W + pad)`` pixels, offset by ``pad // 2`` from the
    cell's top-left corner; cells left empty in the last row and the padding take ``fill``.

    Args:
        imgs (numpy.ndarray): Images of shape ``(B, C, H, W)``.
        n_col (int): The number of columns (at most ``B`` are used).
        pad (int): Pixels between neighbouring images.
        fill (float, tuple or numpy.ndarray): Value of the padding, a scalar or one per channel
            (shape ``(C,)`` or ``(C, 1, 1)``).

    Returns:
        numpy.ndarray: The tile, shape ``(C, (H + pad) * ceil(B / n_col), (W + pad) * n_col)``,
        of ``imgs.dtype``.

    Raises:
        ValueError: ``imgs`` is not four-dimensional, or ``n_col`` or ``pad`` is negative or
            ``n_col`` is zero.
    """
    if imgs.ndim != 4:
        raise ValueError(f"tile_images: expected imgs of shape (B, C, H, W), got {imgs.shape}")
    if n_col < 1 or pad < 0:
        raise ValueError(f"tile_images: expected n_col >= 1 and pad >= 0, got {n_col}, {pad}")
    n_img, n_channel, height, width = imgs.shape
    n_col = min(n_col, n_img)
    n_row = math.ceil(n_img / n_col)
    cells = numpy.empty((n_row * n_col, n_channel, height + pad, width + pad), dtype=imgs.dtype)
    cells[:] = numpy.asarray(fill).reshape(-1, 1, 1)
    cells[:n_img, :, pad // 2 : pad // 2 + height, pad // 2 : pad // 2 + width] = imgs
    cells = cells.reshape(n_row, n_col, n_channel, height + pad, width + pad)
    return cells.transpose(2, 0, 3, 1, 4).reshape(
        n_channel, n_row * (height + pad), n_col * (width + pad)
    )
