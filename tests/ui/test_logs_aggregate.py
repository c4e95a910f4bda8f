import numpy as np
import pytest

from kusari_ui.logs import aggregate


def interpolate(x: np.ndarray, y: np.ndarray, at: float) -> float | None:
    """Linear interpolation of one run at one x, by hand; None outside the run's x range."""
    if at < x[0] or at > x[-1]:
        return None
    right = int(np.searchsorted(x, at))
    if x[right] == at:
        return float(y[right])
    left = right - 1
    fraction = (at - x[left]) / (x[right] - x[left])
    return float(y[left] + fraction * (y[right] - y[left]))


def reference(runs: list, grid: np.ndarray) -> dict:
    xs, means, stds, counts = [], [], [], []
    for at in grid:
        values = [interpolate(x, y, at) for x, y in runs]
        values = [value for value in values if value is not None]
        if values:
            xs.append(at)
            means.append(np.mean(values))
            stds.append(np.std(values))
            counts.append(len(values))
    return {"x": np.array(xs), "mean": np.array(means), "std": np.array(stds), "count": counts}


def assert_matches(result: dict, expected: dict) -> None:
    assert set(result) == {"x", "mean", "std", "count"}
    np.testing.assert_array_equal(result["x"], expected["x"])
    np.testing.assert_allclose(result["mean"], expected["mean"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result["std"], expected["std"], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(result["count"], expected["count"])
    assert result["count"].dtype == np.int64


def test_runs_with_identical_x():
    rng = np.random.default_rng(0)
    x = np.arange(1.0, 51.0)
    ys = rng.normal(size=(4, 50))
    result = aggregate([(x, y) for y in ys], 100)
    np.testing.assert_array_equal(result["x"], x)
    np.testing.assert_allclose(result["mean"], ys.mean(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result["std"], ys.std(axis=0), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(result["count"], np.full(50, 4))


def test_runs_with_shifted_and_partial_x_ranges():
    rng = np.random.default_rng(1)
    runs = [
        (np.arange(0.0, 20.0), rng.normal(size=20)),
        (np.arange(0.5, 30.5), rng.normal(size=30)),  # shifted, longer
        (np.arange(5.0, 12.0), rng.normal(size=7)),  # partial
        (np.sort(rng.uniform(-3, 25, size=15)), rng.normal(size=15)),  # irregular
    ]
    grid = np.unique(np.concatenate([x for x, _ in runs]))
    assert_matches(aggregate(runs, 1000), reference(runs, grid))


def test_single_run_has_zero_std():
    x = np.array([1.0, 2.0, 4.0, 8.0])
    y = np.array([0.5, -1.0, 3.0, 2.0])
    result = aggregate([(x, y)], 10)
    np.testing.assert_array_equal(result["x"], x)
    np.testing.assert_array_equal(result["mean"], y)
    np.testing.assert_array_equal(result["std"], np.zeros(4))
    np.testing.assert_array_equal(result["count"], np.ones(4))


def test_grid_is_picked_evenly_down_to_n_points():
    rng = np.random.default_rng(2)
    runs = [
        (np.arange(0.0, 1000.0), rng.normal(size=1000)),
        (np.arange(500.0, 1500.0), rng.normal(size=1000)),
    ]
    result = aggregate(runs, 7)
    union = np.arange(0.0, 1500.0)
    expected_grid = union[np.round(np.linspace(0, 1499, 7)).astype(int)]
    np.testing.assert_array_equal(result["x"], expected_grid)
    assert (result["x"][0], result["x"][-1]) == (0.0, 1499.0)
    assert_matches(result, reference(runs, expected_grid))


def test_points_outside_every_run_are_dropped_and_gaps_between_runs_too():
    runs = [
        (np.array([0.0, 1.0]), np.array([1.0, 3.0])),
        (np.array([5.0, 6.0]), np.array([0.0, 2.0])),
    ]
    result = aggregate(runs, 100)
    np.testing.assert_array_equal(result["x"], [0.0, 1.0, 5.0, 6.0])
    np.testing.assert_array_equal(result["mean"], [1.0, 3.0, 0.0, 2.0])
    np.testing.assert_array_equal(result["count"], [1, 1, 1, 1])


def test_non_finite_pairs_are_left_out_and_repeated_x_averaged():
    runs = [
        (np.array([0.0, 1.0, np.nan, 2.0, 2.0]), np.array([1.0, np.inf, 5.0, 2.0, 4.0])),
        (np.array([0.0, 1.0, 2.0]), np.array([3.0, 4.0, 5.0])),
    ]
    result = aggregate(runs, 10)
    # Run 0 becomes (0, 1), (2, 3): interpolated at x = 1 it gives 2, where run 1 gives 4.
    np.testing.assert_array_equal(result["x"], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(result["mean"], [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(result["std"], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(result["count"], [2, 2, 2])


def test_unsorted_run_and_lists_are_accepted():
    result = aggregate([([2, 0, 1], [20, 0, 10])], 5)
    np.testing.assert_array_equal(result["x"], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(result["mean"], [0.0, 10.0, 20.0])


def test_no_runs_or_empty_runs_give_empty_arrays():
    for runs in ([], [(np.empty(0), np.empty(0))], [([np.nan], [1.0])]):
        result = aggregate(runs, 10)
        assert all(result[key].size == 0 for key in ("x", "mean", "std", "count"))
        assert result["count"].dtype == np.int64


def test_bad_arguments():
    x = np.arange(3.0)
    with pytest.raises(ValueError, match=r"aggregate: n_points >= 2 expected \(1\)"):
        aggregate([(x, x)], 1)
    with pytest.raises(TypeError, match=r"aggregate: n_points of type int expected \(str\)"):
        aggregate([(x, x)], "5")
    with pytest.raises(ValueError, match=r"aggregate: runs\[1\] x and y of one shape"):
        aggregate([(x, x), (x, x[:2])], 5)
    with pytest.raises(ValueError, match=r"aggregate: runs\[0\] as a pair \(x, y\) expected"):
        aggregate([(x, x, x)], 5)


def test_huge_values_give_a_finite_mean_and_std():
    x = np.array([0.0, 1.0])
    runs = [(x, np.array([1e308, 1e308])), (x, np.array([1e29, -1e308]))]
    result = aggregate(runs, n_points=10)
    assert np.isfinite(result["mean"]).all() and np.isfinite(result["std"]).all()
    np.testing.assert_allclose(result["mean"], [5e307, 0.0], atol=1e293)
    np.testing.assert_allclose(result["std"], [5e307, 1e308], rtol=1e-12)
