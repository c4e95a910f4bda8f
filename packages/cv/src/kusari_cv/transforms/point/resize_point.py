"""Rescale points with their image."""

from __future__ import annotations

from typing import Any

from kusari_cv.transforms._check import _check_point, _check_size


def _resize(point: Any, y_scale: float, x_scale: float) -> Any:
    """Scale one array whose last axis is ``(y, x)``."""
    out = point.copy()
    out[..., 0] = point[..., 0] * y_scale
    out[..., 1] = point[..., 1] * x_scale
    return out


def resize_point(point: Any, in_size: tuple[int, int], out_size: tuple[int, int]) -> Any:
    """Scale points as :func:`~kusari_cv.transforms.resize` scales their image.

    ``y`` is multiplied by ``H_out / H_in`` and ``x`` by ``W_out / W_in``.

    Args:
        point (numpy.ndarray, cupy.ndarray or list of arrays): Points ``(y, x)``, either one
            array of shape ``(R, K, 2)`` or a list of ``R`` arrays of shape ``(K, 2)``.
        in_size (tuple of two ints): Image size before resizing, ``(H_in, W_in)``.
        out_size (tuple of two ints): Image size after resizing, ``(H_out, W_out)``.

    Returns:
        numpy.ndarray or list of arrays: The scaled points, new arrays in the layout of
        ``point``.

    Raises:
        ValueError: If ``point`` has a wrong shape or a size is not ``(H, W)`` with positive
            ``in_size``.
        TypeError: If ``point`` is neither an array nor a list of arrays.
    """
    single = _check_point("resize_point", point)
    in_h, in_w = _check_size("resize_point", in_size, "in_size")
    out_h, out_w = _check_size("resize_point", out_size, "out_size")
    if in_h == 0 or in_w == 0:
        raise ValueError(f"resize_point: expected a positive in_size, got {in_size!r}")
    y_scale = out_h / in_h
    x_scale = out_w / in_w
    if single:
        return _resize(point, y_scale, x_scale)
    return [_resize(pnt, y_scale, x_scale) for pnt in point]
