import math

import numpy as np
import pytest

from kusari_ui.logs import LogTable, downsample_lttb, downsample_minmax, series

DOWNSAMPLERS = [downsample_minmax, downsample_lttb]


def lttb_reference(x: list, y: list, n_points: int) -> list[int]:
    """Indexes kept by LTTB, written as a plain loop after Steinarsson's description."""
    n = len(x)
    n_buckets = n_points - 2
    starts = [1 + i * (n - 2) // n_buckets for i in range(n_buckets + 1)]
    kept = [0]
    for i in range(n_buckets):
        bucket = range(starts[i], starts[i + 1])
        if i + 1 < n_buckets:
            following = range(starts[i + 1], starts[i + 2])
            cx = sum(x[j] for j in following) / len(following)
            cy = sum(y[j] for j in following) / len(following)
        else:
            cx, cy = x[-1], y[-1]
        ax, ay = x[kept[-1]], y[kept[-1]]
        best, best_area = None, -1.0
        for j in bucket:
            area = abs((ax - cx) * (y[j] - ay) - (ax - x[j]) * (cy - ay)) / 2
            if area > best_area:
                best, best_area = j, area
        kept.append(best)
    return [*kept, n - 1]


def minmax_reference(y: list, n_points: int) -> list[int]:
    """Indexes kept by min/max per bucket, as a plain loop."""
    n = len(y)
    n_buckets = (n_points - 2) // 2
    inner = n - 2
    kept = [0]
    for i in range(n_buckets):
        bucket = list(range(1 + i * inner // n_buckets, 1 + (i + 1) * inner // n_buckets))
        low = min(bucket, key=lambda j: (y[j], j))
        high = max(bucket, key=lambda j: (y[j], -j))
        kept.extend(sorted({low, high}))
    return [*kept, n - 1]


def test_lttb_hand_checked_example():
    # 7 points, 4 kept: buckets {1, 2} and {3, 4, 5}.
    # Bucket {1, 2}: a = (0, 0), c = mean of the next bucket = (4, 4/3); twice the areas are
    # |(0-4)(2-0) - (0-1)(4/3)| = 20/3 for point 1 and |(0-4)(0-0) - (0-2)(4/3)| = 8/3 for
    # point 2: point 1 is kept.
    # Bucket {3, 4, 5}: a = (1, 2), c = the last point (6, 0); twice the areas are
    # |(1-6)(5-2) - (1-3)(0-2)| = 19, |(1-6)(0-2) - (1-4)(0-2)| = 4, |(1-6)(-1-2) - (1-5)(0-2)| = 7:
    # point 3 is kept.
    x = np.arange(7.0)
    y = np.array([0.0, 2.0, 0.0, 5.0, 0.0, -1.0, 0.0])
    out_x, out_y = downsample_lttb(x, y, 4)
    np.testing.assert_array_equal(out_x, [0.0, 1.0, 3.0, 6.0])
    np.testing.assert_array_equal(out_y, [0.0, 2.0, 5.0, 0.0])


@pytest.mark.parametrize(("n", "n_points"), [(10, 3), (10, 9), (101, 7), (1000, 50), (997, 100)])
def test_lttb_matches_the_loop_reference(n, n_points):
    rng = np.random.default_rng(n + n_points)
    x = np.cumsum(rng.uniform(0.1, 2.0, size=n))
    y = rng.normal(size=n)
    out_x, out_y = downsample_lttb(x, y, n_points)
    kept = lttb_reference(x.tolist(), y.tolist(), n_points)
    np.testing.assert_array_equal(out_x, x[kept])
    np.testing.assert_array_equal(out_y, y[kept])
    assert out_x.size == n_points


@pytest.mark.parametrize(("n", "n_points"), [(10, 4), (10, 9), (101, 8), (1000, 50), (997, 101)])
def test_minmax_matches_the_loop_reference(n, n_points):
    rng = np.random.default_rng(n * n_points)
    x = np.arange(n, dtype=np.float64)
    y = rng.integers(0, 5, size=n).astype(np.float64)  # many ties
    out_x, out_y = downsample_minmax(x, y, n_points)
    kept = minmax_reference(y.tolist(), n_points)
    np.testing.assert_array_equal(out_x, x[kept])
    np.testing.assert_array_equal(out_y, y[kept])


def test_minmax_keeps_every_spike():
    rng = np.random.default_rng(1)
    n = 20_000
    x = np.arange(n, dtype=np.float64)
    y = rng.normal(scale=0.1, size=n)
    # At most one spike in each of the 49 buckets (of about 408 points).
    spikes = np.arange(500, n, 1000) + rng.integers(0, 400, size=20)
    y[spikes[0::2]] = 5.0
    y[spikes[1::2]] = -5.0
    out_x, out_y = downsample_minmax(x, y, 100)
    assert out_x.size <= 100
    kept = set(out_x.tolist())
    assert all(float(i) in kept for i in spikes)


def test_minmax_with_three_points_keeps_the_largest_spike():
    x = np.arange(50, dtype=np.float64)
    y = np.zeros(50)
    y[10], y[30] = 3.0, -7.0
    out_x, out_y = downsample_minmax(x, y, 3)
    np.testing.assert_array_equal(out_x, [0.0, 30.0, 49.0])
    np.testing.assert_array_equal(out_y, [0.0, -7.0, 0.0])


@pytest.mark.parametrize("downsample", DOWNSAMPLERS)
@pytest.mark.parametrize("n_points", [3, 4, 5, 10, 99, 100, 101, 999])
def test_common_properties(downsample, n_points):
    rng = np.random.default_rng(n_points)
    n = 1000
    x = np.sort(rng.uniform(0, 100, size=n))
    y = rng.normal(size=n)
    out_x, out_y = downsample(x, y, n_points)
    assert out_x.dtype == np.float64 and out_y.dtype == np.float64
    assert out_x.size == out_y.size <= max(n_points, 2)
    assert (out_x[0], out_y[0]) == (x[0], y[0])
    assert (out_x[-1], out_y[-1]) == (x[-1], y[-1])
    assert (np.diff(out_x) >= 0).all()
    # Every kept point is a point of the input.
    index = np.searchsorted(x, out_x)
    np.testing.assert_array_equal(y[index], out_y)


@pytest.mark.parametrize("downsample", DOWNSAMPLERS)
def test_few_points_are_returned_unchanged(downsample):
    x = np.array([0.0, 1.0, 2.5, 4.0])
    y = np.array([3.0, -1.0, 2.0, 0.5])
    for n_points in (4, 5, 1000):
        out_x, out_y = downsample(x, y, n_points)
        np.testing.assert_array_equal(out_x, x)
        np.testing.assert_array_equal(out_y, y)
    out_x, out_y = downsample(np.empty(0), np.empty(0), 3)
    assert out_x.size == out_y.size == 0


@pytest.mark.parametrize("downsample", DOWNSAMPLERS)
def test_non_finite_pairs_are_dropped(downsample):
    x = np.array([0.0, 1.0, np.nan, 3.0, 4.0, np.inf, 6.0])
    y = np.array([1.0, np.nan, 2.0, -np.inf, 5.0, 6.0, 7.0])
    out_x, out_y = downsample(x, y, 3)
    np.testing.assert_array_equal(out_x, [0.0, 4.0, 6.0])
    np.testing.assert_array_equal(out_y, [1.0, 5.0, 7.0])
    rng = np.random.default_rng(2)
    x = np.arange(500, dtype=np.float64)
    y = rng.normal(size=500)
    y[rng.choice(500, size=100, replace=False)] = np.nan
    out_x, out_y = downsample(x, y, 20)
    assert np.isfinite(out_y).all()
    finite = np.isfinite(y)
    expected_x, expected_y = downsample(x[finite], y[finite], 20)
    np.testing.assert_array_equal(out_x, expected_x)
    np.testing.assert_array_equal(out_y, expected_y)


@pytest.mark.parametrize("downsample", DOWNSAMPLERS)
def test_x_out_of_order_is_sorted_stably(downsample):
    x = np.array([3.0, 1.0, 2.0, 1.0, 0.0])
    y = np.array([30.0, 10.0, 20.0, 11.0, 0.0])
    out_x, out_y = downsample(x, y, 5)
    np.testing.assert_array_equal(out_x, [0.0, 1.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(out_y, [0.0, 10.0, 11.0, 20.0, 30.0])


@pytest.mark.parametrize("downsample", DOWNSAMPLERS)
def test_bad_arguments(downsample):
    name = downsample.__name__
    x = y = np.arange(10.0)
    for n_points in (2, 0, -5):
        with pytest.raises(ValueError, match=rf"{name}: n_points >= 3 expected \({n_points}\)"):
            downsample(x, y, n_points)
    with pytest.raises(TypeError, match=rf"{name}: n_points of type int expected \(float\)"):
        downsample(x, y, 10.0)
    with pytest.raises(TypeError, match=name):
        downsample(x, y, True)
    with pytest.raises(ValueError, match=rf"{name}: x and y of one shape"):
        downsample(x, y[:5], 3)
    with pytest.raises(ValueError, match=name):
        downsample(np.ones((2, 5)), np.ones((2, 5)), 3)


def table_with_validation_every_tenth(n: int) -> LogTable:
    table = LogTable()
    entries = []
    for i in range(n):
        entry = {"iteration": 10 * (i + 1), "main/loss": 1.0 / (i + 1)}
        if i % 10 == 9:
            entry["validation/main/loss"] = 2.0 / (i + 1)
        entries.append(entry)
    table.append(entries)
    return table


@pytest.mark.parametrize("method", ["minmax", "lttb", "none"])
def test_series(method):
    table = table_with_validation_every_tenth(1000)
    x, y = series(table, "validation/main/loss", "iteration", 20, method=method)
    assert np.isfinite(y).all()
    assert x.size == (100 if method == "none" else 20 if method == "lttb" else x.size)
    assert x.size <= (100 if method == "none" else 20)
    np.testing.assert_array_equal(y, 20.0 / x)  # validation/main/loss = 2 / (iteration / 10)
    assert (x[0], x[-1]) == (100.0, 10000.0)


def test_series_default_method_is_minmax():
    table = table_with_validation_every_tenth(500)
    out = series(table, "main/loss", "iteration", 30)
    expected = downsample_minmax(table.column("iteration"), table.column("main/loss"), 30)
    np.testing.assert_array_equal(out[0], expected[0])
    np.testing.assert_array_equal(out[1], expected[1])


def test_series_errors():
    table = table_with_validation_every_tenth(10)
    with pytest.raises(ValueError, match=r"series: method one of minmax, lttb, none expected"):
        series(table, "main/loss", "iteration", 10, method="mean")
    with pytest.raises(KeyError):
        series(table, "main/loss", "epoch", 10)
    with pytest.raises(ValueError, match="n_points >= 3"):
        series(table, "main/loss", "iteration", 2)
    assert not math.isnan(series(table, "main/loss", "iteration", 2, method="none")[1][0])
