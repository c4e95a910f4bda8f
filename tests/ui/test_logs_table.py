import math

import numpy as np
import pytest

from kusari_ui.logs import LogTable


def test_empty_table():
    table = LogTable()
    assert table.n_entries == 0
    assert table.keys == []
    assert table.numeric_keys() == []
    assert table.last_value("main/loss") is None
    with pytest.raises(KeyError, match="LogTable.column"):
        table.column("main/loss")


def test_columns_follow_the_entries_across_many_appends():
    rng = np.random.default_rng(0)
    table = LogTable()
    expected = {"epoch": [], "main/loss": [], "validation/main/loss": []}
    epoch = 0
    for size in rng.integers(0, 700, size=12):
        batch = []
        for _ in range(size):
            epoch += 1
            entry = {"epoch": epoch, "main/loss": float(rng.normal())}
            if epoch % 10 == 0:
                entry["validation/main/loss"] = float(rng.normal())
            batch.append(entry)
            for key in expected:
                expected[key].append(entry.get(key, math.nan))
        assert table.append(batch) == len(batch)
    assert table.n_entries == epoch
    assert table.keys == ["epoch", "main/loss", "validation/main/loss"]
    for key, values in expected.items():
        np.testing.assert_array_equal(table.column(key), np.array(values, dtype=np.float64))


def test_keys_in_first_seen_order_and_new_keys_backfilled_with_nan():
    table = LogTable()
    table.append([{"b": 1, "a": 2}])
    table.append([{"a": 3}, {"c": 4, "a": 5, "b": 6}])
    assert table.keys == ["b", "a", "c"]
    np.testing.assert_array_equal(table.column("c"), [np.nan, np.nan, 4.0])
    np.testing.assert_array_equal(table.column("b"), [1.0, np.nan, 6.0])


def test_column_is_a_read_only_float64_view():
    table = LogTable()
    table.append([{"a": 1}, {"a": 2}])
    column = table.column("a")
    assert column.dtype == np.float64 and column.shape == (2,)
    with pytest.raises(ValueError):
        column[0] = 5.0
    table.append([{"a": 3}])
    np.testing.assert_array_equal(column, [1.0, 2.0])  # an earlier view is not changed


def test_value_types():
    table = LogTable()
    table.append(
        [
            {"f": 0.5, "i": 3, "b": True, "s": "1.5", "n": None, "np": np.float64(2.5)},
            {"f": float("nan"), "i": -(10**400), "b": False, "s": "x", "np": np.int64(7)},
        ]
    )
    np.testing.assert_array_equal(table.column("f"), [0.5, np.nan])
    np.testing.assert_array_equal(table.column("i"), [3.0, -np.inf])
    np.testing.assert_array_equal(table.column("b"), [np.nan, np.nan])
    np.testing.assert_array_equal(table.column("s"), [np.nan, np.nan])  # no string parsing
    np.testing.assert_array_equal(table.column("n"), [np.nan, np.nan])
    np.testing.assert_array_equal(table.column("np"), [2.5, 7.0])
    assert table.numeric_keys() == ["f", "i", "np"]
    assert table.last_value("b") is False
    assert table.last_value("n") is None
    assert table.last_value("s") == "x"


def test_non_dict_items_are_skipped():
    table = LogTable()
    assert table.append([1, "a", None, [{"a": 1}], {"a": 2}]) == 1
    assert table.n_entries == 1
    assert table.append(iter([{"a": 3}])) == 1
    np.testing.assert_array_equal(table.column("a"), [2.0, 3.0])


def test_key_that_is_not_a_str_is_rejected():
    table = LogTable()
    with pytest.raises(TypeError, match=r"LogTable.append: entry keys of type str expected \(int"):
        table.append([{1: 2.0}])


def test_import_needs_only_numpy(top_level_modules_after_import):
    loaded = top_level_modules_after_import("kusari_ui.logs")
    assert "kusari_ui" in loaded and "numpy" in loaded
    assert loaded.isdisjoint({"kusari", "flask", "sqlalchemy", "werkzeug", "cupy"})
