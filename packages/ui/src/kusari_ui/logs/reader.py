"""Incremental reader of a ``log`` file (one JSON array of objects, see docs/result-format.md)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import BinaryIO

from kusari_ui.logs.table import LogTable

# Text parsed per json.loads call: large enough that the per-call overhead vanishes, small
# enough that the objects decoded from one chunk (about 20,000 entries) are freed early.
_CHUNK_BYTES = 1 << 22
# The fingerprint of the bytes already parsed: the first and the last block before the stored
# offset and evenly spaced blocks between them (about 72 KiB read per update).
_FINGERPRINT_BLOCK = 4096
_FINGERPRINT_SAMPLES = 16
_BOM = b"\xef\xbb\xbf"
_WHITESPACE_BYTES = re.compile(rb"[ \t\n\r]*")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER_ENDS = frozenset(" \t\n\r,]}")
_DECODER = json.JSONDecoder()

_START = "start"  # nothing parsed yet: the next token must be "["
_OPEN = "open"  # "[" parsed: the next token is a value or "]"
_VALUE = "value"  # a value parsed: the next token is "," or "]"


class LogReader:
    """Reads one ``log`` file incrementally into a :class:`LogTable`.

    A training writes its log as one JSON array and rewrites the whole file each time it adds
    an entry. The reader remembers how many bytes it has parsed (up to the end of the last
    complete entry) and a fingerprint of those bytes (a hash of sampled 4 KiB blocks: the first,
    the last and 16 evenly spaced ones). On :meth:`update` it checks the size and the
    fingerprint; when both still match, only the bytes after that offset are read and parsed,
    so adding one entry to a log of a million entries costs about a millisecond, not a full
    parse. When the file shrank below the offset or the fingerprint changed (a truncation, a
    rewrite with other content, a run resumed from an older snapshot), or the bytes after the
    offset do not continue the array, the table is read again from scratch. (A rewrite that
    keeps the size and changes only bytes outside the sampled blocks goes unnoticed.)

    Robustness: a missing or unreadable file leaves the table as it is; a half-written last
    entry is left for the next update; ``NaN``, ``Infinity`` and ``-Infinity`` tokens are read
    as floats; values that are not numbers become NaN in the columns (their raw last value is
    kept); array items that are not objects are skipped; a file that is not a JSON array gives
    an empty table. Logs written by Chainer (any indentation, or compact ``json.dumps``) read
    the same way.

    Speed: whole chunks of complete entries (up to 4 MiB of text each) are decoded by the C
    ``json`` parser in one ``json.loads`` call and turned into columns with NumPy; only a
    damaged or unfinished stretch is decoded value by value with ``JSONDecoder.raw_decode``.

    The reader is not thread-safe: serialize :meth:`update` and reads of :attr:`table` on one
    reader (e.g. with a lock per reader).

    Args:
        path (str or os.PathLike): Path of the log file. It need not exist yet.

    Attributes:
        table (LogTable): The entries read so far. :meth:`update` replaces it by a new table
            when the file was rewritten, so fetch ``reader.table`` after each update rather
            than keeping a reference.

    Example:
        >>> reader = LogReader("result/log")
        >>> if reader.update():
        ...     loss = reader.table.column("main/loss")
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self._path = os.fspath(path)
        self._start_over()

    @property
    def path(self) -> str:
        """str: Path of the log file."""
        return self._path

    def update(self) -> bool:
        """Read what is new in the file since the previous call.

        Returns:
            bool: True when the table changed (entries were added, or the file was rewritten
            and read again from scratch); False otherwise, including when the file is missing.
        """
        old_table = self.table
        n_before = old_table.n_entries
        try:
            with open(self._path, "rb") as file:
                self._update(file)
        except OSError:
            # Missing, vanished while reading, a folder, unreadable: try again next time.
            pass
        if self.table is not old_table:
            return bool(n_before or self.table.n_entries)
        return self.table.n_entries != n_before

    def _start_over(self) -> None:
        self.table = LogTable()
        self._offset = 0  # bytes of the file parsed: up to "[" or to the end of the last value
        self._state = _START
        self._digest = b""

    def _update(self, file: BinaryIO) -> None:
        size = os.fstat(file.fileno()).st_size
        if self._state != _START and (
            size < self._offset or _fingerprint(file, self._offset) != self._digest
        ):
            self._start_over()
        if not self._read(file):
            self._start_over()
            self._read(file)

    def _read(self, file: BinaryIO) -> bool:
        """Parse the file from the stored offset on; False if it does not continue what we had."""
        file.seek(self._offset)
        data = file.read()
        consistent = self._parse(data)
        self._digest = _fingerprint(file, self._offset)
        return consistent

    def _parse(self, data: bytes) -> bool:
        base = self._offset
        resumed = self._state == _VALUE
        pos = 0
        if self._state == _START:
            pos = _skip_whitespace(data, len(_BOM) if data.startswith(_BOM) else 0)
            if data[pos : pos + 1] != b"[":
                return True  # not (yet) a JSON array: an empty table
            pos += 1
            self._offset, self._state = base + pos, _OPEN
        while True:
            pos = _skip_whitespace(data, pos)
            token = data[pos : pos + 1]
            if not token or token == b"]":
                return True
            if self._state == _VALUE:
                if token != b",":
                    # Right after the stored offset, anything but "," or "]" means the file
                    # was rewritten although the fingerprint matched; later, it is damage.
                    return not resumed or self._offset != base
                pos = _skip_whitespace(data, pos + 1)
            values, end = _decode_values(data, pos)
            if end == pos:
                return True  # an unfinished (or damaged) value: retry on the next update
            self.table.append(values)
            pos = end
            self._offset, self._state = base + pos, _VALUE


def _skip_whitespace(data: bytes, pos: int) -> int:
    return _WHITESPACE_BYTES.match(data, pos).end()


def _fingerprint(file: BinaryIO, end: int) -> bytes:
    """Hash sampled blocks of the first ``end`` bytes of the file."""
    last = max(end - _FINGERPRINT_BLOCK, 0)
    n_gaps = _FINGERPRINT_SAMPLES + 1
    starts = {0, last, *(last * i // n_gaps for i in range(1, n_gaps))}
    digest = hashlib.blake2b(digest_size=16)
    for start in sorted(starts):
        file.seek(start)
        digest.update(file.read(min(_FINGERPRINT_BLOCK, end - start)))
    return digest.digest()


def _decode_values(data: bytes, pos: int) -> tuple[list, int]:
    """Decode the array items starting at ``data[pos]``; return them and where they end.

    Fast path: the text up to the last ``}`` within the next chunk, wrapped in brackets, goes
    to ``json.loads``. That text parses only if the ``}`` closes an item of the array: a ``}``
    inside a string or inside an item leaves that string or item open, which the one closing
    bracket added cannot close together with the wrapping array. So a successful parse gives
    exactly the complete items of that stretch. Otherwise (no such ``}``, damage, an unfinished
    last item, items that are not objects) the items are decoded one by one.
    """
    limit = pos + _CHUNK_BYTES
    cut = data.rfind(b"}", pos, limit) + 1
    if cut:
        try:
            return json.loads(b"".join((b"[", memoryview(data)[pos:cut], b"]"))), cut
        except (ValueError, RecursionError):
            pass
    span = 2 * _CHUNK_BYTES
    while True:
        text = data[pos : pos + span].decode("utf-8", "surrogateescape")
        values, n_chars = _raw_decode_values(text, limit - pos)
        if values or pos + span >= len(data):
            break
        span *= 4  # the first item is longer than the window
    if not text.isascii():
        n_chars = len(text[:n_chars].encode("utf-8", "surrogateescape"))
    return values, pos + n_chars


def _raw_decode_values(text: str, stop_after: int) -> tuple[list, int]:
    """Decode comma-separated items one by one, until ``stop_after`` characters or a failure."""
    values = []
    end = 0
    index = 0
    while True:
        try:
            value, value_end = _DECODER.raw_decode(text, index)
        except (ValueError, RecursionError):
            break
        if type(value) in (int, float) and text[value_end : value_end + 1] not in _NUMBER_ENDS:
            break  # a number cut short (e.g. "12" of "123"): its end is not in sight yet
        values.append(value)
        end = value_end
        index = _WHITESPACE.match(text, end).end()
        if end >= stop_after or text[index : index + 1] != ",":
            break
        index = _WHITESPACE.match(text, index + 1).end()
    return values, end
