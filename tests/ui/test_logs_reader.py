import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kusari_ui.logs.reader as reader_module
from kusari_ui.logs import LogReader, LogTable

ENTRIES = [
    {"main/loss": 2.5, "main/accuracy": 0.125, "lr": 0.01, "epoch": 1, "iteration": 100},
    {"main/loss": 1.75, "main/accuracy": 0.5, "lr": 0.01, "epoch": 2, "iteration": 200},
    {
        "main/loss": 1.25,
        "main/accuracy": 0.625,
        "lr": 0.005,
        "epoch": 3,
        "iteration": 300,
        "validation/main/loss": 1.5,
    },
    {"main/loss": 1.0, "main/accuracy": 0.75, "lr": 0.005, "epoch": 4, "iteration": 400},
    {"main/loss": 0.5, "main/accuracy": 0.875, "lr": 0.001, "epoch": 5, "iteration": 500},
]

# How training scripts have written logs: Kusari's and Chainer's LogReport (indent=4), other
# indentations, compact json.dumps, a UTF-8 byte order mark.
FORMATS = {
    "indent4": lambda entries: json.dumps(entries, indent=4),
    "indent2": lambda entries: json.dumps(entries, indent=2),
    "tabs": lambda entries: json.dumps(entries, indent="\t"),
    "compact": lambda entries: json.dumps(entries),
    "tight": lambda entries: json.dumps(entries, separators=(",", ":")),
    "crlf": lambda entries: json.dumps(entries, indent=4).replace("\n", "\r\n"),
    "bom": lambda entries: "\ufeff" + json.dumps(entries, indent=4),
}


def write_atomically(path: Path, text: str | bytes) -> None:
    """Replace the file whole, as LogReport does (temporary file, then os.replace)."""
    tmp = path.with_name(f".tmp_{path.name}")
    if isinstance(text, str):
        text = text.encode("utf-8")
    tmp.write_bytes(text)
    os.replace(tmp, path)


def write_log(path: Path, entries: list, fmt: str = "indent4") -> None:
    write_atomically(path, FORMATS[fmt](entries))


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def assert_table_matches(table: LogTable, entries: list) -> None:
    """Compare a table with the columns built from the entries by a plain Python loop."""
    objects = [entry for entry in entries if isinstance(entry, dict)]
    keys = list(dict.fromkeys(key for entry in objects for key in entry))
    assert table.n_entries == len(objects)
    assert table.keys == keys
    assert table.numeric_keys() == [
        key for key in keys if any(is_number(entry.get(key)) for entry in objects if key in entry)
    ]
    for key in keys:
        expected = [
            float(entry[key]) if key in entry and is_number(entry[key]) else math.nan
            for entry in objects
        ]
        np.testing.assert_array_equal(table.column(key), np.array(expected, dtype=np.float64))
        last = [entry[key] for entry in objects if key in entry][-1]
        actual = table.last_value(key)
        if isinstance(last, float) and math.isnan(last):
            assert isinstance(actual, float) and math.isnan(actual)
        else:
            assert actual == last and type(actual) is type(last)


@pytest.fixture
def appended(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record how many entries each LogTable.append call receives."""
    counts = []
    original = LogTable.append

    def counting_append(self: LogTable, entries: list) -> int:
        entries = list(entries)
        counts.append(len(entries))
        return original(self, entries)

    monkeypatch.setattr(LogTable, "append", counting_append)
    return counts


def test_missing_file_gives_empty_table(tmp_path):
    reader = LogReader(tmp_path / "log")
    assert reader.update() is False
    assert reader.table.n_entries == 0
    assert reader.table.keys == []
    assert reader.path == str(tmp_path / "log")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "hello",
        '{"main/loss": 1.0}',
        "[1, 2, 3]",
        '["a", null, true, [1, 2]]',
        "[]",
        "[,]",
        "]",
        "\x00\x01\x02",
        "NaN",
    ],
)
def test_file_that_is_not_an_array_of_objects_gives_empty_table(tmp_path, text):
    path = tmp_path / "log"
    write_atomically(path, text)
    reader = LogReader(path)
    assert reader.update() is False
    assert reader.table.n_entries == 0
    assert reader.update() is False


def test_folder_named_log_is_like_a_missing_file(tmp_path):
    (tmp_path / "log").mkdir()
    reader = LogReader(tmp_path / "log")
    assert reader.update() is False
    assert reader.table.n_entries == 0


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_reads_each_format_whole_and_growing(tmp_path, fmt):
    path = tmp_path / "log"
    whole = LogReader(path)
    write_log(path, ENTRIES, fmt)
    assert whole.update() is True
    assert_table_matches(whole.table, ENTRIES)

    growing = LogReader(path)
    for n in range(1, len(ENTRIES) + 1):
        write_log(path, ENTRIES[:n], fmt)
        assert growing.update() is True
        assert_table_matches(growing.table, ENTRIES[:n])
        assert growing.update() is False


def test_growth_parses_only_the_new_entries(tmp_path, appended):
    path = tmp_path / "log"
    reader = LogReader(path)
    write_log(path, ENTRIES[:2])
    assert reader.update() is True
    assert appended == [2]
    table = reader.table
    offset = reader._offset

    write_log(path, ENTRIES[:5])
    assert reader.update() is True
    assert appended == [2, 3]  # the 3 new entries only
    assert reader.table is table  # the same table, grown
    assert reader._offset > offset
    assert_table_matches(reader.table, ENTRIES)

    assert reader.update() is False  # nothing new: nothing parsed
    assert appended == [2, 3]


def test_growth_by_one_entry_reads_only_the_bytes_after_the_offset(tmp_path, monkeypatch):
    path = tmp_path / "log"
    entries = [{"epoch": i, "main/loss": 1.0 / (i + 1)} for i in range(2000)]
    write_log(path, entries)
    reader = LogReader(path)
    reader.update()
    decoded = []
    original = reader_module._decode_values

    def recording_decode(data: bytes, pos: int) -> tuple[list, int]:
        decoded.append(len(data) - pos)
        return original(data, pos)

    monkeypatch.setattr(reader_module, "_decode_values", recording_decode)
    write_log(path, [*entries, {"epoch": 2000, "main/loss": 0.0}])
    assert reader.update() is True
    assert reader.table.n_entries == 2001
    assert reader.table.column("main/loss")[-1] == 0.0
    assert len(decoded) == 1 and decoded[0] < 100  # the new entry and the closing bracket


def test_truncation_reads_again_from_scratch(tmp_path):
    path = tmp_path / "log"
    reader = LogReader(path)
    write_log(path, ENTRIES)
    reader.update()
    write_log(path, ENTRIES[:2])
    assert reader.update() is True
    assert_table_matches(reader.table, ENTRIES[:2])
    write_atomically(path, "")
    assert reader.update() is True
    assert reader.table.n_entries == 0
    write_log(path, ENTRIES[:1])
    assert reader.update() is True
    assert_table_matches(reader.table, ENTRIES[:1])


@pytest.mark.parametrize("changed", [0, 2, 4])
def test_rewrite_with_other_content_of_equal_size_is_detected(tmp_path, changed):
    path = tmp_path / "log"
    reader = LogReader(path)
    write_log(path, ENTRIES)
    reader.update()
    other = [dict(entry) for entry in ENTRIES]
    text = repr(other[changed]["main/loss"])
    other[changed]["main/loss"] = float(text[:-1] + ("9" if text[-1] != "9" else "8"))
    before = path.stat().st_size
    write_log(path, other)
    assert path.stat().st_size == before
    assert reader.update() is True
    assert_table_matches(reader.table, other)


def test_rewrite_with_a_smaller_file_of_other_content(tmp_path):
    path = tmp_path / "log"
    reader = LogReader(path)
    write_log(path, ENTRIES)
    reader.update()
    other = [{"main/loss": 0.25, "epoch": 1}]
    write_log(path, other)
    assert reader.update() is True
    assert_table_matches(reader.table, other)


def test_run_resumed_from_an_older_snapshot_is_read_again(tmp_path):
    # The resumed run restores the log of its snapshot (3 entries), then appends entries that
    # differ from the lost ones (other elapsed times), ending up longer than before.
    path = tmp_path / "log"
    first_run = [{"epoch": i, "elapsed_time": 10.0 * i} for i in range(1, 6)]
    resumed = first_run[:3] + [{"epoch": i, "elapsed_time": 100.0 + i} for i in range(4, 8)]
    reader = LogReader(path)
    write_log(path, first_run)
    reader.update()
    write_log(path, resumed)
    assert reader.update() is True
    assert_table_matches(reader.table, resumed)


def test_rewrite_missed_by_the_fingerprint_is_caught_by_the_continuation(tmp_path, monkeypatch):
    monkeypatch.setattr(reader_module, "_fingerprint", lambda file, end: b"")
    path = tmp_path / "log"
    reader = LogReader(path)
    write_log(path, ENTRIES[:2])
    reader.update()
    other = [{"note": "x" * 500, "epoch": 7}, {"epoch": 8}]
    write_log(path, other)
    assert reader.update() is True
    assert_table_matches(reader.table, other)


def test_half_written_last_entry_is_read_when_complete(tmp_path, appended):
    path = tmp_path / "log"
    text = json.dumps(ENTRIES[:3], indent=4)
    reader = LogReader(path)
    write_atomically(path, text[: text.rindex('"main/accuracy"')])
    assert reader.update() is True
    assert_table_matches(reader.table, ENTRIES[:2])
    assert reader.update() is False
    write_atomically(path, text)
    assert reader.update() is True
    assert_table_matches(reader.table, ENTRIES[:3])
    assert appended == [2, 1]


@pytest.mark.parametrize("fmt", ["indent4", "compact"])
def test_every_cut_of_the_file_reads_the_complete_entries_then_the_rest(tmp_path, fmt):
    # Entries with braces, brackets and quotes inside strings and nested objects, so that
    # cuts fall inside every kind of token.
    entries = [
        {"epoch": 1, "main/loss": 0.5, "note": 'a "}" and a "]"'},
        {"epoch": 2, "nested": {"a": {"b": [1, 2]}}, "main/loss": -1.5e-7},
        {"epoch": 3, "main/loss": 12345678901234567890, "flag": True},
    ]
    text = FORMATS[fmt](entries)
    # End of each entry in the text, found by decoding the array item by item.
    decoder = json.JSONDecoder()
    ends, index = [], text.index("{")
    for _ in entries:
        _, end = decoder.raw_decode(text, index)
        ends.append(end)
        index = text.find("{", end)
    path = tmp_path / "log"
    for cut in range(len(text) + 1):
        write_atomically(path, text[:cut])
        reader = LogReader(path)
        reader.update()
        n_complete = sum(end <= cut for end in ends)
        assert_table_matches(reader.table, entries[:n_complete])
        write_atomically(path, text)
        reader.update()
        assert_table_matches(reader.table, entries)


def test_nan_and_infinity_tokens(tmp_path):
    path = tmp_path / "log"
    write_atomically(
        path,
        '[{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1e999},\n'
        ' {"a": 1.5, "b": -0.0, "c": 2, "d": -1e999}]',
    )
    reader = LogReader(path)
    reader.update()
    table = reader.table
    np.testing.assert_array_equal(table.column("a"), [np.nan, 1.5])
    np.testing.assert_array_equal(table.column("b"), [np.inf, 0.0])
    np.testing.assert_array_equal(table.column("c"), [-np.inf, 2.0])
    np.testing.assert_array_equal(table.column("d"), [np.inf, -np.inf])
    assert table.numeric_keys() == ["a", "b", "c", "d"]
    write_atomically(path, '[{"a": NaN, "b": Infinity}, {"a": NaN}]')
    reader.update()
    assert math.isnan(reader.table.last_value("a"))
    assert reader.table.numeric_keys() == ["a", "b"]


def test_non_numeric_values(tmp_path):
    entries = [
        {"s": "text", "l": [1, 2], "b": True, "n": None, "o": {"x": 1}, "mixed": 1},
        {"s": "more", "l": [], "b": False, "n": None, "o": {}, "mixed": "two"},
        {"mixed": None, "big": 10**400, "small": -(10**400)},
    ]
    path = tmp_path / "log"
    write_log(path, entries)
    reader = LogReader(path)
    reader.update()
    table = reader.table
    assert table.keys == ["s", "l", "b", "n", "o", "mixed", "big", "small"]
    assert table.numeric_keys() == ["mixed", "big", "small"]
    for key in ("s", "l", "b", "n", "o"):
        assert np.isnan(table.column(key)).all()
    np.testing.assert_array_equal(table.column("mixed"), [1.0, np.nan, np.nan])
    np.testing.assert_array_equal(table.column("big"), [np.nan, np.nan, np.inf])
    np.testing.assert_array_equal(table.column("small"), [np.nan, np.nan, -np.inf])
    assert table.last_value("s") == "more"
    assert table.last_value("l") == []
    assert table.last_value("b") is False
    assert table.last_value("o") == {}
    assert table.last_value("mixed") is None
    assert table.last_value("unknown") is None


def test_items_that_are_not_objects_are_skipped(tmp_path):
    path = tmp_path / "log"
    write_atomically(path, '[1, {"a": 1}, "x", [2, {"a": 5}], null, true, {"a": 2}, 3.5]')
    reader = LogReader(path)
    assert reader.update() is True
    assert_table_matches(reader.table, [{"a": 1}, {"a": 2}])


def test_numbers_across_decoding_windows_are_not_split(tmp_path, monkeypatch):
    # With tiny chunks, the one-by-one decoder sees windows of 32 bytes that cut numbers.
    monkeypatch.setattr(reader_module, "_CHUNK_BYTES", 16)
    numbers = [1, 123456789012345678901234567890, 2, -1.2345678901234567e-100, 3, 0.1]
    entries = [{"a": 1}, *(numbers * 5), {"a": 2}]
    path = tmp_path / "log"
    write_log(path, entries, "compact")
    reader = LogReader(path)
    reader.update()
    assert_table_matches(reader.table, [{"a": 1}, {"a": 2}])


def test_damage_after_complete_entries_keeps_them(tmp_path):
    path = tmp_path / "log"
    text = json.dumps(ENTRIES[:2], indent=4)
    write_atomically(path, text[:-2] + ", garbage, " + json.dumps(ENTRIES[2]) + "]")
    reader = LogReader(path)
    assert reader.update() is True
    assert_table_matches(reader.table, ENTRIES[:2])
    assert reader.update() is False
    write_log(path, ENTRIES)  # repaired
    assert reader.update() is True
    assert_table_matches(reader.table, ENTRIES)


def test_file_that_vanishes_and_comes_back(tmp_path, appended):
    path = tmp_path / "log"
    reader = LogReader(path)
    write_log(path, ENTRIES[:3])
    reader.update()
    path.unlink()
    assert reader.update() is False
    assert_table_matches(reader.table, ENTRIES[:3])  # kept while the file is gone
    write_log(path, ENTRIES[:4])  # back, grown
    assert reader.update() is True
    assert_table_matches(reader.table, ENTRIES[:4])
    assert appended == [3, 1]
    path.unlink()
    other = [{"epoch": 1, "main/loss": 3.0}]
    write_log(path, other)  # back, with other content
    assert reader.update() is True
    assert_table_matches(reader.table, other)


def test_non_ascii_keys_and_values_keep_byte_offsets_right(tmp_path):
    entries = [{"épreuve/損失": 0.5, "note": "naïve ☃"}, {"épreuve/損失": 0.25, "note": "€"}]
    more = [*entries, {"épreuve/損失": 0.125, "note": "ü"}]
    path = tmp_path / "log"
    reader = LogReader(path)
    write_atomically(path, json.dumps(entries, indent=4, ensure_ascii=False))
    reader.update()
    assert_table_matches(reader.table, entries)
    write_atomically(path, json.dumps(more, indent=4, ensure_ascii=False))
    assert reader.update() is True
    assert_table_matches(reader.table, more)


def test_invalid_utf8_in_a_string_does_not_stop_the_reader(tmp_path):
    path = tmp_path / "log"
    write_atomically(path, b'[{"a": 1, "s": "\xff\xfe"}, {"a": 2}]')
    reader = LogReader(path)
    reader.update()
    np.testing.assert_array_equal(reader.table.column("a"), [1.0, 2.0])


def test_deep_nesting_does_not_raise(tmp_path):
    path = tmp_path / "log"
    write_atomically(path, '[{"a": 1}, {"deep": ' + "[" * 100_000 + "]" * 100_000 + "}]")
    reader = LogReader(path)
    reader.update()
    assert_table_matches(reader.table, [{"a": 1}])


def test_update_replaces_the_table_only_on_a_rewrite(tmp_path):
    path = tmp_path / "log"
    reader = LogReader(path)
    write_log(path, ENTRIES[:2])
    reader.update()
    first = reader.table
    write_log(path, ENTRIES[:3])
    reader.update()
    assert reader.table is first
    write_log(path, ENTRIES[:1])
    reader.update()
    assert reader.table is not first
    assert first.n_entries == 3  # the old table is left as it was


values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.text(alphabet='ab"{}[],:\\ é\n', max_size=6),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["x", "}"]), st.integers(), max_size=2),
)
entry_lists = st.lists(
    st.one_of(
        st.dictionaries(st.sampled_from(["a", "b", "c/d", "e}", 'f"']), values, max_size=4),
        st.integers(),
    ),
    max_size=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    entries=entry_lists,
    split=st.integers(min_value=0, max_value=12),
    fmt=st.sampled_from(sorted(FORMATS)),
    chunk=st.sampled_from([16, 64, 1 << 22]),
)
def test_any_log_read_whole_or_in_two_steps_matches_the_reference(
    tmp_path, monkeypatch, entries, split, fmt, chunk
):
    # Small chunks make json.loads see many chunk boundaries and the one-by-one fallback.
    monkeypatch.setattr(reader_module, "_CHUNK_BYTES", chunk)
    path = tmp_path / "log"
    write_log(path, entries[:split], fmt)
    reader = LogReader(path)
    reader.update()
    assert_table_matches(reader.table, entries[:split])
    write_log(path, entries, fmt)
    reader.update()
    assert_table_matches(reader.table, entries)
