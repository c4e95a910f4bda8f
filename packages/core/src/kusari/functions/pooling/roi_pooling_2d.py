"""roi_pooling_2d: the maximum over each bin of each region of interest (Fast R-CNN)."""

from __future__ import annotations

from typing import Any

import numpy

from kusari.configuration import config
from kusari.functions.pooling import _roi, _roi_max
from kusari.utils import type_check
from kusari.variable import Variable

_NAME = "roi_pooling_2d"


class ROIPooling2D(_roi_max.ROIMaxPoolingBase):
    """RoI max pooling; keeps each output's argmax for backward when ``x`` needs a gradient."""

    def __init__(
        self, outh: int, outw: int, spatial_scale: float, with_argmax: bool = True
    ) -> None:
        self.bins = _roi_max.MaxBins(_NAME, "rois[:, 0] (the batch index)", outh, outw)
        self.spatial_scale = spatial_scale
        self.with_argmax = with_argmax

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check for a float ``x (B, C, H, W)`` and float ``rois (R, 5)``."""
        type_check.expect_n_inputs(_NAME, in_types, 2)
        x, rois = in_types
        type_check.expect_float(_NAME, "x", x)
        type_check.expect_ndim(_NAME, "x", x, 4)
        if rois.ndim != 2 or rois.shape[1] != 5:
            raise type_check.InvalidType(
                f"{_NAME}: rois.shape must be (R, 5) as (batch_index, x_min, y_min, x_max, "
                f"y_max), got {tuple(rois.shape)}"
            )
        type_check.expect_float(_NAME, "rois", rois)

    def forward(self, inputs: tuple) -> tuple:
        """Round the corners to pixels and pool every bin of every RoI."""
        x, rois = inputs
        _roi.check_finite(_NAME, rois)
        r = rois.astype(numpy.float64)
        corners = _roi_max.round_half_away(r[:, [2, 1, 4, 3]] * self.spatial_scale)
        batch = r[:, 0].astype(numpy.int64)
        return (self.bins.pool(x, batch, corners.astype(numpy.int64), 1, self.with_argmax),)


def roi_pooling_2d(
    x: Variable | Any, rois: Variable | Any, outh: int, outw: int, spatial_scale: float
) -> Variable:
    """Region of Interest (RoI) max pooling (Girshick, Fast R-CNN, ICCV 2015, section 2.1).

    Each RoI is cut into ``outh x outw`` bins and each bin gives the maximum of its pixels,
    channel by channel, with the rounding of the Caffe RoIPooling layer of Fast R-CNN:
    the corners ``x_min * spatial_scale`` etc. are rounded to the nearest pixel (halves away
    from zero), the RoI spans ``max(x_max - x_min + 1, 1)`` pixels, bin ``p`` covers pixels
    ``floor(p * size / outw)`` to ``ceil((p + 1) * size / outw)`` (exclusive) from ``x_min``,
    clipped to the image. An empty bin (outside the image) gives 0 and no gradient. The
    gradient of each output goes to the first maximum of its bin in row-major order.

    Args:
        x: Feature maps ``(B, C, H, W)``, float16/32/64.
        rois: ``(R, 5)`` float, each row ``(batch_index, x_min, y_min, x_max, y_max)`` in
            input-image coordinates; ``batch_index`` is truncated to an integer. (Chainer
            asks for ``x``'s dtype; any float dtype is taken here.)
        outh: Height of the output of each RoI.
        outw: Width of the output of each RoI.
        spatial_scale: Factor from image to feature-map coordinates (``1 / 16`` for VGG16's
            conv5_3).

    Returns:
        A Variable ``(R, C, outh, outw)`` of ``x``'s dtype. ``rois`` get no gradient.

    Raises:
        TypeError: ``outh`` or ``outw`` is not an integer, or ``spatial_scale`` is not a
            real number.
        ValueError: ``outh`` or ``outw`` is below 1, ``spatial_scale`` is not finite and
            positive, ``rois`` holds inf or NaN, or a batch index is outside ``[0, B)``.
        InvalidType: ``x`` is not a float 4-D array or ``rois`` is not a float ``(R, 5)``.
    """
    outh = _roi.positive_int(_NAME, "outh", outh)
    outw = _roi.positive_int(_NAME, "outw", outw)
    spatial_scale = _roi.positive_scale(_NAME, spatial_scale)
    with_argmax = isinstance(x, Variable) and x.requires_grad and config.enable_backprop
    return ROIPooling2D(outh, outw, spatial_scale, with_argmax).apply((x, rois))[0]
