"""The files through which the dashboard steers a training run: commands, responses, heartbeat.

A run and the dashboard share only files in the run's result folder (``trainer.out``), under
``kusari_ui/`` (documented in ``docs/result-format.md``)::

    kusari_ui/status.json                    heartbeat; written only by the training side
    kusari_ui/commands/<id>.json             one command; written once by a client, never changed
    kusari_ui/commands/<id>.response.json    its response; written only by the training side

Every file is written atomically (:mod:`kusari_ui._atomic`), one file per command, so two
clients writing at once never touch the same file and a reader never sees half a file: no
command is lost or read twice. The training side
(:class:`kusari_ui.extensions.CommandsExtension`) runs a command once, when it has no final
response (``applied`` or ``failed``) yet.

This module uses the standard library only: the server imports it without importing Kusari.

Example:
    >>> command = new_command('result', 'adjust_hyperparams', {'hyperparams': {'lr': 0.01}})
    >>> [c['response'] for c in list_commands('result')]
    [None]
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
import string
import sys
import time
import uuid
from typing import Any

from kusari_ui._atomic import write_json_atomically

__all__ = [
    "COMMANDS_DIRNAME",
    "COMMAND_NAMES",
    "DEFAULT_HEARTBEAT_INTERVAL",
    "DEFAULT_OPTIMIZER",
    "DIRNAME",
    "FINAL_STATUSES",
    "FORMAT_VERSION",
    "RESERVED_FILENAMES",
    "RESPONSE_STATUSES",
    "RUN_STATES",
    "RUN_STATUSES",
    "SCHEDULE_KEYS",
    "STATUS_FILENAME",
    "command_from_json",
    "commands_dir",
    "list_commands",
    "new_command",
    "new_command_id",
    "read_command",
    "read_heartbeat",
    "read_json_file",
    "read_response",
    "response_from_json",
    "run_status",
    "scan_commands",
    "status_path",
    "validate_command",
    "validate_snapshot_filename",
    "write_heartbeat",
    "write_response",
]

#: Version of the files' format; the same as the result folder's (``docs/result-format.md``).
FORMAT_VERSION = 1
#: The folder, inside a result folder, that holds every file of this protocol.
DIRNAME = "kusari_ui"
#: The folder, inside :data:`DIRNAME`, of the command and response files.
COMMANDS_DIRNAME = "commands"
#: The heartbeat file, inside :data:`DIRNAME`.
STATUS_FILENAME = "status.json"
_COMMAND_SUFFIX = ".json"
_RESPONSE_SUFFIX = ".response.json"

#: The commands a training run understands.
COMMAND_NAMES = ("take_snapshot", "stop", "adjust_hyperparams")
#: The counters a schedule can wait for (attributes of the trainer's updater).
SCHEDULE_KEYS = ("epoch", "iteration")
#: ``status`` of a response: waiting for its schedule, done, or refused/failed.
RESPONSE_STATUSES = ("scheduled", "applied", "failed")
#: Statuses after which a command is never run again.
FINAL_STATUSES = ("applied", "failed")
#: ``state`` of a heartbeat.
RUN_STATES = ("running", "finished", "crashed", "interrupted")
#: What :func:`run_status` returns.
RUN_STATUSES = ("running", "finished", "crashed", "stale", "unknown")
#: The optimizer ``adjust_hyperparams`` changes when its body names none.
DEFAULT_OPTIMIZER = "main"
#: Seconds between two heartbeats of a running training, by default.
DEFAULT_HEARTBEAT_INTERVAL = 5.0
#: Names a snapshot must not take: they would overwrite the result folder's other files.
RESERVED_FILENAMES = ("log", "args", DIRNAME)

# A running heartbeat older than max(3 intervals, this) means the process is gone or hung.
_STALE_AFTER_MIN_S = 30.0
# Without a heartbeat, a log modified this recently means the run is alive.
_LOG_FRESH_S = 600.0
# Larger files are not ours: a command or a response is a few hundred bytes.
_MAX_FILE_BYTES = 1 << 20
_MAX_FILENAME_LENGTH = 255
_HYPERPARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


def commands_dir(result_dir: str | os.PathLike[str]) -> str:
    """Return the folder of the command and response files of a result folder.

    Args:
        result_dir: The result folder (``trainer.out``).

    Returns:
        ``<result_dir>/kusari_ui/commands``.
    """
    return os.path.join(os.fspath(result_dir), DIRNAME, COMMANDS_DIRNAME)


def status_path(result_dir: str | os.PathLike[str]) -> str:
    """Return the path of the heartbeat file of a result folder.

    Args:
        result_dir: The result folder (``trainer.out``).

    Returns:
        ``<result_dir>/kusari_ui/status.json``.
    """
    return os.path.join(os.fspath(result_dir), DIRNAME, STATUS_FILENAME)


def new_command_id() -> str:
    """Return a new command id: the time in nanoseconds (20 digits), ``-``, a random UUID.

    Ids sort in creation order as strings, and two writers never make the same one.

    Returns:
        The id, e.g. ``'01733912345678901234-9f0c...'``.
    """
    return f"{time.time_ns():020d}-{uuid.uuid4().hex}"


def _json_type(value: Any) -> str:
    """The JSON name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    """Whether ``value`` is a finite JSON number (booleans are not numbers)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        # math.isfinite would raise OverflowError on an int beyond the float range.
        return abs(value) <= sys.float_info.max
    return isinstance(value, float) and math.isfinite(value)


def _check_keys(where: str, what: str, obj: dict, allowed: tuple[str, ...]) -> None:
    unknown = sorted(str(k) for k in obj if k not in allowed)
    if unknown:
        expected = ", ".join(repr(k) for k in allowed) if allowed else "no key"
        raise ValueError(f"{where}: {what} takes {expected}, got unknown key(s) {unknown}")


def validate_snapshot_filename(filename: Any, where: str = "validate_snapshot_filename") -> None:
    """Check that a snapshot's file name stays a plain file inside the result folder.

    Args:
        filename (str): The file name (a name, not a path).
        where (str): The name of the caller, for the error message.

    Raises:
        ValueError: ``filename`` is not a non-empty string of at most 255 characters, holds
            ``/``, a backslash or NUL, starts with ``.``, or is one of :data:`RESERVED_FILENAMES`.
    """
    if not isinstance(filename, str) or not filename:
        raise ValueError(
            f"{where}: the snapshot filename must be a non-empty string, got {filename!r}"
        )
    if len(filename) > _MAX_FILENAME_LENGTH:
        raise ValueError(
            f"{where}: the snapshot filename must have at most {_MAX_FILENAME_LENGTH} "
            f"characters, got {len(filename)}"
        )
    if any(c in filename for c in "/\\\0") or filename.startswith("."):
        raise ValueError(
            f"{where}: the snapshot filename must be a plain file name (no '/', '\\' or NUL, "
            f"not starting with '.'), got {filename!r}"
        )
    if filename in RESERVED_FILENAMES:
        raise ValueError(
            f"{where}: the snapshot filename {filename!r} would overwrite the result folder's "
            f"own file; choose another name"
        )


def _validate_filename_pattern(where: str, pattern: Any) -> None:
    """A take_snapshot pattern: a safe file name whose fields read attributes of the trainer."""
    validate_snapshot_filename(pattern, where)
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(pattern) if field]
    except ValueError as e:
        raise ValueError(
            f"{where}: the snapshot filename {pattern!r} is not a format string: {e}"
        ) from None
    for field in fields:
        head = re.split(r"[.\[]", field, maxsplit=1)[0]
        if head not in ("", "0") or "__" in field:
            raise ValueError(
                f"{where}: the snapshot filename's field {{{field}}} must read an attribute of "
                f"the trainer, like {{.updater.iteration}}"
            )


def _validate_hyperparams_body(where: str, body: dict) -> dict:
    _check_keys(where, "adjust_hyperparams", body, ("optimizer", "hyperparams"))
    optimizer = body.get("optimizer", DEFAULT_OPTIMIZER)
    if not isinstance(optimizer, str) or not optimizer:
        raise ValueError(
            f"{where}: adjust_hyperparams' optimizer must be a non-empty string (the "
            f"optimizer's name in the updater, e.g. 'main'), got {optimizer!r}"
        )
    hyperparams = body.get("hyperparams")
    if not isinstance(hyperparams, dict) or not hyperparams:
        raise ValueError(
            f"{where}: adjust_hyperparams needs 'hyperparams', a non-empty object such as "
            f"{{\"lr\": 0.01}}, got {_json_type(hyperparams)}"
        )
    for name, value in hyperparams.items():
        if not isinstance(name, str) or not _HYPERPARAM_NAME.fullmatch(name):
            raise ValueError(
                f"{where}: a hyperparameter name must be an identifier such as 'lr', got {name!r}"
            )
        if not (isinstance(value, bool) or _is_number(value)):
            raise ValueError(
                f"{where}: the value of hyperparameter {name!r} must be a finite number or a "
                f"boolean, got {value!r}"
            )
    return {"optimizer": optimizer, "hyperparams": dict(hyperparams)}


def validate_command(
    name: Any, body: Any = None, schedule: Any = None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Check a command and return its body and schedule in normal form.

    Commands and their bodies:

    * ``take_snapshot``: ``{}`` or ``{"filename": pattern}``; the pattern is formatted with the
      trainer (``'snapshot_iter_{.updater.iteration}'``) and must give a plain file name.
    * ``stop``: ``{}``.
    * ``adjust_hyperparams``: ``{"optimizer": name (default 'main'), "hyperparams": {name:
      value, ...}}`` with finite numbers or booleans as values.

    A schedule is ``None`` (run at the next check) or ``{"key": "epoch" | "iteration",
    "value": int >= 0}`` (run at the first check where the updater's counter has reached it).

    Args:
        name (str): One of :data:`COMMAND_NAMES`.
        body (dict or None): The command's arguments; ``None`` means ``{}``.
        schedule (dict or None): When to run it.

    Returns:
        ``(body, schedule)``: copies, with defaults filled in (``body`` is always a dict, and
        ``adjust_hyperparams`` bodies always name their optimizer).

    Raises:
        ValueError: Anything is wrong; the message names the part, what was expected and
            what came.
    """
    where = "validate_command"
    if not isinstance(name, str) or name not in COMMAND_NAMES:
        raise ValueError(f"{where}: name must be one of {', '.join(COMMAND_NAMES)}, got {name!r}")
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ValueError(
            f"{where}: the body of {name} must be an object or null, got {_json_type(body)}"
        )
    if name == "take_snapshot":
        _check_keys(where, "take_snapshot", body, ("filename",))
        if "filename" in body:
            _validate_filename_pattern(where, body["filename"])
        body = dict(body)
    elif name == "stop":
        _check_keys(where, "stop", body, ())
        body = {}
    else:
        body = _validate_hyperparams_body(where, body)

    if schedule is None:
        return body, None
    if not isinstance(schedule, dict):
        raise ValueError(
            f"{where}: schedule must be an object or null, got {_json_type(schedule)}"
        )
    _check_keys(where, "a schedule", schedule, ("key", "value"))
    key = schedule.get("key")
    value = schedule.get("value")
    if key not in SCHEDULE_KEYS:
        raise ValueError(
            f"{where}: the schedule's key must be one of {', '.join(SCHEDULE_KEYS)}, got {key!r}"
        )
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(
            f"{where}: the schedule's value must be an integer >= 0 (the {key} to wait for), "
            f"got {value!r}"
        )
    return body, {"key": key, "value": value}


def new_command(
    result_dir: str | os.PathLike[str],
    name: str,
    body: dict[str, Any] | None = None,
    schedule: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Send a command to the training run of a result folder.

    The command is checked with :func:`validate_command` and written atomically to
    ``kusari_ui/commands/<id>.json``, a file of its own, so any number of clients may call
    this at once without losing a command.

    Args:
        result_dir: The result folder; it must exist.
        name (str): The command, one of :data:`COMMAND_NAMES`.
        body (dict or None): Its arguments (see :func:`validate_command`).
        schedule (dict or None): When to run it (see :func:`validate_command`).

    Returns:
        The Command object: ``{"id", "name", "body", "schedule", "created_at" (Unix seconds),
        "response": None}``.

    Raises:
        ValueError: The command is not valid.
        FileNotFoundError: ``result_dir`` is not a folder.
        OSError: The file cannot be written.

    Example:
        >>> new_command('result', 'stop', schedule={'key': 'epoch', 'value': 10})['name']
        'stop'
    """
    body, schedule = validate_command(name, body, schedule)
    if not os.path.isdir(result_dir):
        raise FileNotFoundError(
            f"new_command: the result folder {os.fspath(result_dir)!r} is missing"
        )
    directory = commands_dir(result_dir)
    os.makedirs(directory, exist_ok=True)
    command_id = new_command_id()
    command = {
        "id": command_id,
        "name": name,
        "body": body,
        "schedule": schedule,
        "created_at": time.time(),
    }
    write_json_atomically(os.path.join(directory, command_id + _COMMAND_SUFFIX), command)
    return {**command, "response": None}


def _refuse_constant(token: str) -> Any:
    raise ValueError(f"non-standard JSON token {token}")


def read_json_file(path: str | os.PathLike[str]) -> Any:
    """Read a strict JSON file of this protocol, or return ``None`` when it cannot be read.

    ``None`` comes for a missing or unreadable file, one larger than 1 MiB, and one that is
    not strict UTF-8 JSON (``NaN`` and ``Infinity`` tokens included): callers skip it and try
    again later. Files written by this module are never half-written, so a failure means the
    file is not (yet) one of ours.

    Args:
        path: The file.

    Returns:
        The parsed value, or ``None``.
    """
    try:
        with open(path, "rb") as f:
            raw = f.read(_MAX_FILE_BYTES + 1)
    except OSError:
        return None
    if len(raw) > _MAX_FILE_BYTES:
        return None
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None


def _check_command_id(where: str, command_id: Any) -> None:
    if (
        not isinstance(command_id, str)
        or not command_id
        or len(command_id) > 200
        or command_id.startswith(".")
        or command_id.endswith(".response")
        or any(c in command_id for c in "/\\\0")
    ):
        raise ValueError(
            f"{where}: a command id must be a plain file name stem (not starting with '.', "
            f"not ending with '.response'), got {command_id!r}"
        )


def command_from_json(command_id: str, data: Any) -> dict[str, Any]:
    """Check the contents of a command file and return the command in normal form.

    Only the shape is checked here (an object with a string ``name``, objects or nulls as
    ``body`` and ``schedule``, a number ``created_at``, and an ``id``, when present, equal to
    the file's); :func:`validate_command` checks the meaning.

    Args:
        command_id (str): The id, i.e. the file name without ``.json``.
        data: The parsed file.

    Returns:
        ``{"id", "name", "body", "schedule", "created_at"}``.

    Raises:
        ValueError: The shape is wrong.
    """
    where = "command_from_json"
    if not isinstance(data, dict):
        raise ValueError(f"{where}: a command file must hold an object, got {_json_type(data)}")
    if data.get("id", command_id) != command_id:
        raise ValueError(
            f"{where}: the command's id {data.get('id')!r} differs from its file name "
            f"{command_id!r}"
        )
    name = data.get("name")
    if not isinstance(name, str):
        raise ValueError(f"{where}: a command's name must be a string, got {_json_type(name)}")
    for key in ("body", "schedule"):
        if not (data.get(key) is None or isinstance(data.get(key), dict)):
            raise ValueError(
                f"{where}: a command's {key} must be an object or null, got "
                f"{_json_type(data.get(key))}"
            )
    created_at = data.get("created_at")
    if not _is_number(created_at):
        raise ValueError(
            f"{where}: a command's created_at must be a number (Unix seconds), got {created_at!r}"
        )
    return {
        "id": command_id,
        "name": name,
        "body": data.get("body"),
        "schedule": data.get("schedule"),
        "created_at": float(created_at),
    }


def response_from_json(data: Any) -> dict[str, Any]:
    """Check the contents of a response file and return the response in normal form.

    Args:
        data: The parsed file.

    Returns:
        ``{"status", "epoch", "iteration", "time", "result", "error"}``.

    Raises:
        ValueError: The shape is wrong.
    """
    where = "response_from_json"
    if not isinstance(data, dict):
        raise ValueError(f"{where}: a response file must hold an object, got {_json_type(data)}")
    status = data.get("status")
    if status not in RESPONSE_STATUSES:
        raise ValueError(
            f"{where}: status must be one of {', '.join(RESPONSE_STATUSES)}, got {status!r}"
        )
    for key in ("epoch", "iteration"):
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{where}: {key} must be an integer, got {value!r}")
    if not _is_number(data.get("time")):
        raise ValueError(f"{where}: time must be a number (Unix seconds), got {data.get('time')!r}")
    if not (data.get("result") is None or isinstance(data.get("result"), dict)):
        raise ValueError(
            f"{where}: result must be an object or null, got {_json_type(data.get('result'))}"
        )
    if not (data.get("error") is None or isinstance(data.get("error"), str)):
        raise ValueError(
            f"{where}: error must be a string or null, got {_json_type(data.get('error'))}"
        )
    keys = ("status", "epoch", "iteration", "time", "result", "error")
    return {key: data.get(key) for key in keys}


def read_response(result_dir: str | os.PathLike[str], command_id: str) -> dict[str, Any] | None:
    """Return the response to a command, or ``None`` if there is none (yet) or it is unreadable.

    Args:
        result_dir: The result folder.
        command_id (str): The command's id.

    Returns:
        The Response object (see :func:`response_from_json`) or ``None``.

    Raises:
        ValueError: ``command_id`` is not a plain file name stem.
    """
    _check_command_id("read_response", command_id)
    data = read_json_file(os.path.join(commands_dir(result_dir), command_id + _RESPONSE_SUFFIX))
    try:
        return None if data is None else response_from_json(data)
    except ValueError:
        return None


def read_command(result_dir: str | os.PathLike[str], command_id: str) -> dict[str, Any] | None:
    """Return one command with its response, or ``None`` if it is missing or unreadable.

    Args:
        result_dir: The result folder.
        command_id (str): The command's id.

    Returns:
        The Command object (``{"id", "name", "body", "schedule", "created_at", "response"}``)
        or ``None``.

    Raises:
        ValueError: ``command_id`` is not a plain file name stem.
    """
    _check_command_id("read_command", command_id)
    data = read_json_file(os.path.join(commands_dir(result_dir), command_id + _COMMAND_SUFFIX))
    if data is None:
        return None
    try:
        command = command_from_json(command_id, data)
    except ValueError:
        return None
    command["response"] = read_response(result_dir, command_id)
    return command


def scan_commands(result_dir: str | os.PathLike[str]) -> tuple[list[str], set[str]]:
    """List the ids of the command files and of the response files of a result folder.

    One ``os.listdir`` of the commands folder; names starting with ``.`` (files being
    written) and other names are ignored. A missing folder has no commands.

    Args:
        result_dir: The result folder.

    Returns:
        ``(command_ids, response_ids)``: the command ids sorted (= oldest first), and the
        set of ids that have a response file.

    Raises:
        OSError: The folder exists but cannot be listed.
    """
    try:
        names = os.listdir(commands_dir(result_dir))
    except (FileNotFoundError, NotADirectoryError):
        return [], set()
    command_ids = []
    response_ids = set()
    for name in names:
        if name.startswith("."):
            continue
        if name.endswith(_RESPONSE_SUFFIX):
            response_ids.add(name[: -len(_RESPONSE_SUFFIX)])
        elif name.endswith(_COMMAND_SUFFIX):
            command_ids.append(name[: -len(_COMMAND_SUFFIX)])
    command_ids.sort()
    return command_ids, response_ids


def list_commands(result_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Return every command of a result folder, oldest first, each with its response.

    Files that cannot be read or do not have the shape of a command are skipped (they may be
    read next time); responses that cannot be read count as none.

    Args:
        result_dir: The result folder; a missing folder has no commands.

    Returns:
        Command objects: ``{"id", "name", "body", "schedule", "created_at", "response"}``,
        ``response`` being ``None`` or ``{"status", "epoch", "iteration", "time", "result",
        "error"}``. Every value is strict JSON (no NaN or infinity).

    Raises:
        OSError: The commands folder exists but cannot be listed.
    """
    command_ids, response_ids = scan_commands(result_dir)
    directory = commands_dir(result_dir)
    commands = []
    for command_id in command_ids:
        data = read_json_file(os.path.join(directory, command_id + _COMMAND_SUFFIX))
        try:
            command = command_from_json(command_id, data)
        except ValueError:
            continue
        command["response"] = (
            read_response(result_dir, command_id) if command_id in response_ids else None
        )
        commands.append(command)
    return commands


def _strict_json_value(value: Any) -> Any:
    """``value`` with its non-finite floats written as strings (``'NaN'``, ``'Infinity'`` ...)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _strict_json_value(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict_json_value(v) for v in value]
    return value


def write_response(
    result_dir: str | os.PathLike[str],
    command_id: str,
    status: str,
    *,
    epoch: int,
    iteration: int,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Write (or rewrite) the response to a command, atomically. Only the training side does.

    Args:
        result_dir: The result folder; the command's folder must exist.
        command_id (str): The command's id.
        status (str): ``'scheduled'`` (its schedule is not reached yet), ``'applied'`` or
            ``'failed'``.
        epoch (int): The updater's epoch when the response is written.
        iteration (int): The updater's iteration when the response is written.
        result (dict or None): What the command did (``applied`` only); non-finite floats in it
            are written as the strings ``'NaN'``, ``'Infinity'``, ``'-Infinity'``.
        error (str or None): Why it failed (``failed`` only, required there).
        now (float or None): The time to record (Unix seconds); the current time by default.

    Returns:
        The Response object written: ``{"status", "epoch", "iteration", "time", "result",
        "error"}``.

    Raises:
        ValueError: ``command_id`` is not a plain name, ``status`` is unknown, or ``result`` /
            ``error`` do not go with it.
        OSError: The file cannot be written.
    """
    where = "write_response"
    _check_command_id(where, command_id)
    if status not in RESPONSE_STATUSES:
        raise ValueError(
            f"{where}: status must be one of {', '.join(RESPONSE_STATUSES)}, got {status!r}"
        )
    if status == "failed" and (not isinstance(error, str) or not error):
        raise ValueError(f"{where}: a failed response needs an error message, got {error!r}")
    if status != "failed" and error is not None:
        raise ValueError(f"{where}: only a failed response has an error, got status {status!r}")
    if result is not None and (status != "applied" or not isinstance(result, dict)):
        raise ValueError(f"{where}: only an applied response has a result (an object)")
    response = {
        "status": status,
        "epoch": int(epoch),
        "iteration": int(iteration),
        "time": time.time() if now is None else float(now),
        "result": None if result is None else _strict_json_value(result),
        "error": error,
    }
    path = os.path.join(commands_dir(result_dir), command_id + _RESPONSE_SUFFIX)
    write_json_atomically(path, response)
    return response


def write_heartbeat(
    result_dir: str | os.PathLike[str],
    state: str,
    *,
    started_at: float,
    interval: float,
    epoch: int,
    iteration: int,
    error: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Write ``kusari_ui/status.json``, the heartbeat of a training run, atomically.

    Args:
        result_dir: The result folder; ``kusari_ui/`` is created in it if missing.
        state (str): One of :data:`RUN_STATES`.
        started_at (float): When this process started training (Unix seconds).
        interval (float): Seconds between heartbeats while running.
        epoch (int): The updater's epoch.
        iteration (int): The updater's iteration.
        error (str or None): The error that ended the run (``crashed``, ``interrupted``).
        now (float or None): The time to record as ``updated_at``; the current time by default.

    Returns:
        The object written: ``{"format", "state", "pid", "host", "started_at", "updated_at",
        "interval", "epoch", "iteration", "error"}``.

    Raises:
        ValueError: ``state`` is unknown.
        OSError: The file cannot be written.
    """
    if state not in RUN_STATES:
        raise ValueError(
            f"write_heartbeat: state must be one of {', '.join(RUN_STATES)}, got {state!r}"
        )
    heartbeat = {
        "format": FORMAT_VERSION,
        "state": state,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": float(started_at),
        "updated_at": time.time() if now is None else float(now),
        "interval": float(interval),
        "epoch": int(epoch),
        "iteration": int(iteration),
        "error": error,
    }
    os.makedirs(os.path.join(os.fspath(result_dir), DIRNAME), exist_ok=True)
    write_json_atomically(status_path(result_dir), heartbeat)
    return heartbeat


def read_heartbeat(result_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Return the heartbeat of a result folder, or ``None``.

    Args:
        result_dir: The result folder.

    Returns:
        The ``status.json`` object as written by :func:`write_heartbeat`, or ``None`` when the
        file is missing, unreadable, or lacks a known ``state`` and a numeric ``updated_at``.
    """
    data = read_json_file(status_path(result_dir))
    if (
        not isinstance(data, dict)
        or data.get("state") not in RUN_STATES
        or not _is_number(data.get("updated_at"))
    ):
        return None
    return data


def run_status(heartbeat: dict[str, Any] | None, log_mtime: float | None, now: float) -> str:
    """Tell whether a run is alive, from its heartbeat and the age of its log.

    With a heartbeat: ``finished`` → ``'finished'``; ``crashed`` or ``interrupted`` →
    ``'crashed'``; ``running`` → ``'running'`` if it was updated within
    ``max(3 * interval, 30)`` seconds of ``now``, else ``'stale'`` (the process died or
    hangs). Without a usable heartbeat (runs without ``CommandsExtension``, Chainer's):
    ``'running'`` if the log was modified within the last 10 minutes, else ``'unknown'``.

    Args:
        heartbeat (dict or None): What :func:`read_heartbeat` returned.
        log_mtime (float or None): The log file's modification time (Unix seconds), or
            ``None`` without a log.
        now (float): The current time (Unix seconds).

    Returns:
        One of :data:`RUN_STATUSES`.
    """
    if isinstance(heartbeat, dict):
        state = heartbeat.get("state")
        if state == "finished":
            return "finished"
        if state in ("crashed", "interrupted"):
            return "crashed"
        updated_at = heartbeat.get("updated_at")
        if state == "running" and _is_number(updated_at):
            interval = heartbeat.get("interval")
            if not _is_number(interval) or interval < 0:
                interval = DEFAULT_HEARTBEAT_INTERVAL
            fresh = now - updated_at <= max(3.0 * interval, _STALE_AFTER_MIN_S)
            return "running" if fresh else "stale"
    if log_mtime is not None and now - log_mtime <= _LOG_FRESH_S:
        return "running"
    return "unknown"
