"""Encode bounding boxes as offsets and scales relative to source boxes."""

from __future__ import annotations

from typing import Any

from kusari.backend import get_array_module


def _check_pair(name: str, first: tuple[str, Any], second: tuple[str, Any]) -> None:
    (name_a, a), (name_b, b) = first, second
    for arg, value in ((name_a, a), (name_b, b)):
        if value.ndim != 2 or value.shape[1] != 4:
            raise ValueError(f"{name}: expected {arg} of shape (R, 4), got {tuple(value.shape)}")
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name}: {name_a} and {name_b} must have the same length, got {a.shape[0]} and "
            f"{b.shape[0]}"
        )


def bbox2loc(src_bbox: Any, dst_bbox: Any) -> Any:
    """Encode ``dst_bbox`` relative to ``src_bbox`` as ``(t_y, t_x, t_h, t_w)`` offsets.

    With the centers ``(y, x)`` and sizes ``(h, w)`` of a source box and ``(g_y, g_x)``,
    ``(g_h, g_w)`` of its destination box::

        t_y = (g_y - y) / h    t_x = (g_x - x) / w
        t_h = log(g_h / h)     t_w = log(g_w / w)

    Source heights and widths are clamped to the dtype's machine epsilon to avoid a division by
    zero. :func:`loc2bbox` is the inverse.

    Source: Ross Girshick et al. Rich feature hierarchies for accurate object detection and
    semantic segmentation. CVPR 2014, Appendix C (equations 6-9).

    Args:
        src_bbox (numpy.ndarray or cupy.ndarray): Source boxes ``(R, 4)``, ``(y_min, x_min,
            y_max, x_max)``, float.
        dst_bbox (numpy.ndarray or cupy.ndarray): Destination boxes ``(R, 4)`` on the same
            device.

    Returns:
        numpy.ndarray or cupy.ndarray: Offsets and scales ``(R, 4)``, ``(t_y, t_x, t_h, t_w)``,
        in the promoted dtype of the inputs.

    Raises:
        ValueError: An input is not ``(R, 4)`` or the two lengths differ.
    """
    _check_pair("bbox2loc", ("src_bbox", src_bbox), ("dst_bbox", dst_bbox))
    xp = get_array_module(src_bbox)
    height = src_bbox[:, 2] - src_bbox[:, 0]
    width = src_bbox[:, 3] - src_bbox[:, 1]
    ctr_y = src_bbox[:, 0] + 0.5 * height
    ctr_x = src_bbox[:, 1] + 0.5 * width

    dst_height = dst_bbox[:, 2] - dst_bbox[:, 0]
    dst_width = dst_bbox[:, 3] - dst_bbox[:, 1]
    dst_ctr_y = dst_bbox[:, 0] + 0.5 * dst_height
    dst_ctr_x = dst_bbox[:, 1] + 0.5 * dst_width

    eps = xp.finfo(height.dtype).eps
    height = xp.maximum(height, eps)
    width = xp.maximum(width, eps)

    dy = (dst_ctr_y - ctr_y) / height
    dx = (dst_ctr_x - ctr_x) / width
    dh = xp.log(dst_height / height)
    dw = xp.log(dst_width / width)
    return xp.stack((dy, dx, dh, dw), axis=1)
