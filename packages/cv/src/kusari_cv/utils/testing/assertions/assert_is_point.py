"""Check that arrays are a set of keypoints."""

from __future__ import annotations

from typing import Any

import numpy


def assert_is_point(
    point: Any,
    visible: Any = None,
    size: tuple[int, int] | None = None,
    n_point: int | None = None,
) -> None:
    """Check that ``point`` is an ``(R, K, 2)`` float32 array of ``(y, x)`` points.

    Args:
        point: The value to check; expected a float32 :class:`numpy.ndarray` of shape
            ``(R, K, 2)``.
        visible (numpy.ndarray, optional): Bool array of shape ``(R, K)`` saying which points
            are visible; only visible points are checked against ``size``.
        size (tuple of ints, optional): ``(H, W)``; points must satisfy ``0 <= y <= H`` and
            ``0 <= x <= W``.
        n_point (int, optional): The expected ``K``.

    Raises:
        AssertionError: The arrays do not meet the conditions (these are test helpers).
    """
    assert isinstance(point, numpy.ndarray), f"point must be a numpy.ndarray, got {type(point)}"
    assert point.dtype == numpy.float32, f"point must be float32, got {point.dtype}"
    assert point.ndim == 3 and point.shape[2] == 2, (
        f"point must be of shape (R, K, 2), got {point.shape}"
    )
    if n_point is not None:
        assert point.shape[1] == n_point, f"point must have {n_point} points, got {point.shape[1]}"
    if visible is not None:
        assert isinstance(visible, numpy.ndarray), "visible must be a numpy.ndarray"
        assert visible.dtype == bool, f"visible must be bool, got {visible.dtype}"
        assert visible.shape == point.shape[:2], (
            f"visible must be of shape {point.shape[:2]}, got {visible.shape}"
        )
    if size is not None:
        checked = point if visible is None else point[visible]
        checked = checked.reshape(-1, 2)
        assert (checked >= 0).all(), "points must have y >= 0 and x >= 0"
        assert (checked <= numpy.asarray(size)).all(), f"points must lie inside {size}"
