import csv
import io
import math

import numpy as np
import pytest

from kusari_ui.logs import LogTable, export_csv


def table_of(entries: list) -> LogTable:
    table = LogTable()
    table.append(entries)
    return table


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_round_trip_through_csv_reader():
    rng = np.random.default_rng(0)
    values = rng.normal(size=20) * 10.0 ** rng.integers(-12, 12, size=20)
    run_a = table_of(
        [
            {"epoch": i + 1, "main/loss": float(values[i]), "lr": 0.1 / (i + 1)}
            | ({"validation/main/loss": 1 / 3} if i % 5 == 4 else {})
            for i in range(20)
        ]
    )
    run_b = table_of(
        [
            {"epoch": 1, "main/loss": float("nan"), "lr": "n/a"},
            {"epoch": float("nan"), "main/loss": 1.0},  # no finite x: no line
            {"main/loss": 2.0},  # no x: no line
            {"epoch": 3, "main/loss": float("inf"), "lr": True},
            {"epoch": 4, "main/loss": -0.0, "lr": 2.0**60},
        ]
    )
    keys = ["main/loss", "validation/main/loss", "lr", "unknown"]
    text = export_csv([("run a", run_a), ('b, "quoted"\nname', run_b)], keys, "epoch")
    rows = read_csv(text)
    assert rows[0] == ["result", "epoch", *keys]
    assert len(rows) == 1 + 20 + 3
    for row, i in zip(rows[1:21], range(20), strict=True):
        assert row[0] == "run a"
        assert row[1] == str(i + 1)
        assert float(row[2]) == values[i]
        assert row[3] == ("0.3333333333333333" if i % 5 == 4 else "")
        assert float(row[4]) == 0.1 / (i + 1)
        assert row[5] == ""
    assert rows[21:] == [
        ['b, "quoted"\nname', "1", "", "", "", ""],
        ['b, "quoted"\nname', "3", "inf", "", "", ""],
        ['b, "quoted"\nname', "4", "0", "", "1.152921504606847e+18", ""],
    ]
    assert math.isinf(float(rows[22][2]))


def test_table_without_the_x_key_gives_no_lines():
    text = export_csv([("a", table_of([{"main/loss": 1.0}]))], ["main/loss"], "epoch")
    assert read_csv(text) == [["result", "epoch", "main/loss"]]


def test_no_rows_gives_the_header_only():
    assert export_csv([], ["main/loss"], "iteration") == "result,iteration,main/loss\r\n"


def test_x_key_may_also_be_a_value_column():
    text = export_csv([("a", table_of([{"epoch": 1.5}]))], ["epoch"], "epoch")
    assert read_csv(text) == [["result", "epoch", "epoch"], ["a", "1.5", "1.5"]]


def test_bad_arguments():
    table = table_of([{"epoch": 1}])
    with pytest.raises(TypeError, match=r"export_csv: x_key of type str expected \(int\)"):
        export_csv([("a", table)], ["epoch"], 1)
    with pytest.raises(TypeError, match=r"export_csv: keys of type str expected \(NoneType\)"):
        export_csv([("a", table)], [None], "epoch")
    with pytest.raises(TypeError, match=r"export_csv: rows of \(str, LogTable\) expected"):
        export_csv([("a", {"epoch": [1]})], ["epoch"], "epoch")
