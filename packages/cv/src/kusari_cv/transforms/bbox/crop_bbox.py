"""Crop bounding boxes to a rectangular region."""

from __future__ import annotations

from typing import Any

from kusari import backend
from kusari_cv.transforms._check import _check_bbox


def _slice_to_bounds(name: str, arg: str, slice_: slice | None) -> tuple[float, float]:
    """Return ``(start, stop)`` of a crop slice, with ``None`` meaning ``0`` and infinity."""
    if slice_ is None:
        return 0.0, float("inf")
    if not isinstance(slice_, slice):
        raise TypeError(f"{name}: expected {arg} as a slice or None, got {type(slice_).__name__}")
    if slice_.step not in (None, 1):
        raise ValueError(f"{name}: expected {arg} with step 1, got step {slice_.step}")
    start = 0.0 if slice_.start is None else float(slice_.start)
    stop = float("inf") if slice_.stop is None else float(slice_.stop)
    return start, stop


def crop_bbox(
    bbox: Any,
    y_slice: slice | None = None,
    x_slice: slice | None = None,
    allow_outside_center: bool = True,
    return_param: bool = False,
) -> Any:
    """Move bounding boxes into the frame of a crop and clip them to it.

    Used together with an image crop ``img[:, y_slice, x_slice]``: boxes are clipped to the
    crop and translated so that its top-left corner is the origin. Boxes that end up empty
    (no overlap with the crop) are removed; with ``allow_outside_center=False`` so are boxes
    whose center ``((y_min + y_max) / 2, (x_min + x_max) / 2)`` lies outside
    ``[start, stop)`` of the crop on either axis.

    Args:
        bbox (numpy.ndarray or cupy.ndarray): Boxes of shape ``(R, 4)``, rows
            ``(y_min, x_min, y_max, x_max)``.
        y_slice (slice, optional): Crop rows; ``None`` keeps all.
        x_slice (slice, optional): Crop columns; ``None`` keeps all.
        allow_outside_center (bool): Keep boxes whose center is outside the crop.
        return_param (bool): If ``True``, also return the indices of the kept boxes.

    Returns:
        numpy.ndarray or tuple: The kept boxes, of shape ``(R', 4)`` and the dtype of
        ``bbox``. With ``return_param=True``, a tuple ``(bbox, param)`` where ``param`` holds
        ``index`` (int array of shape ``(R',)``): the rows of the input that were kept.

    Raises:
        ValueError: If ``bbox`` is not ``(R, 4)`` or a slice has a step other than 1.
        TypeError: If a slice is neither a ``slice`` nor ``None``.
    """
    _check_bbox("crop_bbox", bbox)
    top, bottom = _slice_to_bounds("crop_bbox", "y_slice", y_slice)
    left, right = _slice_to_bounds("crop_bbox", "x_slice", x_slice)
    xp = backend.get_array_module(bbox)
    crop_min = xp.asarray((top, left))
    crop_max = xp.asarray((bottom, right))

    if allow_outside_center:
        mask = xp.ones(bbox.shape[0], dtype=bool)
    else:
        center = (bbox[:, :2] + bbox[:, 2:]) / 2
        mask = ((crop_min <= center) & (center < crop_max)).all(axis=1)

    out = bbox.copy()
    out[:, :2] = xp.maximum(bbox[:, :2], crop_min) - crop_min
    out[:, 2:] = xp.minimum(bbox[:, 2:], crop_max) - crop_min
    mask &= (out[:, :2] < out[:, 2:]).all(axis=1)
    out = out[mask]
    if return_param:
        return out, {"index": xp.flatnonzero(mask)}
    return out
