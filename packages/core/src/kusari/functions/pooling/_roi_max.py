"""RoI max pooling shared by ``roi_pooling_2d`` and ``roi_max_pooling_2d`` (Fast R-CNN).

The two functions differ only in how they read the RoIs; the bins, the maxima, the argmax and
the gradient nodes are here.
"""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend
from kusari.function_node import FunctionNode
from kusari.functions.pooling._roi import channels_first, check_batch_index


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


def _merge_argmax(head: Any, tail: Any, head_arg: Any, tail_arg: Any) -> Any:
    """Argmax of two blocks: the tail's when its maximum is larger, or equal at a smaller index.

    The tail block lies later in one axis but may hold an earlier row, so equal maxima go to
    the smaller flat index (the first maximum in row-major order).
    """
    xp = backend.get_array_module(head)
    wins = tail > head
    ties = tail == head
    # speed: disjoint blocks of continuous data rarely tie; skip the index test when none do
    if ties.any():
        ties &= tail_arg < head_arg
        wins |= ties
    return xp.where(wins, tail_arg, head_arg)


class _RowMaxima:
    """Maxima of ``x`` over runs of ``2**k`` rows, one level ``k`` at a time.

    A 1-D sparse table along ``H`` whose levels are built on the fly: only the current level
    ``(B, H - 2**k + 1, W, C)`` (channels last) is kept, with, for the argmax, the row of the
    first maximum of each run (in the smallest unsigned dtype that holds ``H - 1``). Of two
    merged runs the first holds the earlier rows, so it wins ties.
    """

    def __init__(self, x: Any, with_argmax: bool) -> None:
        xp = backend.get_array_module(x)
        height = x.shape[2]
        self.k = 0
        self.values = xp.ascontiguousarray(x.transpose(0, 2, 3, 1))
        self.rows = None
        if with_argmax:
            row_dtype = numpy.min_scalar_type(max(height - 1, 0))
            self.rows = xp.arange(height, dtype=row_dtype)[None, :, None, None]

    def next_level(self) -> None:
        """Level ``k + 1`` from level ``k``: merge runs ``2**k`` rows apart (ties: first)."""
        xp = backend.get_array_module(self.values)
        shift = 1 << self.k
        n = self.values.shape[1] - shift
        head, tail = self.values[:, :n], self.values[:, shift : shift + n]
        if self.rows is not None:
            self.rows = xp.where(tail > head, self.rows[:, shift : shift + n], self.rows[:, :n])
        self.values = xp.maximum(head, tail)
        self.k += 1

    def query(self, batch: Any, lo: Any, hi: Any, first_col: Any, n_cols: int) -> tuple:
        """Maximum over rows ``[lo, hi)`` of image ``batch`` of ``n_cols`` columns, ``(n, S, C)``.

        Band ``i`` reads columns ``first_col[i]`` to ``first_col[i] + n_cols`` (clipped to
        ``W - 1``); every range must have ``floor(log2(hi - lo)) == k``. Returns the maxima
        and, with the argmax, the flat index ``h * W + w`` of each first maximum as int32
        ``(n, S, C)`` (else None).
        """
        xp = backend.get_array_module(self.values)
        n_batch, n_rows, width, channels = self.values.shape
        table = self.values.reshape(n_batch * n_rows, width, channels)
        cols = xp.minimum(first_col[:, None] + xp.arange(n_cols), width - 1)
        head = (batch * n_rows + lo)[:, None]
        values = table[head, cols]
        rows = lo[:, None, None]
        if self.k:
            tail = head + (hi - lo - (1 << self.k))[:, None]
            other = table[tail, cols]
            if self.rows is not None:
                row_table = self.rows.reshape(table.shape)
                rows = xp.where(other > values, row_table[tail, cols], row_table[head, cols])
            xp.maximum(values, other, out=values)
        if self.rows is None:
            return values, None
        flat = xp.empty(values.shape, numpy.int32)
        flat[...] = rows
        flat *= width
        flat += cols[:, :, None].astype(numpy.int32)
        return values, flat


def _blocks(n: int, row_bytes: int, xp: Any) -> Any:
    """Yield slices cutting ``n`` rows of ``row_bytes`` each into blocks of about 4 MiB.

    Memory: this bounds the ``(bands, S, C)`` intermediates of the column stage. On CuPy the
    blocks are 256 MiB (fewer, larger kernels).
    """
    block_bytes = 1 << 22 if xp.__name__ == "numpy" else 1 << 28
    step = max(1, block_bytes // max(1, row_bytes))
    for start in range(0, n, step):
        yield slice(start, min(start + step, n))


class MaxBins:
    """The bins of every RoI and, after the forward pass, the argmax of each output.

    The maxima are range-maximum queries answered in two separable stages, each a 1-D sparse
    table (Bender and Farach-Colton, The LCA Problem Revisited, 2000): level ``k`` holds the
    maximum of every run of ``2**k`` entries, so the maximum of any range of length ``n`` is
    the larger of two lookups at level ``floor(log2(n))``. Stage one takes, for every band
    ``(roi, ph)``, the maximum over the band's rows of every column of its RoI from a table
    along ``H`` (``(bands, S, C)``, ``S`` the RoI's width); stage two takes, for every bin
    ``(roi, ph, pw)``, the maximum over the bin's columns of that band from a table along
    ``W``. Levels are built one at a time and bands are processed in blocks, so the memory
    is a few copies of ``x`` plus a few MiB, whatever the bin sizes; the time is
    ``log2(max bin height)`` passes over ``x`` plus ``log2(max bin width)`` passes over the
    bands.
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

        ``batch``, ``corners`` and ``extent`` are as in :meth:`locate`. The argmax is the
        flat index ``h * W + w`` of the first maximum of the bin in row-major order.
        """
        xp = backend.get_array_module(x)
        _, channels, _, width = x.shape
        out_shape = (corners.shape[0], channels, self.outh, self.outw)
        hs, he, ws, we = self.locate(batch, corners, extent, x.shape)
        y = xp.zeros((out_shape[0] * self.outh * self.outw, channels), x.dtype)
        arg = xp.full(y.shape, -1, numpy.int32) if with_argmax else None
        # bands (roi, ph) holding at least one non-empty bin, as flat indexes roi * outh + ph
        band = xp.flatnonzero(((he > hs) & (we > ws).any(axis=1)[:, None]).reshape(-1))
        if band.size:
            lo, hi = hs.reshape(-1)[band], he.reshape(-1)[band]
            image = self.batch[band // self.outh]
            # each band reads only its RoI's columns [ws[:, 0], we[:, -1])
            first_col = ws[band // self.outh, 0]
            span = we[band // self.outh, -1] - first_col
            level = _level(hi - lo)
            rows = _RowMaxima(x, with_argmax)
            for k in range(int(level.max()) + 1):
                if k:
                    rows.next_level()
                at = xp.flatnonzero(level == k)
                if not at.size:
                    continue
                # bands sorted by span so that each block is cut to nearly its own width
                at = at[xp.argsort(span[at])]
                row_bytes = int(span[at[-1]]) * channels * (x.dtype.itemsize + 4 * with_argmax)
                for blk in _blocks(at.shape[0], row_bytes, xp):
                    sel = at[blk]
                    n_cols = int(span[sel[-1]])
                    values, flat = rows.query(image[sel], lo[sel], hi[sel], first_col[sel], n_cols)
                    self._pool_columns(values, flat, band[sel], first_col[sel], ws, we, y, arg)
        if with_argmax:
            self.argmax = channels_first(arg, out_shape)
        return channels_first(y, out_shape)

    def _pool_columns(
        self,
        values: Any,
        flat: Any,
        band: Any,
        first_col: Any,
        ws: Any,
        we: Any,
        y: Any,
        arg: Any,
    ) -> None:
        """Write the bins of ``band`` ``(n,)`` into ``y`` (and ``arg``), rows in output order.

        ``values`` ``(n, S, C)`` are the column maxima of each band from column
        ``first_col`` ``(n,)`` on and ``flat`` their argmax (or None); a 1-D sparse table
        along the columns answers each bin.
        """
        xp = backend.get_array_module(values)
        channels = values.shape[2]
        col_lo, col_hi = ws[band // self.outh], we[band // self.outh]
        local, pw = xp.nonzero(col_hi > col_lo)
        lo, hi = col_lo[local, pw] - first_col[local], col_hi[local, pw] - first_col[local]
        dest = band[local] * self.outw + pw
        level = _level(hi - lo)
        for k in range(int(level.max()) + 1):
            if k:
                shift = 1 << (k - 1)
                n = values.shape[1] - shift
                head, tail = values[:, :n], values[:, shift : shift + n]
                if flat is not None:
                    flat = _merge_argmax(head, tail, flat[:, :n], flat[:, shift : shift + n])
                values = xp.maximum(head, tail)
            sel = xp.flatnonzero(level == k)
            if not sel.size:
                continue
            n_cols = values.shape[1]
            first = local[sel] * n_cols + lo[sel]
            last = first + (hi[sel] - lo[sel] - (1 << k))
            table = values.reshape(values.shape[0] * n_cols, channels)
            a, b = xp.take(table, first, axis=0), xp.take(table, last, axis=0)
            if flat is not None:
                flat_table = flat.reshape(table.shape)
                arg[dest[sel]] = _merge_argmax(
                    a, b, xp.take(flat_table, first, axis=0), xp.take(flat_table, last, axis=0)
                )
            y[dest[sel]] = xp.maximum(a, b)

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
