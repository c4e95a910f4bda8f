"""roi_max_pooling_2d: RoI max pooling with ChainerCV's box layout and separate batch indexes."""

from __future__ import annotations

from typing import Any

import numpy

from kusari.configuration import config
from kusari.functions.pooling import _roi, _roi_max
from kusari.utils import type_check
from kusari.variable import Variable

_NAME = "roi_max_pooling_2d"


class ROIMaxPooling2D(_roi_max.ROIMaxPoolingBase):
    """RoI max pooling of ``(y_min, x_min, y_max, x_max)`` boxes with their image indexes."""

    def __init__(self, outsize: Any, spatial_scale: float, with_argmax: bool = True) -> None:
        if isinstance(outsize, (tuple, list)):
            if len(outsize) != 2:
                raise ValueError(f"{_NAME}: outsize must be an int or a pair, got {outsize!r}")
            outh, outw = outsize
        else:
            outh = outw = outsize
        outh = _roi.positive_int(_NAME, "outsize[0]", outh)
        outw = _roi.positive_int(_NAME, "outsize[1]", outw)
        self.bins = _roi_max.MaxBins(_NAME, "roi_indices", outh, outw)
        self.spatial_scale = _roi.positive_scale(_NAME, spatial_scale)
        self.with_argmax = with_argmax

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check ``x (B, C, H, W)`` float, ``rois (R, 4)`` float, ``roi_indices (R,)`` int32."""
        type_check.expect_n_inputs(_NAME, in_types, 3)
        x, rois, roi_indices = in_types
        type_check.expect_float(_NAME, "x", x)
        type_check.expect_ndim(_NAME, "x", x, 4)
        type_check.expect_float(_NAME, "rois", rois)
        if rois.ndim != 2 or rois.shape[1] != 4:
            raise type_check.InvalidType(
                f"{_NAME}: rois.shape must be (R, 4) as (y_min, x_min, y_max, x_max), "
                f"got {tuple(rois.shape)}"
            )
        type_check.expect_dtype(_NAME, "roi_indices", roi_indices, numpy.int32)
        type_check.expect_ndim(_NAME, "roi_indices", roi_indices, 1)
        type_check.expect_equal(
            _NAME, "rois.shape[0]", rois.shape[0], "roi_indices.shape[0]", roi_indices.shape[0]
        )

    def forward(self, inputs: tuple) -> tuple:
        """Round the corners to pixels and pool every bin of every RoI."""
        x, rois, roi_indices = inputs
        _roi.check_finite(_NAME, rois)
        corners = _roi_max.round_half_away(rois.astype(numpy.float64) * self.spatial_scale)
        batch = roi_indices.astype(numpy.int64)
        return (self.bins.pool(x, batch, corners.astype(numpy.int64), 0, self.with_argmax),)


def roi_max_pooling_2d(
    x: Variable | Any,
    rois: Variable | Any,
    roi_indices: Variable | Any,
    outsize: int | tuple[int, int],
    spatial_scale: float,
) -> Variable:
    """RoI max pooling of ``(y_min, x_min, y_max, x_max)`` boxes (Girshick, Fast R-CNN, 2015).

    As :func:`roi_pooling_2d` (corners rounded to pixels, halves away from zero; bin ``p``
    covers ``floor(p * size / out)`` to ``ceil((p + 1) * size / out)`` from the first corner,
    clipped to the image; empty bins give 0), except that, as in Chainer v7, a RoI spans
    ``max(y_max - y_min, 1)`` pixels (no ``+ 1``), the boxes come in ChainerCV's order and the
    image of each box comes separately in ``roi_indices``.

    Args:
        x: Feature maps ``(B, C, H, W)``, float16/32/64.
        rois: ``(R, 4)`` float, each row ``(y_min, x_min, y_max, x_max)`` in input-image
            coordinates.
        roi_indices: ``(R,)`` int32: the image of ``x`` each RoI belongs to.
        outsize: ``outh = outw`` or ``(outh, outw)``.
        spatial_scale: Factor from image to feature-map coordinates.

    Returns:
        A Variable ``(R, C, outh, outw)`` of ``x``'s dtype. ``rois`` and ``roi_indices`` get
        no gradient.

    Raises:
        TypeError: ``outsize`` is not an integer (or a pair of them), or ``spatial_scale``
            is not a real number.
        ValueError: ``outsize`` is below 1 or a sequence not of length 2, ``spatial_scale``
            is not finite and positive, ``rois`` holds inf or NaN, or an entry of
            ``roi_indices`` is outside ``[0, B)``.
        InvalidType: ``x``, ``rois`` or ``roi_indices`` has the wrong rank, shape or dtype.
    """
    with_argmax = isinstance(x, Variable) and x.requires_grad and config.enable_backprop
    func = ROIMaxPooling2D(outsize, spatial_scale, with_argmax)
    return func.apply((x, rois, roi_indices))[0]
