"""kusari_ui.protocol: the command, response and heartbeat files (no Kusari involved)."""

import json
import os

import pytest

from kusari_ui import _atomic, protocol


def _commands_dir(tmp_path):
    return tmp_path / "kusari_ui" / "commands"


def _leftovers(directory):
    return [name for name in os.listdir(directory) if name.startswith(".")]


def test_protocol_imports_neither_kusari_nor_flask(top_level_modules_after_import):
    loaded = top_level_modules_after_import("kusari_ui.protocol")
    assert "kusari_ui" in loaded
    assert loaded.isdisjoint({"kusari", "flask", "sqlalchemy", "numpy"})


def test_new_command_writes_one_file_and_returns_the_command(tmp_path):
    command = protocol.new_command(
        tmp_path, "adjust_hyperparams", {"hyperparams": {"lr": 0.01}}, {"key": "epoch", "value": 3}
    )
    assert command["name"] == "adjust_hyperparams"
    assert command["body"] == {"optimizer": "main", "hyperparams": {"lr": 0.01}}
    assert command["schedule"] == {"key": "epoch", "value": 3}
    assert command["response"] is None
    stamp, _, random_part = command["id"].partition("-")
    assert len(stamp) == 20 and stamp.isdigit() and len(random_part) == 32
    assert os.listdir(_commands_dir(tmp_path)) == [command["id"] + ".json"]
    with open(_commands_dir(tmp_path) / (command["id"] + ".json")) as f:
        on_disk = json.load(f)
    keys = ("id", "name", "body", "schedule", "created_at")
    assert on_disk == {key: command[key] for key in keys}


def test_new_command_needs_an_existing_result_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="new_command"):
        protocol.new_command(tmp_path / "missing", "stop")
    assert not (tmp_path / "missing").exists()


def test_list_commands_is_oldest_first_with_responses_merged(tmp_path):
    first = protocol.new_command(tmp_path, "take_snapshot")
    second = protocol.new_command(tmp_path, "stop", schedule={"key": "iteration", "value": 10})
    third = protocol.new_command(tmp_path, "take_snapshot", {"filename": "snap_{.updater.epoch}"})
    protocol.write_response(
        tmp_path, first["id"], "applied", epoch=1, iteration=7, result={"filename": "s"}, now=5.0
    )
    protocol.write_response(tmp_path, second["id"], "scheduled", epoch=1, iteration=7, now=6.0)
    commands = protocol.list_commands(tmp_path)
    assert [c["id"] for c in commands] == [first["id"], second["id"], third["id"]]
    assert commands[0]["response"] == {
        "status": "applied",
        "epoch": 1,
        "iteration": 7,
        "time": 5.0,
        "result": {"filename": "s"},
        "error": None,
    }
    assert commands[1]["response"]["status"] == "scheduled"
    assert commands[1]["response"]["result"] is None
    assert commands[2]["response"] is None
    assert commands[2]["body"] == {"filename": "snap_{.updater.epoch}"}

    # scheduled -> applied: the response file is rewritten
    protocol.write_response(tmp_path, second["id"], "applied", epoch=2, iteration=10, result={})
    assert protocol.read_command(tmp_path, second["id"])["response"]["status"] == "applied"
    assert _leftovers(_commands_dir(tmp_path)) == []


def test_list_commands_of_a_folder_without_commands(tmp_path):
    assert protocol.list_commands(tmp_path) == []
    assert protocol.list_commands(tmp_path / "missing") == []
    assert protocol.scan_commands(tmp_path) == ([], set())


def test_readers_skip_damaged_and_foreign_files(tmp_path):
    good = protocol.new_command(tmp_path, "stop")
    directory = _commands_dir(tmp_path)
    (directory / "00000000000000000001-half.json").write_text('{"id": "00000000000000000001-ha')
    (directory / "00000000000000000002-list.json").write_text("[1, 2]")
    (directory / "00000000000000000003-nan.json").write_text(
        '{"name": "stop", "body": {}, "schedule": null, "created_at": NaN}'
    )
    (directory / "00000000000000000004-noname.json").write_text('{"created_at": 1.0}')
    (directory / "00000000000000000005-other.json").write_text(
        '{"id": "someone-else", "name": "stop", "created_at": 1.0}'
    )
    (directory / "00000000000000000006-latin1.json").write_bytes(b'{"name": "\xff"}')
    (directory / ".00000000000000000007-x.json.tmp").write_text("{")
    (directory / "notes.txt").write_text("not a command")
    (directory / "subfolder.json").mkdir()
    # a response without its command, and a damaged response of a good command
    (directory / "00000000000000000008-lost.response.json").write_text("{}")
    (directory / (good["id"] + ".response.json")).write_text('{"status": "applied"')

    commands = protocol.list_commands(tmp_path)
    assert [c["id"] for c in commands] == [good["id"]]
    assert commands[0]["response"] is None


def test_read_command_and_response_refuse_path_like_ids(tmp_path):
    for bad in ("../x", ".hidden", "a/b", "x.response", ""):
        with pytest.raises(ValueError, match="command id"):
            protocol.read_command(tmp_path, bad)
        with pytest.raises(ValueError, match="command id"):
            protocol.write_response(tmp_path, bad, "applied", epoch=0, iteration=0, result={})


def test_write_response_checks_status_result_and_error(tmp_path):
    command = protocol.new_command(tmp_path, "stop")
    kwargs = {"epoch": 0, "iteration": 0}
    with pytest.raises(ValueError, match="status must be one of"):
        protocol.write_response(tmp_path, command["id"], "done", **kwargs)
    with pytest.raises(ValueError, match="needs an error"):
        protocol.write_response(tmp_path, command["id"], "failed", **kwargs)
    with pytest.raises(ValueError, match="only a failed response has an error"):
        protocol.write_response(tmp_path, command["id"], "applied", error="x", **kwargs)
    with pytest.raises(ValueError, match="only an applied response has a result"):
        protocol.write_response(tmp_path, command["id"], "scheduled", result={}, **kwargs)
    assert protocol.read_response(tmp_path, command["id"]) is None

    response = protocol.write_response(
        tmp_path,
        command["id"],
        "applied",
        result={"lr": {"old": float("nan"), "new": float("inf"), "other": -float("inf")}},
        **kwargs,
    )
    assert response["result"] == {"lr": {"old": "NaN", "new": "Infinity", "other": "-Infinity"}}
    assert protocol.read_response(tmp_path, command["id"]) == response


GOOD = [
    ("take_snapshot", None, None, {}, None),
    ("take_snapshot", {"filename": "snap_{.updater.iteration}"}, None, None, None),
    ("stop", {}, {"key": "epoch", "value": 0}, {}, {"key": "epoch", "value": 0}),
    (
        "adjust_hyperparams",
        {"hyperparams": {"lr": 0.5, "amsgrad": True, "eps": 1}},
        {"key": "iteration", "value": 100},
        {"optimizer": "main", "hyperparams": {"lr": 0.5, "amsgrad": True, "eps": 1}},
        {"key": "iteration", "value": 100},
    ),
    (
        "adjust_hyperparams",
        {"optimizer": "gen", "hyperparams": {"alpha": 1e-4}},
        None,
        {"optimizer": "gen", "hyperparams": {"alpha": 1e-4}},
        None,
    ),
]


@pytest.mark.parametrize(("name", "body", "schedule", "want_body", "want_schedule"), GOOD)
def test_validate_command_accepts_and_normalizes(name, body, schedule, want_body, want_schedule):
    got_body, got_schedule = protocol.validate_command(name, body, schedule)
    assert got_body == (body if want_body is None else want_body)
    assert got_schedule == want_schedule


BAD = [
    ("explode", None, None, "name must be one of"),
    (None, None, None, "name must be one of"),
    ("stop", [], None, "must be an object or null, got array"),
    ("stop", {"now": True}, None, "unknown key"),
    ("take_snapshot", {"path": "x"}, None, "unknown key"),
    ("take_snapshot", {"filename": ""}, None, "non-empty string"),
    ("adjust_hyperparams", {"hyperparams": {"lr": 10**400}}, None, "finite number"),
    ("take_snapshot", {"filename": 3}, None, "non-empty string"),
    ("take_snapshot", {"filename": "../evil"}, None, "plain file name"),
    ("take_snapshot", {"filename": "/abs"}, None, "plain file name"),
    ("take_snapshot", {"filename": ".hidden"}, None, "plain file name"),
    ("take_snapshot", {"filename": "a\\b"}, None, "plain file name"),
    ("take_snapshot", {"filename": "log"}, None, "overwrite"),
    ("take_snapshot", {"filename": "kusari_ui"}, None, "overwrite"),
    ("take_snapshot", {"filename": "x" * 256}, None, "at most 255"),
    ("take_snapshot", {"filename": "snap_{.updater"}, None, "not a format string"),
    ("take_snapshot", {"filename": "snap_{name}"}, None, "attribute of the trainer"),
    ("take_snapshot", {"filename": "s{.__class__}"}, None, "attribute of the trainer"),
    ("adjust_hyperparams", {}, None, "needs 'hyperparams'"),
    ("adjust_hyperparams", {"hyperparams": {}}, None, "needs 'hyperparams'"),
    ("adjust_hyperparams", {"hyperparams": [1]}, None, "needs 'hyperparams'"),
    ("adjust_hyperparams", {"hyperparams": {"lr": "0.1"}}, None, "finite number or a boolean"),
    ("adjust_hyperparams", {"hyperparams": {"lr": None}}, None, "finite number or a boolean"),
    ("adjust_hyperparams", {"hyperparams": {"lr": float("nan")}}, None, "finite number"),
    ("adjust_hyperparams", {"hyperparams": {"lr": float("inf")}}, None, "finite number"),
    ("adjust_hyperparams", {"hyperparams": {"l r": 1}}, None, "identifier"),
    ("adjust_hyperparams", {"hyperparams": {"lr": 1}, "x": 1}, None, "unknown key"),
    ("adjust_hyperparams", {"optimizer": "", "hyperparams": {"lr": 1}}, None, "non-empty string"),
    ("adjust_hyperparams", {"optimizer": 3, "hyperparams": {"lr": 1}}, None, "non-empty string"),
    ("stop", None, [], "schedule must be an object or null"),
    ("stop", None, {"key": "step", "value": 1}, "key must be one of epoch, iteration"),
    ("stop", None, {"key": "epoch", "value": -1}, "integer >= 0"),
    ("stop", None, {"key": "epoch", "value": 1.0}, "integer >= 0"),
    ("stop", None, {"key": "epoch", "value": True}, "integer >= 0"),
    ("stop", None, {"key": "epoch"}, "integer >= 0"),
    ("stop", None, {"key": "epoch", "value": 1, "when": 2}, "unknown key"),
]


@pytest.mark.parametrize(("name", "body", "schedule", "message"), BAD)
def test_validate_command_refuses_with_a_clear_message(tmp_path, name, body, schedule, message):
    with pytest.raises(ValueError, match="validate_command") as info:
        protocol.validate_command(name, body, schedule)
    assert message in str(info.value)
    with pytest.raises(ValueError, match="validate_command"):
        protocol.new_command(tmp_path, name, body, schedule)
    assert protocol.list_commands(tmp_path) == []


def test_heartbeat_round_trip_and_damage(tmp_path):
    assert protocol.read_heartbeat(tmp_path) is None
    written = protocol.write_heartbeat(
        tmp_path, "running", started_at=10.0, interval=5.0, epoch=2, iteration=30, now=20.0
    )
    assert protocol.read_heartbeat(tmp_path) == written
    assert written["format"] == 1 and written["pid"] == os.getpid()
    assert written["updated_at"] == 20.0 and written["error"] is None
    with pytest.raises(ValueError, match="state must be one of"):
        protocol.write_heartbeat(tmp_path, "paused", started_at=0, interval=5, epoch=0, iteration=0)

    path = tmp_path / "kusari_ui" / "status.json"
    for damaged in ('{"state": "running"', "[]", '{"state": "sleeping", "updated_at": 1}',
                    '{"state": "running", "updated_at": "now"}',
                    '{"state": "running", "updated_at": NaN}'):
        path.write_text(damaged)
        assert protocol.read_heartbeat(tmp_path) is None, damaged


def _beat(state, updated_at, interval=5.0):
    return {"state": state, "updated_at": updated_at, "interval": interval}


@pytest.mark.parametrize(
    ("heartbeat", "log_mtime", "expected"),
    [
        (_beat("finished", 0.0), None, "finished"),
        (_beat("crashed", 0.0), 999.0, "crashed"),
        (_beat("interrupted", 0.0), 999.0, "crashed"),
        (_beat("running", 970.0), None, "running"),  # 30 s old: max(15, 30) allows it
        (_beat("running", 969.0), 999.0, "stale"),
        (_beat("running", 881.0, interval=40.0), None, "running"),  # within 3 * 40 s
        (_beat("running", 879.0, interval=40.0), None, "stale"),
        (_beat("running", 990.0, interval="x"), None, "running"),
        ({"state": "running"}, 999.0, "running"),  # unusable: falls back on the log
        (None, 400.0, "running"),  # log 600 s old
        (None, 399.0, "unknown"),
        (None, None, "unknown"),
    ],
)
def test_run_status(heartbeat, log_mtime, expected):
    assert protocol.run_status(heartbeat, log_mtime, now=1000.0) == expected


def test_atomic_writes_leave_the_old_file_when_encoding_fails(tmp_path):
    path = tmp_path / "x.json"
    _atomic.write_json_atomically(path, {"a": 1})
    with pytest.raises(ValueError):
        _atomic.write_json_atomically(path, {"a": float("nan")})
    with pytest.raises(TypeError):
        _atomic.write_json_atomically(path, {"a": object()})
    with pytest.raises(TypeError, match="write_bytes_atomically"):
        _atomic.write_bytes_atomically(path, "text")
    assert json.loads(path.read_text()) == {"a": 1}
    assert os.listdir(tmp_path) == ["x.json"]
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o644)


def test_atomic_write_into_a_missing_folder_raises_and_leaves_nothing(tmp_path):
    with pytest.raises(OSError):
        _atomic.write_bytes_atomically(tmp_path / "missing" / "x", b"1")
    assert os.listdir(tmp_path) == []
