"""Check that an array is a set of bounding boxes."""

from __future__ import annotations

from typing import Any

import numpy


def assert_is_bbox(bbox: Any, size: tuple[int, int] | None = None) -> None:
    """Check that ``bbox`` is an ``(R, 4)`` float32 array of valid boxes.

    Each box must have ``y_min <= y_max`` and ``x_min <= x_max``; with ``size``, every box must
    also lie inside an image of that size.

    Args:
        bbox: The value to check; expected a float32 :class:`numpy.ndarray` of shape ``(R, 4)``,
            ``(y_min, x_min, y_max, x_max)``.
        size (tuple of ints, optional): ``(H, W)`` of the image the boxes belong to.

    Raises:
        AssertionError: ``bbox`` does not meet the conditions (these are test helpers).
    """
    assert isinstance(bbox, numpy.ndarray), f"bbox must be a numpy.ndarray, got {type(bbox)}"
    assert bbox.dtype == numpy.float32, f"bbox must be float32, got {bbox.dtype}"
    assert bbox.ndim == 2 and bbox.shape[1] == 4, f"bbox must be of shape (R, 4), got {bbox.shape}"
    assert (bbox[:, 0] <= bbox[:, 2]).all(), "bbox y_min must be <= y_max"
    assert (bbox[:, 1] <= bbox[:, 3]).all(), "bbox x_min must be <= x_max"
    if size is not None:
        assert (bbox[:, :2] >= 0).all(), "bbox y_min and x_min must be >= 0"
        assert (bbox[:, 2:] <= numpy.asarray(size)).all(), f"bbox must lie inside {size}"
