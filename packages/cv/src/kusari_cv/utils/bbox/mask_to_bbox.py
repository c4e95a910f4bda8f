"""Bounding boxes enclosing instance masks."""

from __future__ import annotations

from typing import Any

import numpy

from kusari.backend import get_array_module


def mask_to_bbox(mask: Any) -> Any:
    """Compute the tightest box around each mask.

    A mask whose pixels ``(y, x)`` are set gets the box
    ``(min y, min x, max y + 1, max x + 1)``, so a single pixel has area 1. An empty mask gets
    ``(0, 0, 0, 0)``.

    Args:
        mask (numpy.ndarray or cupy.ndarray): Boolean masks of shape ``(R, H, W)``.

    Returns:
        numpy.ndarray or cupy.ndarray: Boxes of shape ``(R, 4)``, dtype float32,
        ``(y_min, x_min, y_max, x_max)``.

    Raises:
        ValueError: ``mask`` is not three-dimensional.
    """
    if mask.ndim != 3:
        raise ValueError(f"mask_to_bbox: expected mask of shape (R, H, W), got {mask.shape}")
    xp = get_array_module(mask)
    mask = mask.astype(bool)
    bbox = []
    for axis in (2, 1):
        hit = mask.any(axis=axis)
        length = hit.shape[1]
        start = xp.argmax(hit, axis=1)
        stop = length - xp.argmax(hit[:, ::-1], axis=1)
        bbox.append((start, stop))
    (y_min, y_max), (x_min, x_max) = bbox
    out = xp.stack((y_min, x_min, y_max, x_max), axis=1).astype(numpy.float32)
    out[~mask.any(axis=(1, 2))] = 0
    return out
