"""RoI max pooling shared by ``roi_pooling_2d`` and ``roi_max_pooling_2d`` (Fast R-CNN).

The two functions differ only in how they read the RoIs; the bins, the maxima, the argmax and
the gradient nodes are here.
"""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.pooling._roi import (
    channels_first,
    channels_last,
    check_batch_index,
    row_blocks,
)


def round_half_away(v: Any) -> Any:
    """Round to the nearest integer, halves away from zero (C's ``round``, as Caffe does)."""
    xp = backend.get_array_module(v)
    a = xp.abs(v)
    f = xp.floor(a)
    return xp.sign(v) * (f + (a - f >= 0.5))


def _bin_bounds(start: Any, size: Any, out: int, limit: int) -> tuple[Any, Any]:
    """Integer bounds ``[lo, hi)`` of the ``out`` bins of each RoI along one axis, ``(R, out)``.

    ``start`` and ``size`` are the RoIs' first pixel and pixel count, ``(R,)`` integers; bin
    ``p`` covers ``floor(p * size / out)`` to ``ceil((p + 1) * size / out)`` from ``start``,
    clipped to ``[0, limit]``.
    """
    xp = backend.get_array_module(start)
    stride = (size / float(out))[:, None]
    p = xp.arange(out, dtype=numpy.float64)[None, :]
    lo = xp.floor(p * stride).astype(numpy.int64) + start[:, None]
    hi = xp.ceil((p + 1) * stride).astype(numpy.int64) + start[:, None]
    return xp.clip(lo, 0, limit), xp.clip(hi, 0, limit)


def _level(length: Any) -> Any:
    """``floor(log2(length))`` of positive integers (exact: read from the float exponent)."""
    xp = backend.get_array_module(length)
    return xp.frexp(length.astype(numpy.float64))[1].astype(numpy.int64) - 1


class MaxBins:
    """The bins of every RoI and, after the forward pass, the argmax of each output.

    The maxima come from a 2-D sparse table (range-maximum queries): level ``(k, l)`` holds the
    maximum of every ``2**k x 2**l`` block of the input, so any bin is covered by four blocks
    and its maximum is the largest of four lookups, whatever the bin's size. Building the
    ``log2(max bin height) x log2(max bin width)`` levels costs a few passes over the input;
    each query gathers ``4 * R * outh * outw`` channel vectors.
    """

    def __init__(self, fname: str, batch_name: str, outh: int, outw: int) -> None:
        self.fname, self.batch_name = fname, batch_name
        self.outh, self.outw = outh, outw
        self.x_shape: tuple[int, ...] = ()
        self.batch: Any = None
        self.argmax: Any = None

    def locate(self, batch: Any, corners: Any, extent: int, x_shape: tuple[int, ...]) -> tuple:
        """Bin bounds ``(hs, he)`` ``(R, outh)`` and ``(ws, we)`` ``(R, outw)``.

        Args:
            batch: ``(R,)`` integer image of each RoI (checked against ``B``).
            corners: ``(R, 4)`` integer ``(y_min, x_min, y_max, x_max)`` in feature-map pixels.
            extent: Added to ``max - min`` to get the RoI size in pixels (1 when the max
                corner is inclusive, as in Fast R-CNN), which is at least 1.
            x_shape: ``(B, C, H, W)``.
        """
        xp = backend.get_array_module(corners)
        self.x_shape = x_shape
        _, _, height, width = x_shape
        check_batch_index(self.fname, self.batch_name, batch, x_shape[0])
        self.batch = batch
        ymin, xmin, ymax, xmax = corners[:, 0], corners[:, 1], corners[:, 2], corners[:, 3]
        roi_h = xp.maximum(ymax - ymin + extent, 1)
        roi_w = xp.maximum(xmax - xmin + extent, 1)
        hs, he = _bin_bounds(ymin, roi_h, self.outh, height)
        ws, we = _bin_bounds(xmin, roi_w, self.outw, width)
        return hs, he, ws, we

    def pool(self, x: Any, batch: Any, corners: Any, extent: int, with_argmax: bool) -> Any:
        """Maximum of every bin ``(R, C, outh, outw)``; empty bins give 0 (argmax ``-1``).

        ``batch``, ``corners`` and ``extent`` are as in :meth:`locate`.
        """
        xp = backend.get_array_module(x)
        n_batch, channels, height, width = x.shape
        out_shape = (corners.shape[0], channels, self.outh, self.outw)
        hs, he, ws, we = self.locate(batch, corners, extent, x.shape)
        valid = ((he > hs)[:, :, None] & (we > ws)[:, None, :]).reshape(-1)
        if not bool(valid.any()):
            if with_argmax:
                self.argmax = xp.full(out_shape, -1, numpy.int32)
            return xp.zeros(out_shape, x.dtype)
        # empty bins read a 1 x 1 block at the origin; their outputs are zeroed below
        hl = xp.where(he > hs, he - hs, 1)
        wl = xp.where(we > ws, we - ws, 1)
        hs = xp.where(he > hs, hs, 0)
        ws = xp.where(we > ws, ws, 0)
        kh, kw = _level(hl), _level(wl)
        n_kh, n_kw = int(kh.max()) + 1, int(kw.max()) + 1
        values, indexes = self._tables(x, n_kh, n_kw, with_argmax)
        base = (kh[:, :, None] * n_kw + kw[:, None, :]) * n_batch + self.batch[:, None, None]
        base = base * height
        rows = (hs[:, :, None], (hs + hl - xp.left_shift(1, kh))[:, :, None])
        cols = (ws[:, None, :], (ws + wl - xp.left_shift(1, kw))[:, None, :])
        ats = xp.stack([((base + h) * width + w).reshape(-1) for h in rows for w in cols])
        y = xp.empty((ats.shape[1], channels), x.dtype)
        arg = xp.empty(y.shape, numpy.int32) if with_argmax else None
        v = i = None
        for blk in row_blocks(y.shape[0], y.shape[1] * y.itemsize, xp):
            ys = y[blk]
            xp.take(values, ats[0, blk], axis=0, out=ys)
            if v is None:
                v = xp.empty_like(ys)
                i = xp.empty(ys.shape, numpy.int32) if with_argmax else None
            vs = v[: ys.shape[0]]
            if with_argmax:
                args, is_ = arg[blk], i[: ys.shape[0]]
                xp.take(indexes, ats[0, blk], axis=0, out=args)
            for k in range(1, 4):
                xp.take(values, ats[k, blk], axis=0, out=vs)
                if with_argmax:
                    xp.take(indexes, ats[k, blk], axis=0, out=is_)
                    # a block wins when larger, or equal with an earlier row-major index
                    wins = vs > ys
                    wins |= (vs == ys) & (is_ < args)
                    xp.copyto(args, is_, where=wins)
                xp.maximum(ys, vs, out=ys)
        y[~valid] = 0
        if with_argmax:
            arg[~valid] = -1
            self.argmax = channels_first(arg, out_shape)
        return channels_first(y, out_shape)

    def _tables(self, x: Any, n_kh: int, n_kw: int, with_argmax: bool) -> tuple[Any, Any]:
        """Sparse-table levels, stacked as rows ``(n_kh * n_kw * B * H * W, C)``.

        Level ``(k, l)`` at ``(b, h, w)`` holds the maximum of ``x[b, :, h:h + 2**k,
        w:w + 2**l]`` (where that block fits) and, with ``with_argmax``, the flat index
        ``h' * W + w'`` of its first maximum in row-major order.
        """
        xp = backend.get_array_module(x)
        n_batch, channels, height, width = x.shape
        shape = (n_kh, n_kw, n_batch, height, width, channels)
        values = xp.empty(shape, x.dtype)
        values[0, 0] = channels_last(x).reshape(shape[2:])
        indexes = None
        if with_argmax:
            indexes = xp.empty(shape, numpy.int32)
            flat = xp.arange(height * width, dtype=numpy.int32).reshape(1, height, width, 1)
            indexes[0, 0] = flat
        for k in range(1, n_kh):
            self._halve(values, indexes, (k, 0), (k - 1, 0), 1, 1 << (k - 1), False)
        for k in range(n_kh):
            for j in range(1, n_kw):
                self._halve(values, indexes, (k, j), (k, j - 1), 2, 1 << (j - 1), k > 0)
        rows = (-1, channels)
        return values.reshape(rows), None if indexes is None else indexes.reshape(rows)

    @staticmethod
    def _halve(
        values: Any,
        indexes: Any,
        dst: tuple[int, int],
        src: tuple[int, int],
        axis: int,
        shift: int,
        ties: bool,
    ) -> None:
        """Level ``dst`` from level ``src`` by merging blocks ``shift`` apart along ``axis``.

        The later block's argmax wins when its maximum is larger; with ``ties`` (blocks of
        several rows side by side, where the later block can hold an earlier row) also when
        it is equal with a smaller flat index.
        """
        xp = backend.get_array_module(values)
        a = values[src]
        values[dst] = a
        n = a.shape[axis] - shift
        if n <= 0:
            return
        head = (slice(None),) * axis + (slice(0, n),)
        tail = (slice(None),) * axis + (slice(shift, shift + n),)
        if indexes is not None:
            ia = indexes[src]
            vh, vt, it = a[head], a[tail], ia[tail]
            indexes[dst] = ia
            wins = vt > vh
            if ties:
                wins |= (vt == vh) & (it < ia[head])
            xp.copyto(indexes[dst][head], it, where=wins)
        xp.maximum(a[head], a[tail], out=values[dst][head])

    def scatter(self, gy: Any) -> Any:
        """Add each output gradient ``(R, C, outh, outw)`` at its argmax: ``(B, C, H, W)``."""
        xp = backend.get_array_module(gy)
        n_batch, channels, height, width = self.x_shape
        flat, valid = self._flat_argmax(xp)
        gx = xp.bincount(
            flat[valid],
            weights=gy.reshape(-1)[valid],
            minlength=n_batch * channels * height * width,
        )
        return gx.astype(gy.dtype, copy=False).reshape(self.x_shape)

    def gather(self, x: Any) -> Any:
        """The entry of ``x (B, C, H, W)`` at each argmax, 0 for empty bins."""
        xp = backend.get_array_module(x)
        flat, valid = self._flat_argmax(xp)
        y = x.reshape(-1)[xp.where(valid, flat, 0)] * valid.astype(x.dtype)
        return y.reshape(self.argmax.shape)

    def _flat_argmax(self, xp: Any) -> tuple[Any, Any]:
        _, channels, height, width = self.x_shape
        plane = (self.batch[:, None] * channels + xp.arange(channels)[None, :]) * height * width
        arg = self.argmax.astype(numpy.int64)
        return (plane[:, :, None, None] + arg).reshape(-1), (arg >= 0).reshape(-1)


class ROIMaxPoolingBase(FunctionNode):
    """A RoI max pooling node: subclasses read the RoIs and call ``self.bins.pool``."""

    bins: MaxBins

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Route each output gradient to its bin's argmax; the RoIs get no gradient."""
        if 0 not in indexes:
            return (None,) * len(indexes)
        if self.bins.argmax is None:
            raise RuntimeError(
                f"{self.bins.fname}: backward needs the argmax, which was not kept because x "
                "did not require a gradient when the forward pass ran"
            )
        (gx,) = ROIMaxPoolingGrad(self.bins).apply(grad_outputs)
        return tuple(gx if i == 0 else None for i in indexes)


class ROIMaxPoolingGrad(FunctionNode):
    """Gradient of RoI max pooling: scatter ``gy`` to the argmax positions (a linear map)."""

    def __init__(self, bins: MaxBins) -> None:
        self.bins = bins

    def forward(self, inputs: tuple) -> tuple:
        """Scatter-add ``gy (R, C, outh, outw)`` onto ``(B, C, H, W)``."""
        return (self.bins.scatter(inputs[0]),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Gather the gradient at the argmax positions (the adjoint of the scatter)."""
        return ROIMaxPoolingWithIndexes(self.bins).apply(grad_outputs)


class ROIMaxPoolingWithIndexes(FunctionNode):
    """Read ``x`` at fixed argmax positions: the adjoint of :class:`ROIMaxPoolingGrad`."""

    def __init__(self, bins: MaxBins) -> None:
        self.bins = bins

    def forward(self, inputs: tuple) -> tuple:
        """Gather ``x (B, C, H, W)`` into ``(R, C, outh, outw)``."""
        return (self.bins.gather(inputs[0]),)

    def backward(self, indexes: tuple, grad_outputs: tuple) -> tuple:
        """Scatter the gradient back to the argmax positions."""
        return ROIMaxPoolingGrad(self.bins).apply(grad_outputs)
