"""CSV export of several runs' logs."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from itertools import repeat

import numpy as np

from kusari_ui.logs.table import LogTable

_EXACT_INTEGERS = 2.0**53  # integral floats below this in magnitude are written as integers


def export_csv(rows: Iterable[tuple[str, LogTable]], keys: list[str], x_key: str) -> str:
    """Write runs × keys as CSV text.

    The header is ``result,<x_key>,<keys...>``; then, for each run in order, one line per
    entry whose x is finite, in entry order. A cell is empty where the entry lacks the key
    or its value is NaN or not a number; a table lacking ``x_key`` gives no lines. Numbers
    with an integral value below 2**53 in magnitude are written as integers (``12``), others
    with Python's shortest round-trip repr (``0.1``, ``1e-05``, ``1e+20``, ``inf``). The text
    is written by the :mod:`csv` module (quoting as needed, CRLF line ends as RFC 4180 says).

    Args:
        rows (Iterable[tuple[str, LogTable]]): ``(name, table)`` per run; the name fills
            the ``result`` column.
        keys (list[str]): The value columns, in order.
        x_key (str): The key of the x column, e.g. ``"epoch"``.

    Returns:
        str: The CSV text.

    Raises:
        TypeError: If ``x_key`` or an element of ``keys`` or a run name is not a str, or a
            table is not a :class:`LogTable`.
    """
    if not isinstance(x_key, str):
        raise TypeError(f"export_csv: x_key of type str expected ({type(x_key).__name__})")
    keys = list(keys)
    for key in keys:
        if not isinstance(key, str):
            raise TypeError(f"export_csv: keys of type str expected ({type(key).__name__})")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["result", x_key, *keys])
    for name, table in rows:
        if not isinstance(name, str) or not isinstance(table, LogTable):
            raise TypeError(
                f"export_csv: rows of (str, LogTable) expected "
                f"(({type(name).__name__}, {type(table).__name__}))"
            )
        known = set(table.keys)
        if x_key not in known:
            continue
        x = table.column(x_key)
        lines = np.flatnonzero(np.isfinite(x))
        cells = [
            _cells(table.column(key)[lines]) if key in known else repeat("", lines.size)
            for key in keys
        ]
        writer.writerows(zip(repeat(name), _cells(x[lines]), *cells))
    return out.getvalue()


def _cells(values: np.ndarray) -> list[str]:
    cells = np.full(values.size, "", dtype=object)
    integral = (np.trunc(values) == values) & (np.abs(values) < _EXACT_INTEGERS)
    cells[integral] = list(map(str, values[integral].astype(np.int64).tolist()))
    other = ~integral & ~np.isnan(values)
    cells[other] = list(map(repr, values[other].tolist()))
    return cells.tolist()
