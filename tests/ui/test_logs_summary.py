import math

import numpy as np
import pytest

from kusari_ui.logs import STEP_KEYS, LogTable, summarize


def table_of(entries: list) -> LogTable:
    table = LogTable()
    table.append(entries)
    return table


def test_step_keys():
    assert STEP_KEYS == ("epoch", "iteration", "elapsed_time", "episode", "step")


def test_summary_matches_a_numpy_reference():
    rng = np.random.default_rng(3)
    loss = rng.normal(size=60)
    accuracy = rng.uniform(size=60)
    validation = rng.normal(size=60)
    loss[[5, 17]] = [np.nan, -np.inf]  # not finite: no best
    accuracy[30] = np.inf
    entries = []
    for i in range(60):
        entry = {
            "epoch": i // 6 + 1,
            "iteration": (i + 1) * 50,
            "elapsed_time": 0.5 * i,
            "main/loss": float(loss[i]),
            "main/accuracy": float(accuracy[i]),
        }
        if i % 6 == 5:
            entry["validation/main/loss"] = float(validation[i])
        entries.append(entry)
    summary = summarize(table_of(entries))

    keys = ["epoch", "iteration", "elapsed_time", "main/loss", "main/accuracy"]
    assert summary["keys"] == [*keys, "validation/main/loss"]
    assert summary["n_entries"] == 60
    assert summary["x_keys"] == ["epoch", "iteration", "elapsed_time"]
    assert summary["last"]["epoch"] == 10 and type(summary["last"]["epoch"]) is int
    assert summary["last"]["main/loss"] == loss[-1]
    assert summary["last"]["validation/main/loss"] == validation[59]
    assert set(summary["best"]) == {"main/loss", "main/accuracy", "validation/main/loss"}

    def expected(values: np.ndarray, mode: str, index_map: np.ndarray) -> dict:
        finite = np.flatnonzero(np.isfinite(values))
        pick = np.argmin if mode == "min" else np.argmax
        local = finite[pick(values[finite])]
        index = int(index_map[local])
        return {
            "value": float(values[local]),
            "mode": mode,
            "index": index,
            "epoch": index // 6 + 1,
            "iteration": (index + 1) * 50,
            "step": None,
            "episode": None,
        }

    everything = np.arange(60)
    assert summary["best"]["main/loss"] == expected(loss, "min", everything)
    assert summary["best"]["main/accuracy"] == expected(accuracy, "max", everything)
    every_sixth = np.arange(5, 60, 6)
    assert summary["best"]["validation/main/loss"] == expected(
        validation[every_sixth], "min", every_sixth
    )


@pytest.mark.parametrize(
    ("key", "mode"),
    [
        ("main/loss", "min"),
        ("validation/main/loss", "min"),
        ("main/accuracy", "max"),
        ("validation/main/accuracy", "max"),
        ("val_acc", "max"),
        ("main/Accuracy", "max"),
        ("main/top5acc", "max"),
        ("main/acc1", "max"),
        ("main/f1_score", "max"),
        ("main/F1", "max"),
        ("eval/mAP", "max"),
        ("eval/map@0.5", "max"),
        ("eval/mAP50", "max"),
        ("eval/mIoU", "max"),
        ("eval/mean_iou", "max"),
        ("eval/precision", "max"),
        ("eval/recall@5", "max"),
        ("eval/auc", "max"),
        ("episode_reward", "max"),
        ("average/returns", "max"),
        ("main/score", "max"),
        # The words are looked for in the last path component only, and whole:
        ("accuracy/loss", "min"),
        ("main/previous_loss", "min"),
        ("main/heatmap_loss", "min"),
        ("main/accumulated_loss", "min"),
        ("lr", "min"),
        ("main/mse", "min"),
    ],
)
def test_best_mode(key, mode):
    summary = summarize(table_of([{key: 1.0}, {key: 2.0}, {key: 0.5}]))
    best = summary["best"][key]
    assert best["mode"] == mode
    assert best["index"] == (1 if mode == "max" else 2)


def test_step_keys_get_no_best_and_ties_go_to_the_first_entry():
    summary = summarize(
        table_of(
            [
                {"epoch": 1, "step": 10, "episode": 1, "main/loss": 0.5},
                {"epoch": 2, "step": 20, "episode": 2, "main/loss": 0.25},
                {"epoch": 3, "step": 30, "episode": 3, "main/loss": 0.25},
            ]
        )
    )
    assert list(summary["best"]) == ["main/loss"]
    assert summary["best"]["main/loss"] == {
        "value": 0.25,
        "mode": "min",
        "index": 1,
        "epoch": 2,
        "iteration": None,
        "step": 20,
        "episode": 2,
    }
    assert summary["x_keys"] == ["epoch", "episode", "step"]


def test_step_of_best_is_none_where_the_step_is_missing_or_not_finite():
    summary = summarize(
        table_of([{"epoch": 1, "main/loss": 1.0}, {"epoch": float("nan"), "main/loss": 0.5}])
    )
    assert summary["best"]["main/loss"]["epoch"] is None
    assert summary["best"]["main/loss"]["index"] == 1


def test_last_values():
    summary = summarize(
        table_of(
            [
                {"a": 1.0, "b": 2, "mixed": 1.5, "note": "start", "flag": True, "tail": 1.0},
                {"a": float("nan"), "mixed": "n/a", "note": None, "tail": float("inf")},
                {"other": [1, 2]},
            ]
        )
    )
    last = summary["last"]
    assert math.isnan(last["a"])  # a NaN written last stays the last value
    assert last["b"] == 2 and type(last["b"]) is int
    assert last["mixed"] == 1.5  # the last numeric value of a numeric key
    assert last["note"] is None  # raw last value of keys never numeric
    assert last["flag"] is True
    assert last["tail"] == math.inf
    assert last["other"] == [1, 2]
    assert summary["keys"] == ["a", "b", "mixed", "tail"]
    assert "a" in summary["best"] and summary["best"]["a"]["value"] == 1.0
    assert summary["best"]["tail"]["value"] == 1.0


def test_key_without_a_finite_value_has_no_best():
    summary = summarize(table_of([{"main/loss": float("nan")}, {"main/loss": float("inf")}]))
    assert summary["keys"] == ["main/loss"]
    assert summary["best"] == {}


def test_empty_table():
    assert summarize(LogTable()) == {
        "n_entries": 0,
        "keys": [],
        "x_keys": [],
        "last": {},
        "best": {},
    }


def test_a_fractional_step_value_is_kept_as_a_float():
    table = LogTable()
    table.append([{"epoch": 0.5, "main/loss": 1.0}, {"epoch": 1, "main/loss": 2.0}])
    best = summarize(table)["best"]["main/loss"]
    assert best["epoch"] == 0.5 and isinstance(best["epoch"], float)
