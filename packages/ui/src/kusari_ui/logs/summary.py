"""Summary of a log: entry count, keys, last values, best values and the step of the best."""

from __future__ import annotations

import math
import re

import numpy as np

from kusari_ui.logs.table import LogTable

STEP_KEYS = ("epoch", "iteration", "elapsed_time", "episode", "step")
"""tuple[str, ...]: Keys that count training progress: candidates for a chart's x axis."""

# Words of a key's last path component that mean "higher is better".
_MAX_WORDS = frozenset(
    ("accuracy", "acc", "score", "return", "reward", "precision", "recall", "map", "iou", "f1")
    + ("auc",)
)
_WORD = re.compile(r"[a-z]+[0-9]*")
_BEST_STEP_KEYS = ("epoch", "iteration", "step", "episode")


def summarize(table: LogTable) -> dict:
    """Summarize a log table: what a results list shows for one run.

    The mode of a key is ``"max"`` (higher is better) when a word of its last path component
    (``accuracy`` of ``validation/main/accuracy``) is one of accuracy, acc, score, return,
    reward, precision, recall, map, iou, f1 or auc, case-insensitively. A word is a run of
    letters with the digits that follow it; it also matches with trailing digits, a trailing
    ``s`` or a leading ``m`` removed (``acc1``, ``top5acc``, ``rewards``, ``mAP50``,
    ``mIoU``). Matching whole words, not substrings, keeps ``previous_loss`` (which holds
    "iou") and ``heatmap_loss`` (which holds "map") at ``"min"``. Every other key is ``"min"``.

    Args:
        table (LogTable): The log.

    Returns:
        dict: With these items:

        - ``"n_entries"`` (int): number of entries.
        - ``"keys"`` (list[str]): the numeric keys, first-seen order.
        - ``"x_keys"`` (list[str]): the keys of :data:`STEP_KEYS` that are numeric keys, in
          the order of :data:`STEP_KEYS`.
        - ``"last"`` (dict): for each numeric key its last numeric value (int or float as
          written; NaN and ±inf stay floats), and for each key never numeric its last raw value
          (str, bool, list, dict or None).
        - ``"best"`` (dict): for each numeric key outside :data:`STEP_KEYS` that has a finite
          value, ``{"value": float, "mode": "min" | "max", "index": int (entry index),
          "epoch", "iteration", "step", "episode"}``, the last four being the values of those
          keys in that entry as ints (None where absent or not finite). Ties go to the first
          entry. Only finite values compete.
    """
    numeric = table.numeric_keys()
    numeric_set = set(numeric)
    last = {}
    for key in table.keys:
        value = table.last_value(key)
        if key in numeric_set and not _is_number(value):
            present = np.flatnonzero(~np.isnan(table.column(key)))
            value = float(table.column(key)[present[-1]]) if present.size else math.nan
        last[key] = value
    best = {}
    for key in numeric:
        if key in STEP_KEYS:
            continue
        column = table.column(key)
        finite = np.isfinite(column)
        if not finite.any():
            continue
        mode = _best_mode(key)
        if mode == "max":
            index = int(np.argmax(np.where(finite, column, -np.inf)))
        else:
            index = int(np.argmin(np.where(finite, column, np.inf)))
        best[key] = {"value": float(column[index]), "mode": mode, "index": index}
        for step_key in _BEST_STEP_KEYS:
            best[key][step_key] = _step_at(table, numeric_set, step_key, index)
    return {
        "n_entries": table.n_entries,
        "keys": numeric,
        "x_keys": [key for key in STEP_KEYS if key in numeric_set],
        "last": last,
        "best": best,
    }


def _best_mode(key: str) -> str:
    """Return ``"max"`` when higher values of the key are better, else ``"min"``."""
    for word in _WORD.findall(key.rpartition("/")[2].lower()):
        stem = word.rstrip("0123456789")
        if (
            word in _MAX_WORDS
            or stem in _MAX_WORDS
            or stem.removesuffix("s") in _MAX_WORDS
            or stem.removeprefix("m") in _MAX_WORDS
        ):
            return "max"
    return "min"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _step_at(table: LogTable, numeric: set[str], key: str, index: int) -> int | float | None:
    """The step value at ``index``: an int when whole (``epoch: 3``), else the float (``0.5``)."""
    if key not in numeric:
        return None
    value = float(table.column(key)[index])
    if not np.isfinite(value):
        return None
    return int(value) if value.is_integer() else value
