"""Decode offsets and scales relative to source boxes into bounding boxes."""

from __future__ import annotations

from typing import Any

from kusari.backend import get_array_module
from kusari_cv.links.model.faster_rcnn.utils.bbox2loc import _check_pair


def loc2bbox(src_bbox: Any, loc: Any) -> Any:
    """Decode ``(t_y, t_x, t_h, t_w)`` offsets relative to ``src_bbox`` into boxes.

    With the center ``(y, x)`` and size ``(h, w)`` of a source box, the decoded box has center
    ``(t_y h + y, t_x w + x)`` and size ``(h exp(t_h), w exp(t_w))``. This is the inverse of
    :func:`bbox2loc`.

    Source: Ross Girshick et al. Rich feature hierarchies for accurate object detection and
    semantic segmentation. CVPR 2014, Appendix C (equations 1-4).

    Args:
        src_bbox (numpy.ndarray or cupy.ndarray): Source boxes ``(R, 4)``, ``(y_min, x_min,
            y_max, x_max)``.
        loc (numpy.ndarray or cupy.ndarray): Offsets and scales ``(R, 4)``, float, on the same
            device.

    Returns:
        numpy.ndarray or cupy.ndarray: Decoded boxes ``(R, 4)`` with ``loc``'s dtype.

    Raises:
        ValueError: An input is not ``(R, 4)`` or the two lengths differ.
    """
    _check_pair("loc2bbox", ("src_bbox", src_bbox), ("loc", loc))
    xp = get_array_module(src_bbox)
    src_bbox = src_bbox.astype(loc.dtype, copy=False)
    height = src_bbox[:, 2] - src_bbox[:, 0]
    width = src_bbox[:, 3] - src_bbox[:, 1]
    ctr_y = src_bbox[:, 0] + 0.5 * height
    ctr_x = src_bbox[:, 1] + 0.5 * width

    dst_ctr_y = loc[:, 0] * height + ctr_y
    dst_ctr_x = loc[:, 1] * width + ctr_x
    dst_half_h = 0.5 * (xp.exp(loc[:, 2]) * height)
    dst_half_w = 0.5 * (xp.exp(loc[:, 3]) * width)
    dst_bbox = xp.stack(
        (
            dst_ctr_y - dst_half_h,
            dst_ctr_x - dst_half_w,
            dst_ctr_y + dst_half_h,
            dst_ctr_x + dst_half_w,
        ),
        axis=1,
    )
    return dst_bbox.astype(loc.dtype, copy=False)
