"""Area-averaging crop-and-resize on an integral image, for the MTCNN cascade."""

from __future__ import annotations

from typing import Any

import numpy

from kusari.backend import get_array_module


def _integral_image(img: Any) -> Any:
    """Summed-area table ``S (C, H + 1, W + 1)`` float64 of ``img (C, H, W)``.

    ``S[:, i, j]`` is the sum of ``img[:, :i, :j]``.
    """
    xp = get_array_module(img)
    n_channel, height, width = img.shape
    integral = xp.zeros((n_channel, height + 1, width + 1), dtype=numpy.float64)
    integral[:, 1:, 1:] = img.astype(numpy.float64).cumsum(axis=1).cumsum(axis=2)
    return integral


def _grid_lookup(edge: Any, length: int) -> tuple[Any, Any]:
    """Cell index and fraction of continuous positions along an axis of ``length`` pixels."""
    xp = get_array_module(edge)
    edge = xp.clip(edge, 0, length)
    index = xp.minimum(xp.floor(edge).astype(numpy.int64), length - 1)
    return index, edge - index


def _crop_resize(integral: Any, origin: Any, size: Any, out_size: tuple[int, int]) -> Any:
    """Crop boxes of an image (zero outside it) and resize them by area averaging.

    Output pixel ``(i, j)`` of crop ``k`` is the mean of the image over the rectangle
    ``origin[k] + size[k] * ([i, i + 1) / out_h, [j, j + 1) / out_w)`` in continuous pixel
    coordinates (pixel ``(y, x)`` covers ``[y, y + 1) x [x, x + 1)``), the parts outside the
    image counting as zeros. This is what OpenCV's ``INTER_AREA`` computes for a zero-padded
    crop, for shrinking and for enlarging along both axes. The summed-area table is piecewise
    bilinear, so bilinear lookups into it give the exact area sums at fractional edges: four
    lookups per output pixel, whatever the crop size.

    Args:
        integral: ``(C, H + 1, W + 1)`` from :func:`_integral_image`.
        origin: ``(K, 2)`` top-left corners ``(y, x)``.
        size: ``(K, 2)`` positive crop sizes ``(h, w)``.
        out_size: ``(out_h, out_w)``.

    Returns:
        ``(K, C, out_h, out_w)`` float64.
    """
    xp = get_array_module(integral)
    out_h, out_w = out_size
    height, width = integral.shape[1] - 1, integral.shape[2] - 1
    step_y = xp.arange(out_h + 1, dtype=numpy.float64) / out_h
    step_x = xp.arange(out_w + 1, dtype=numpy.float64) / out_w
    iy, fy = _grid_lookup(origin[:, :1] + size[:, :1] * step_y, height)
    ix, fx = _grid_lookup(origin[:, 1:] + size[:, 1:] * step_x, width)
    iy, fy = iy[:, :, None], fy[:, :, None]
    ix, fx = ix[:, None, :], fx[:, None, :]
    value = (
        (1 - fy) * (1 - fx) * integral[:, iy, ix]
        + (1 - fy) * fx * integral[:, iy, ix + 1]
        + fy * (1 - fx) * integral[:, iy + 1, ix]
        + fy * fx * integral[:, iy + 1, ix + 1]
    )
    total = value[..., 1:, 1:] - value[..., :-1, 1:] - value[..., 1:, :-1] + value[..., :-1, :-1]
    cell_area = size[:, 0] * size[:, 1] / (out_h * out_w)
    return (total / cell_area[None, :, None, None]).transpose(1, 0, 2, 3)
