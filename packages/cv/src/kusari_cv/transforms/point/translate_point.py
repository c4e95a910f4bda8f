"""Translate points."""

from __future__ import annotations

from typing import Any

from kusari_cv.transforms._check import _check_point


def _translate(point: Any, y_offset: float, x_offset: float) -> Any:
    """Shift one array whose last axis is ``(y, x)``."""
    out = point.copy()
    out[..., 0] += y_offset
    out[..., 1] += x_offset
    return out


def translate_point(point: Any, y_offset: float = 0, x_offset: float = 0) -> Any:
    """Shift points by ``(y_offset, x_offset)``.

    Args:
        point (numpy.ndarray, cupy.ndarray or list of arrays): Points ``(y, x)``, either one
            array of shape ``(R, K, 2)`` or a list of ``R`` arrays of shape ``(K, 2)``.
        y_offset (float): Shift along ``y``.
        x_offset (float): Shift along ``x``.

    Returns:
        numpy.ndarray or list of arrays: The shifted points, new arrays in the layout of
        ``point``.

    Raises:
        ValueError: If ``point`` has a wrong shape.
        TypeError: If ``point`` is neither an array nor a list of arrays.
    """
    if _check_point("translate_point", point):
        return _translate(point, y_offset, x_offset)
    return [_translate(pnt, y_offset, x_offset) for pnt in point]
