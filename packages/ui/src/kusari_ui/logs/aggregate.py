"""Mean and standard deviation of one key across runs (e.g. seeds), on a common x grid."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike


def aggregate(runs: Sequence[tuple[ArrayLike, ArrayLike]], n_points: int) -> dict:
    """Aggregate several runs' series into mean ± std per x.

    The grid is the sorted union of the runs' x values; when it has more than ``n_points``
    values, ``n_points`` of them are picked at evenly spaced positions (the first and the last
    included). Each run is linearly interpolated onto the grid inside its own x range and
    left out outside it; where a run has several y at one x, their mean is used. At each grid
    point the runs that cover it give the mean, the population standard deviation
    (``ddof=0``) and the count; grid points that no run covers are dropped.

    Args:
        runs (Sequence[tuple[array_like, array_like]]): ``(x, y)`` per run, each of shape
            ``(T_r,)``. Pairs where x or y is not finite are left out.
        n_points (int): The most grid points, at least 2.

    Returns:
        dict: ``{"x", "mean", "std"}`` (float64 arrays) and ``"count"`` (int64 array), all of
        shape ``(G,)`` with ``G <= n_points``.

    Raises:
        TypeError: If ``n_points`` is not an int.
        ValueError: If ``n_points < 2``, or a run is not a pair of 1-D arrays of one length.
    """
    if not isinstance(n_points, numbers.Integral) or isinstance(n_points, bool):
        raise TypeError(f"aggregate: n_points of type int expected ({type(n_points).__name__})")
    if n_points < 2:
        raise ValueError(f"aggregate: n_points >= 2 expected ({n_points})")
    cleaned = [_clean_run(i, run) for i, run in enumerate(runs)]
    cleaned = [(x, y) for x, y in cleaned if x.size]
    if not cleaned:
        empty = np.empty(0)
        return {"x": empty, "mean": empty, "std": empty, "count": np.empty(0, dtype=np.int64)}
    # A stable sort (timsort) merges the runs' already sorted x in near-linear time.
    grid = np.sort(np.concatenate([x for x, _ in cleaned]), kind="stable")
    grid = grid[np.append(True, grid[1:] != grid[:-1])]
    if grid.size > n_points:
        grid = grid[np.round(np.linspace(0, grid.size - 1, n_points)).astype(np.intp)]
    values = np.full((len(cleaned), grid.size), np.nan)
    for row, (x, y) in zip(values, cleaned, strict=True):
        inside = (grid >= x[0]) & (grid <= x[-1])
        row[inside] = np.interp(grid[inside], x, y)
    covered = ~np.isnan(values)
    count = covered.sum(axis=0)
    keep = count > 0
    values, covered, count = values[:, keep], covered[:, keep], count[keep]
    # Each point is scaled by its largest magnitude so that sums of huge values (1e308) cannot
    # overflow; the scale is multiplied back at the end.
    scale = np.where(covered, np.abs(values), 0.0).max(axis=0)
    scale[scale == 0] = 1.0
    scaled = values / scale
    mean = np.where(covered, scaled, 0.0).sum(axis=0) / count
    deviation = np.where(covered, scaled - mean, 0.0)
    std = np.sqrt((deviation**2).sum(axis=0) / count)
    return {
        "x": grid[keep],
        "mean": mean * scale,
        "std": std * scale,
        "count": count.astype(np.int64),
    }


def _clean_run(i: int, run: tuple[ArrayLike, ArrayLike]) -> tuple[np.ndarray, np.ndarray]:
    """Finite pairs of one run, x strictly increasing (the y of a repeated x averaged)."""
    try:
        x, y = run
    except (TypeError, ValueError):
        raise ValueError(f"aggregate: runs[{i}] as a pair (x, y) expected ({run!r:.80})") from None
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(
            f"aggregate: runs[{i}] x and y of one shape (T,) expected "
            f"(x.shape {x.shape}, y.shape {y.shape})"
        )
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.all():
        x, y = x[finite], y[finite]
    if (x[1:] > x[:-1]).all():
        return x, y
    unique_x, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    return unique_x, np.bincount(inverse, weights=y, minlength=unique_x.size) / counts
