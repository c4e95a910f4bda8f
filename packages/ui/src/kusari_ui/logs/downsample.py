"""Downsampling of a series to a point budget, keeping its shape: min/max per bucket, LTTB."""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike

from kusari_ui.logs.table import LogTable

_METHODS = ("minmax", "lttb", "none")


def downsample_minmax(x: ArrayLike, y: ArrayLike, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Downsample a series to at most ``n_points`` by keeping each bucket's minimum and maximum.

    The first and the last point are kept; the points between them are split into
    ``(n_points - 2) // 2`` buckets of consecutive points (equal counts, give or take one),
    and of each bucket the point with the smallest and the one with the largest y are kept, in
    their original order (one point when they coincide). A spike therefore always survives,
    whatever the point budget. This is the idea of M4 (Jugel et al., "M4: A Visualization-
    Oriented Time Series Data Aggregation", VLDB 2014), which keeps the first, last, minimum
    and maximum of each pixel column; here buckets hold equal numbers of points rather than
    equal x ranges, and the first and last point of a bucket are left out, as a line chart's
    neighbouring buckets join them anyway. With ``n_points == 3`` there is one bucket and only
    the one of its two extremes farther from the series' mean is kept.

    Pairs where x or y is not finite are dropped first, and the series is put in x order
    (a stable sort, only when x is not already non-decreasing).

    Args:
        x (array_like): x values, shape ``(T,)``.
        y (array_like): y values, shape ``(T,)``.
        n_points (int): The most points to return, at least 3.

    Returns:
        tuple[numpy.ndarray, numpy.ndarray]: x and y (float64) of the kept points, in x order;
        all finite points when there are at most ``n_points`` of them.

    Raises:
        TypeError: If ``n_points`` is not an int.
        ValueError: If ``n_points < 3``, or x and y are not 1-D arrays of one length.
    """
    x, y = _prepare("downsample_minmax", x, y, n_points)
    n = x.size
    if n <= n_points:
        return x, y
    n_buckets = max((n_points - 2) // 2, 1)
    inner = y[1:-1]
    starts = np.arange(n_buckets) * inner.size // n_buckets
    sizes = np.diff(starts, append=inner.size)
    lowest = _first_hits(inner == np.repeat(np.minimum.reduceat(inner, starts), sizes), starts)
    highest = _first_hits(inner == np.repeat(np.maximum.reduceat(inner, starts), sizes), starts)
    if 2 * n_buckets + 2 > n_points:
        mean = y.mean()
        farther = np.abs(inner[highest] - mean) > np.abs(inner[lowest] - mean)
        kept = np.where(farther, highest, lowest)
    else:
        pairs = np.stack([np.minimum(lowest, highest), np.maximum(lowest, highest)], axis=1)
        kept = pairs.ravel()[np.append(True, np.diff(pairs.ravel()) != 0)]
    index = np.concatenate(([0], kept + 1, [n - 1]))
    return x[index], y[index]


def downsample_lttb(x: ArrayLike, y: ArrayLike, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Downsample a series to ``n_points`` with Largest-Triangle-Three-Buckets (LTTB).

    LTTB is from Sveinn Steinarsson, "Downsampling Time Series for Visual Representation",
    MSc thesis, University of Iceland, 2013. The first and the last point are kept; the
    ``T - 2`` points between them are split into ``n_points - 2`` buckets of consecutive points,
    bucket ``i`` holding the indices ``1 + floor(i * (T - 2) / (n_points - 2))`` up to (not
    including) the start of bucket ``i + 1``. Going left to right, each bucket keeps the point
    that forms the largest triangle with the point kept in the previous bucket and the mean
    point (mean x, mean y) of the next bucket (the last point for the last bucket). The
    result follows the visual shape closely, but unlike :func:`downsample_minmax` it may drop
    a lone spike when the point budget is small.

    Pairs where x or y is not finite are dropped first, and the series is put in x order
    (a stable sort, only when x is not already non-decreasing).

    Args:
        x (array_like): x values, shape ``(T,)``.
        y (array_like): y values, shape ``(T,)``.
        n_points (int): The number of points to return, at least 3.

    Returns:
        tuple[numpy.ndarray, numpy.ndarray]: x and y (float64) of the kept points, in x order;
        all finite points when there are at most ``n_points`` of them.

    Raises:
        TypeError: If ``n_points`` is not an int.
        ValueError: If ``n_points < 3``, or x and y are not 1-D arrays of one length.
    """
    x, y = _prepare("downsample_lttb", x, y, n_points)
    n = x.size
    if n <= n_points:
        return x, y
    n_buckets = n_points - 2
    edges = 1 + np.arange(n_buckets + 1) * (n - 2) // n_buckets
    sizes = np.diff(edges)
    mean_x = np.append(np.add.reduceat(x[:-1], edges[:-1]) / sizes, x[-1])
    mean_y = np.append(np.add.reduceat(y[:-1], edges[:-1]) / sizes, y[-1])
    index = np.empty(n_points, dtype=np.intp)
    index[0], index[-1] = 0, n - 1
    previous = 0
    for bucket in range(n_buckets):
        start, stop = edges[bucket], edges[bucket + 1]
        ax, ay = x[previous], y[previous]
        cx, cy = mean_x[bucket + 1], mean_y[bucket + 1]
        # Twice the triangle's area, up to sign; the factor does not change the argmax.
        area = np.abs((ax - cx) * (y[start:stop] - ay) - (ax - x[start:stop]) * (cy - ay))
        previous = start + int(np.argmax(area))
        index[bucket + 1] = previous
    return x[index], y[index]


def series(
    table: LogTable, y_key: str, x_key: str, n_points: int, method: str = "minmax"
) -> tuple[np.ndarray, np.ndarray]:
    """Return one key of a log against another, finite points only, downsampled.

    Args:
        table (LogTable): The log.
        y_key (str): Key of the y values.
        x_key (str): Key of the x values, e.g. ``"epoch"`` or ``"iteration"``.
        n_points (int): The most points to return (at least 3); ignored for ``"none"``.
        method (str): ``"minmax"`` (:func:`downsample_minmax`), ``"lttb"``
            (:func:`downsample_lttb`) or ``"none"`` (every finite point).

    Returns:
        tuple[numpy.ndarray, numpy.ndarray]: x and y (float64), shape ``(P,)`` each, in x
        order, where entries with a non-finite (or missing) x or y are left out.

    Raises:
        KeyError: If ``y_key`` or ``x_key`` is not a key of the table.
        ValueError: If ``method`` is unknown or ``n_points < 3``.
        TypeError: If ``n_points`` is not an int.
    """
    if method not in _METHODS:
        raise ValueError(f"series: method one of {', '.join(_METHODS)} expected ({method!r})")
    x, y = table.column(x_key), table.column(y_key)
    if method == "lttb":
        return downsample_lttb(x, y, n_points)
    if method == "minmax":
        return downsample_minmax(x, y, n_points)
    return _finite_in_x_order(x, y)


def _prepare(name: str, x: ArrayLike, y: ArrayLike, n_points: int) -> tuple[np.ndarray, ...]:
    if not isinstance(n_points, numbers.Integral) or isinstance(n_points, bool):
        raise TypeError(f"{name}: n_points of type int expected ({type(n_points).__name__})")
    if n_points < 3:
        raise ValueError(f"{name}: n_points >= 3 expected ({n_points})")
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(
            f"{name}: x and y of one shape (T,) expected (x.shape {x.shape}, y.shape {y.shape})"
        )
    return _finite_in_x_order(x, y)


def _finite_in_x_order(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.all():
        x, y = x[finite], y[finite]
    if x.size > 1 and (x[1:] < x[:-1]).any():
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
    return x, y


def _first_hits(hits: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Index of the first True of ``hits`` at or after each start (one exists in each bucket)."""
    where = np.flatnonzero(hits)
    return where[np.searchsorted(where, starts)]
