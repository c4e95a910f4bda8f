"""roi_average_align_2d: bilinear samples averaged over each bin of each RoI (RoIAlign)."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.pooling import _roi
from kusari.utils import type_check
from kusari.variable import Variable

_NAME = "roi_average_align_2d"


def _compute_dtype(dtype: Any) -> Any:
    """Accumulate float16 in float32; other floats in themselves."""
    return numpy.dtype(numpy.float32) if dtype == numpy.float16 else numpy.dtype(dtype)


def _axis_weights(start: Any, size: Any, out: int, grid: Any, limit: int) -> tuple[Any, Any]:
    """Pixels and weights of the bilinear samples of every bin along one axis.

    Bin ``p`` of a RoI starting at ``start`` and ``size`` long has ``grid`` samples at
    ``start + p * size / out + (i + 0.5) * (size / out) / grid``. A sample below ``-1`` or
    above ``limit`` is dropped (it still counts in the average); the others are clamped to
    ``[0, limit - 1]`` and split between the two neighbouring pixels. Repeated pixels of one
    bin are merged, so the result has one column per distinct pixel, zero-padded.

    Args:
        start: ``(R,)`` float64 RoI starts in feature-map pixels.
        size: ``(R,)`` float64 RoI lengths (at least 1).
        out: Number of bins.
        grid: ``(R,)`` integer samples per bin.
        limit: Length of the feature map along the axis.

    Returns:
        Pixel indexes ``(R, out, D)`` int64 and their summed weights ``(R, out, D)`` float64.
    """
    xp = backend.get_array_module(start)
    if start.size == 0:
        return xp.zeros((0, out, 1), numpy.int64), xp.zeros((0, out, 1), numpy.float64)
    n_samples = int(grid.max())
    bin_size = (size / float(out))[:, None, None]
    p = xp.arange(out, dtype=numpy.float64)[None, :, None]
    i = xp.arange(n_samples, dtype=numpy.float64)[None, None, :]
    grid = grid[:, None, None]
    pos = start[:, None, None] + p * bin_size + (i + 0.5) * bin_size / grid
    used = (pos >= -1) & (pos <= limit) & (i < grid)
    pos = xp.clip(pos, 0, limit - 1)
    low = xp.floor(pos)
    w_low = xp.where(used, (low + 1) - pos, 0.0)
    w_high = xp.where(used, pos - low, 0.0)
    low = low.astype(numpy.int64)
    index = xp.concatenate((low, xp.minimum(low + 1, limit - 1)), axis=2)
    weight = xp.concatenate((w_low, w_high), axis=2)
    # merge repeated pixels: sort them (unused entries last), number the runs, sum each run
    key = xp.where(weight > 0, index, limit)
    order = xp.argsort(key, axis=2)
    key = xp.take_along_axis(key, order, axis=2)
    weight = xp.take_along_axis(weight, order, axis=2)
    first = xp.concatenate(
        (xp.ones(key.shape[:2] + (1,), bool), key[:, :, 1:] != key[:, :, :-1]), axis=2
    ) & (key < limit)
    slot = xp.cumsum(first, axis=2) - 1
    n_slots = max(int(first.sum(axis=2).max()), 1)
    onehot = slot[..., None] == xp.arange(n_slots)[None, None, None, :]
    merged_weight = (onehot * weight[..., None]).sum(axis=2)
    merged_index = (onehot & first[..., None]) * xp.minimum(key, limit - 1)[..., None]
    return merged_index.sum(axis=2), merged_weight


class _Samples:
    """The sampling geometry of every RoI: per bin, the pixels read and their weights.

    Bilinear weights factor into a row part and a column part, so each output is
    ``sum_{t, u} row_weight[r, ph, t] * col_weight[r, pw, u] * x[b, :, row[t], col[u]]`` over
    the distinct rows and columns the bin's samples touch; forward and backward loop over the
    ``(t, u)`` pairs (a handful), each step one vectorized gather or scatter of ``R * outh *
    outw`` channel vectors.
    """

    def __init__(
        self,
        outh: int,
        outw: int,
        spatial_scale: float,
        sampling_ratio: tuple[int | None, int | None],
    ) -> None:
        self.outh, self.outw = outh, outw
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.x_shape: tuple[int, ...] = ()
        self.rows: Any = None
        self.cols: Any = None
        self.row_weight: Any = None
        self.col_weight: Any = None

    def locate(self, rois: Any, roi_indices: Any, x_shape: tuple[int, ...]) -> None:
        """Compute the rows, columns and weights of every bin of ``rois``."""
        xp = backend.get_array_module(rois)
        self.x_shape = x_shape
        n_batch, _, height, width = x_shape
        _roi.check_batch_index(_NAME, "roi_indices", roi_indices, n_batch)
        r = rois.astype(numpy.float64) * self.spatial_scale
        roi_h = xp.maximum(r[:, 2] - r[:, 0], 1.0)
        roi_w = xp.maximum(r[:, 3] - r[:, 1], 1.0)
        grids = []
        for ratio, extent, out in zip(
            self.sampling_ratio, (roi_h, roi_w), (self.outh, self.outw), strict=True
        ):
            if ratio is None:
                grids.append(xp.ceil(extent / out).astype(numpy.int64))
            else:
                grids.append(xp.full(extent.shape, ratio, numpy.int64))
        rows, row_weight = _axis_weights(r[:, 0], roi_h, self.outh, grids[0], height)
        cols, col_weight = _axis_weights(r[:, 1], roi_w, self.outw, grids[1], width)
        batch = roi_indices.astype(numpy.int64)[:, None, None]
        self.rows = (batch * height + rows) * width
        self.cols = cols
        self.row_weight = row_weight / (grids[0] * grids[1]).astype(numpy.float64)[:, None, None]
        self.col_weight = col_weight

    def _pairs(self, dtype: Any) -> tuple[Any, Any]:
        """Flat row index ``(P, N)`` and weight ``(P, N, 1)`` of each (row, column) pair.

        ``N`` is ``R * outh * outw``, the outputs in channels-last order.
        """
        n_rows, n_cols = self.rows.shape[2], self.cols.shape[2]
        rows = self.rows.transpose(2, 0, 1)[:, None, :, :, None]
        cols = self.cols.transpose(2, 0, 1)[None, :, :, None, :]
        at = (rows + cols).reshape(n_rows * n_cols, -1)
        rw = self.row_weight.transpose(2, 0, 1)[:, None, :, :, None]
        cw = self.col_weight.transpose(2, 0, 1)[None, :, :, None, :]
        return at, (rw * cw).reshape(n_rows * n_cols, -1, 1).astype(dtype)

    def align(self, x: Any) -> Any:
        """Average the samples of every bin: ``x (B, C, H, W)`` -> ``(R, C, outh, outw)``."""
        xp = backend.get_array_module(x)
        n_rois = self.rows.shape[0]
        out_shape = (n_rois, x.shape[1], self.outh, self.outw)
        cdtype = _compute_dtype(x.dtype)
        xt = _roi.channels_last(x).astype(cdtype, copy=False)
        at, w = self._pairs(cdtype)
        acc = xp.empty((at.shape[1], x.shape[1]), cdtype)
        buf = None
        for blk in _roi.row_blocks(acc.shape[0], acc.shape[1] * acc.itemsize, xp):
            a = acc[blk]
            xp.take(xt, at[0, blk], axis=0, out=a)
            a *= w[0, blk]
            if buf is None:
                buf = xp.empty_like(a)
            b = buf[: a.shape[0]]
            for k in range(1, at.shape[0]):
                xp.take(xt, at[k, blk], axis=0, out=b)
                b *= w[k, blk]
                a += b
        return _roi.channels_first(acc, out_shape).astype(x.dtype, copy=False)

    def scatter(self, gy: Any) -> Any:
        """Adjoint of :meth:`align`: spread ``gy (R, C, outh, outw)`` onto ``(B, C, H, W)``."""
        xp = backend.get_array_module(gy)
        n_batch, channels, height, width = self.x_shape
        cdtype = _compute_dtype(gy.dtype)
        gyt = _roi.channels_last(gy).astype(cdtype, copy=False)
        gxt = xp.zeros((n_batch * height * width, channels), cdtype)
        at, w = self._pairs(cdtype)
        _roi.scatter_add_rows(gxt, at, gyt, w)
        return _roi.channels_first(gxt, self.x_shape).astype(gy.dtype, copy=False)


class ROIAverageAlign2D(FunctionNode):
    """RoIAlign with average pooling; linear in ``x`` for fixed RoIs."""

    def __init__(self, outsize: Any, spatial_scale: float, sampling_ratio: Any = None) -> None:
        outh, outw = _pair(outsize, "outsize")
        outh = _roi.positive_int(_NAME, "outsize[0]", outh)
        outw = _roi.positive_int(_NAME, "outsize[1]", outw)
        ratio = tuple(
            None if s is None else _roi.positive_int(_NAME, "sampling_ratio", s)
            for s in _pair(sampling_ratio, "sampling_ratio")
        )
        self.samples = _Samples(outh, outw, _roi.positive_scale(_NAME, spatial_scale), ratio)

    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check ``x (B, C, H, W)`` float, ``rois (R, 4)`` float, ``roi_indices (R,)`` int32."""
        type_check.expect_n_inputs(_NAME, in_types, 3)
        x, rois, roi_indices = in_types
        type_check.expect_float(_NAME, "x", x)
        type_check.expect_ndim(_NAME, "x", x, 4)
        if x.shape[2] < 1 or x.shape[3] < 1:
            raise type_check.InvalidType(
                f"{_NAME}: x must have H >= 1 and W >= 1, got shape {tuple(x.shape)}"
            )
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
        """Average the bilinear samples of every bin."""
        x, rois, roi_indices = inputs
        _roi.check_finite(_NAME, rois)
        self.samples.locate(rois, roi_indices, x.shape)
        return (self.samples.align(x),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Spread each output gradient over its samples; ``rois`` get no gradient."""
        (gx,) = ROIAverageAlign2DGrad(self.samples).apply(grad_outputs)
        return tuple(gx if i == 0 else None for i in indexes)


class ROIAverageAlign2DGrad(FunctionNode):
    """Gradient of RoIAlign with respect to ``x``: the transpose of the sampling (linear)."""

    def __init__(self, samples: _Samples) -> None:
        self.samples = samples

    def forward(self, inputs: tuple) -> tuple:
        """Scatter ``gy (R, C, outh, outw)`` onto ``(B, C, H, W)``."""
        return (self.samples.scatter(inputs[0]),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """The transpose of the scatter is the sampling itself."""
        return _ROIAverageAlign2DFixed(self.samples).apply(grad_outputs)


class _ROIAverageAlign2DFixed(FunctionNode):
    """RoIAlign of ``x`` alone with the geometry already located (used for double backprop)."""

    def __init__(self, samples: _Samples) -> None:
        self.samples = samples

    def forward(self, inputs: tuple) -> tuple:
        """Sample ``x (B, C, H, W)`` into ``(R, C, outh, outw)``."""
        return (self.samples.align(inputs[0]),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Scatter the gradient back."""
        return ROIAverageAlign2DGrad(self.samples).apply(grad_outputs)


def _pair(value: Any, name: str) -> tuple[Any, Any]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{_NAME}: {name} must be an int or a pair, got {value!r}")
        return value[0], value[1]
    return value, value


def roi_average_align_2d(
    x: Variable | Any,
    rois: Variable | Any,
    roi_indices: Variable | Any,
    outsize: int | tuple[int, int],
    spatial_scale: float,
    sampling_ratio: int | tuple[int | None, int | None] | None = None,
) -> Variable:
    """RoIAlign with average pooling (He et al., Mask R-CNN, ICCV 2017, section 3).

    Each RoI, scaled by ``spatial_scale`` without rounding, is cut into ``outh x outw`` bins
    (a RoI shorter than 1 pixel is stretched to 1); each bin averages a ``sh x sw`` grid of
    samples at the centres of its sub-cells, each sample bilinearly interpolated from its
    four neighbouring pixels. As in Chainer v7, a sample above ``H`` (``W``) or below ``-1``
    reads 0 (but still counts in the average) and one in ``[-1, 0)`` or ``(H - 1, H]`` is
    clamped to the border pixel.

    Args:
        x: Feature maps ``(B, C, H, W)``, float16/32/64 (float16 is accumulated in float32;
            Chainer v7 takes float32 only).
        rois: ``(R, 4)`` float, each row ``(y_min, x_min, y_max, x_max)`` in input-image
            coordinates.
        roi_indices: ``(R,)`` int32: the image of ``x`` each RoI belongs to.
        outsize: ``outh = outw`` or ``(outh, outw)``.
        spatial_scale: Factor from image to feature-map coordinates (e.g. ``1 / 4``).
        sampling_ratio: Samples per bin ``s`` or ``(sh, sw)``; ``None`` (per axis) uses
            ``ceil(roi_size / out)`` of each RoI.

    Returns:
        A Variable ``(R, C, outh, outw)`` of ``x``'s dtype. ``rois`` and ``roi_indices`` get
        no gradient.

    Raises:
        TypeError: ``outsize`` or ``sampling_ratio`` is not an integer (or a pair; ``None``
            is allowed in ``sampling_ratio``), or ``spatial_scale`` is not a real number.
        ValueError: ``outsize`` or ``sampling_ratio`` is below 1 or a sequence not of
            length 2, ``spatial_scale`` is not finite and positive, ``rois`` holds inf or
            NaN, or an entry of ``roi_indices`` is outside ``[0, B)``.
        InvalidType: ``x``, ``rois`` or ``roi_indices`` has the wrong rank, shape or dtype.
    """
    return ROIAverageAlign2D(outsize, spatial_scale, sampling_ratio).apply((x, rois, roi_indices))[
        0
    ]
