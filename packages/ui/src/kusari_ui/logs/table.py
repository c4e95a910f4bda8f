"""Columnar store of a training log: one float64 column per key."""

from __future__ import annotations

import numbers
import struct
from collections.abc import Iterable
from itertools import chain, repeat

import numpy as np

# Marks "this entry lacks the key" in the per-key value lists: a NaN with a payload that no
# JSON text can produce (a ``NaN`` token gives the default quiet NaN), so that it survives the
# conversion to float64 and absent values are counted on the array, without a Python pass.
_ABSENT_BITS = 0x7FF8_0000_0BAD_F00D
_ABSENT = struct.unpack("<d", struct.pack("<Q", _ABSENT_BITS))[0]
_FAST_TYPES = frozenset({float, int})
_FAST_TYPES_WITH_NULL = frozenset({float, int, type(None)})
_MIN_CAPACITY = 1024


class LogTable:
    """Columnar log: one float64 column per key.

    Each column holds NaN where the entry lacks the key or where the value is not a number
    (strings, lists, objects, ``null``; a JSON ``true``/``false`` counts as not a number). NaN
    and infinities written as numbers stay NaN and ±inf. The raw last value of every key is kept
    as well, whatever its type.

    The table only grows: :meth:`append` adds entries; nothing is ever removed. It is not
    thread-safe: serialize :meth:`append` against readers.

    Example:
        >>> table = LogTable()
        >>> table.append([{"epoch": 1, "main/loss": 0.5}, {"epoch": 2, "note": "resumed"}])
        2
        >>> table.column("main/loss")
        array([0.5, nan])
        >>> table.numeric_keys(), table.last_value("note")
        (['epoch', 'main/loss'], 'resumed')
    """

    def __init__(self) -> None:
        self._n_entries = 0
        self._capacity = 0
        self._columns: dict[str, np.ndarray] = {}
        self._numeric: dict[str, bool] = {}
        self._last: dict[str, object] = {}

    @property
    def n_entries(self) -> int:
        """int: Number of entries (JSON objects) appended so far."""
        return self._n_entries

    @property
    def keys(self) -> list[str]:
        """list[str]: Every key seen, in first-seen order (a new list on each access)."""
        return list(self._columns)

    def column(self, key: str) -> np.ndarray:
        """Return the values of one key.

        Args:
            key (str): A key of :attr:`keys`.

        Returns:
            numpy.ndarray: Read-only float64 array of shape ``(n_entries,)``; NaN where the entry
            lacks the key or its value is not a number.

        Raises:
            KeyError: If the key was never seen.
        """
        try:
            buffer = self._columns[key]
        except KeyError:
            raise KeyError(
                f"LogTable.column: a key of the log ({', '.join(map(repr, self._columns))}) "
                f"expected ({key!r})"
            ) from None
        view = buffer[: self._n_entries]
        view.flags.writeable = False
        return view

    def numeric_keys(self) -> list[str]:
        """Return the keys with at least one numeric value (NaN and ±inf count), first-seen order.

        Returns:
            list[str]: The numeric keys.
        """
        return [key for key, numeric in self._numeric.items() if numeric]

    def last_value(self, key: str) -> object:
        """Return the last raw value of a key, whatever its type.

        Args:
            key (str): Any key.

        Returns:
            object: The value of the key in the last entry that has it (a float, int, str, bool,
            list, dict or None), or None when no entry has the key.
        """
        return self._last.get(key)

    def append(self, entries: Iterable[object]) -> int:
        """Append entries to the table.

        Items that are not dicts are skipped (a log may hold other JSON values by mistake).

        Args:
            entries (Iterable[object]): Decoded log entries, normally dicts mapping str keys to
                JSON values.

        Returns:
            int: Number of entries appended (the dicts among ``entries``).

        Raises:
            TypeError: If a dict has a key that is not a str.
        """
        entries = entries if type(entries) is list else list(entries)
        if set(map(type, entries)) - {dict}:
            entries = [entry for entry in entries if isinstance(entry, dict)]
        n_new = len(entries)
        if not n_new:
            return 0
        columns = {}
        n_pairs_found = 0
        for key in self._columns:
            columns[key] = _convert(list(map(dict.get, entries, repeat(key), repeat(_ABSENT))))
            n_pairs_found += columns[key][1]
        if n_pairs_found != sum(map(len, entries)):
            # Some entries hold keys not seen before: add them in first-seen order.
            for key in dict.fromkeys(chain.from_iterable(entries)):
                if key in self._columns:
                    continue
                if not isinstance(key, str):
                    raise TypeError(
                        f"LogTable.append: entry keys of type str expected "
                        f"({type(key).__name__} {key!r})"
                    )
                columns[key] = _convert(list(map(dict.get, entries, repeat(key), repeat(_ABSENT))))
        self._reserve(self._n_entries + n_new)
        start = self._n_entries
        for key, (column, n_present, n_numbers, last) in columns.items():
            if not n_present:
                continue
            if key not in self._columns:
                self._columns[key] = np.full(self._capacity, np.nan)
                self._numeric[key] = False
            self._columns[key][start : start + n_new] = column
            self._numeric[key] = self._numeric[key] or n_numbers > 0
            self._last[key] = last
        self._n_entries += n_new
        return n_new

    def _reserve(self, n_entries: int) -> None:
        if n_entries <= self._capacity:
            return
        capacity = max(n_entries, 2 * self._capacity, _MIN_CAPACITY)
        for key, buffer in self._columns.items():
            grown = np.full(capacity, np.nan)
            grown[: self._n_entries] = buffer[: self._n_entries]
            self._columns[key] = grown
        self._capacity = capacity


def _convert(values: list) -> tuple[np.ndarray, int, int, object]:
    """Convert one key's values (``_ABSENT`` where missing) to float64.

    Returns:
        tuple: The column, the number of entries holding the key, how many of those hold a
        number, and the last value present (None if none).
    """
    types = set(map(type, values))
    column = None
    if types <= _FAST_TYPES_WITH_NULL:
        try:
            if types <= _FAST_TYPES:
                column = np.fromiter(values, dtype=np.float64, count=len(values))
            else:
                column = np.array(values, dtype=np.float64)  # None -> NaN
        except OverflowError:  # an int beyond float64's range; the slow path makes it ±inf
            pass
    if column is None:
        column = np.fromiter(map(_as_float, values), dtype=np.float64, count=len(values))
    present = column.view(np.uint64) != _ABSENT_BITS
    n_present = int(np.count_nonzero(present))
    if not n_present:
        return column, 0, 0, None
    last = values[len(values) - 1 - int(np.argmax(present[::-1]))]
    if types <= _FAST_TYPES:
        n_numbers = n_present
    else:
        n_numbers = sum(1 for value in values if value is not _ABSENT and _is_number(value))
    return column, n_present, n_numbers, last


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _as_float(value: object) -> float:
    if not _is_number(value):
        return float("nan")
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")
