"""Flip points with their image."""

from __future__ import annotations

from typing import Any

from kusari_cv.transforms._check import _check_point, _check_size


def _flip(point: Any, height: int, width: int, y_flip: bool, x_flip: bool) -> Any:
    """Flip one array whose last axis is ``(y, x)``."""
    out = point.copy()
    if y_flip:
        out[..., 0] = height - point[..., 0]
    if x_flip:
        out[..., 1] = width - point[..., 1]
    return out


def flip_point(
    point: Any, size: tuple[int, int], y_flip: bool = False, x_flip: bool = False
) -> Any:
    """Flip points as :func:`~kusari_cv.transforms.flip` flips their image.

    A vertical flip maps ``y`` to ``H - y`` and a horizontal one ``x`` to ``W - x``.

    Args:
        point (numpy.ndarray, cupy.ndarray or list of arrays): Points ``(y, x)``, either one
            array of shape ``(R, K, 2)`` or a list of ``R`` arrays of shape ``(K, 2)``.
        size (tuple of two ints): Image size ``(H, W)``.
        y_flip (bool): Flip upside down.
        x_flip (bool): Flip left to right.

    Returns:
        numpy.ndarray or list of arrays: The flipped points, new arrays in the layout of
        ``point``.

    Raises:
        ValueError: If ``point`` has a wrong shape or ``size`` is not ``(H, W)``.
        TypeError: If ``point`` is neither an array nor a list of arrays.
    """
    single = _check_point("flip_point", point)
    height, width = _check_size("flip_point", size)
    if single:
        return _flip(point, height, width, y_flip, x_flip)
    return [_flip(pnt, height, width, y_flip, x_flip) for pnt in point]
