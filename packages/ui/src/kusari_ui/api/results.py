"""Result routes: one result, rename / hide, its log as downsampled series, args, snapshots."""

import os
import stat
import time
from typing import Any

from flask import Response, send_file

from kusari_ui.api._blueprint import api_blueprint
from kusari_ui.api._common import (
    MAX_POINTS,
    MAX_TEXT,
    choice_arg,
    default_x_key,
    finite_or_name,
    float_list,
    get_result,
    int_arg,
    iso_time,
    json_body,
    json_response,
    list_arg,
    result_json,
    text_is_storable,
)
from kusari_ui.app import ApiError, db_session, ui_state
from kusari_ui.crawler import ARGS_NAME, LOG_NAME, result_args, result_folder, sync_result
from kusari_ui.db.models import Result
from kusari_ui.logs import STEP_KEYS, LogTable, series

METHODS = ("minmax", "lttb", "none")
# File signatures of snapshot archives: ZIP (NPZ, empty ZIP) and HDF5.
_SNAPSHOT_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x89HDF\r\n\x1a\n")
_NOT_SNAPSHOTS = frozenset({LOG_NAME, ARGS_NAME})


def _refreshed(rid: int) -> Result:
    """Return result ``rid`` after bringing its row in line with its folder."""
    result = get_result(rid)
    state = ui_state()
    with state.sync_lock:
        if sync_result(result.project, result, state.readers, state.read_deadline()):
            db_session().commit()
    return result


@api_blueprint.get("/results/<int:rid>")
def get_result_route(rid: int) -> Response:
    """Return one result, refreshed from its folder."""
    result = _refreshed(rid)
    return json_response(
        {"result": result_json(result.project, result, time.time(), ui_state().readers)}
    )


@api_blueprint.patch("/results/<int:rid>")
def patch_result(rid: int) -> Response:
    """Rename (``name``; null resets it) or hide / unhide (``is_hidden``) a result."""
    body = json_body({"name": "a string or null", "is_hidden": "a boolean"})
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= MAX_TEXT
                             or not text_is_storable(name)):
        raise ApiError(400, f"name: expected a string of 1 to {MAX_TEXT} characters or null "
                            f"({name!r:.80})")
    if "is_hidden" in body and not isinstance(body["is_hidden"], bool):
        raise ApiError(400, f"is_hidden: expected a boolean ({body['is_hidden']!r:.80})")
    result = get_result(rid)
    if "name" in body:
        result.name = name
    if "is_hidden" in body:
        result.is_hidden = body["is_hidden"]
    db_session().commit()
    return json_response(
        {"result": result_json(result.project, result, time.time(), ui_state().readers)}
    )


@api_blueprint.get("/results/<int:rid>/log")
def get_log(rid: int) -> Response:
    """Return the log's series, each downsampled to at most ``points`` points."""
    keys = list_arg("keys")
    n_points = int_arg("points", 2000, 3, MAX_POINTS)
    method = choice_arg("method", METHODS, "minmax")
    x_key = choice_arg("x", STEP_KEYS, None)
    result = get_result(rid)
    with ui_state().readers.open(result_folder(result.project, result) / LOG_NAME) as reader:
        reader.update()
        table = reader.table
        present = set(table.keys)
        if x_key is None:
            x_key = default_x_key(present)
        if keys is None:
            keys = [key for key in table.numeric_keys() if key not in STEP_KEYS]
        series_list = [
            _series(table, key, x_key, n_points, method)
            if key in present and x_key in present else {"key": key, "x": [], "y": []}
            for key in keys
        ]
        n_entries = table.n_entries
    return json_response({"x_key": x_key, "n_entries": n_entries, "series": series_list})


def _series(table: LogTable, key: str, x_key: str, n_points: int,
            method: str) -> dict[str, Any]:
    """Return the series object of ``key`` against ``x_key`` (both keys of ``table``)."""
    x, y = series(table, key, x_key, n_points, method=method)
    return {"key": key, "x": float_list(x), "y": float_list(y)}


@api_blueprint.get("/results/<int:rid>/args")
def get_args(rid: int) -> Response:
    """Return the result's ``args`` (``{}`` when it has none)."""
    result = _refreshed(rid)
    return json_response({"args": finite_or_name(result_args(result))})


def _inside(path: str, folder: str) -> bool:
    """Return whether resolved ``path`` is ``folder`` or inside it (both resolved)."""
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:
        return False


def _real_result_folder(result: Result) -> str:
    """Return the resolved folder of ``result``; 404 unless it is inside its project."""
    project_real = os.path.realpath(result.project.path)
    folder = os.path.realpath(result_folder(result.project, result))
    if not _inside(folder, project_real) or not os.path.isdir(folder):
        raise ApiError(404, f"result: expected the folder of result {result.id} inside its "
                            f"project ({result.path!r})")
    return folder


def _snapshot_file(folder: str, name: str) -> tuple[str, os.stat_result] | None:
    """Return (resolved path, stat) of snapshot ``name`` in ``folder``, or ``None``.

    A snapshot is a regular file directly in the result folder (or a symbolic link resolving
    inside it) whose name does not start with ``.``, other than ``log`` and ``args``, holding
    a ZIP (NPZ) or HDF5 archive.
    """
    if (not name or name.startswith(".") or name in _NOT_SNAPSHOTS or "/" in name
            or "\\" in name or "\0" in name or not text_is_storable(name)):
        return None
    path = os.path.realpath(os.path.join(folder, name))
    if not _inside(path, folder) or path == folder:
        return None
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return None
        with open(path, "rb") as file:
            head = file.read(8)
    except (OSError, ValueError):
        return None
    if not head.startswith(_SNAPSHOT_MAGIC):
        return None
    return path, info


@api_blueprint.get("/results/<int:rid>/snapshots")
def list_snapshots(rid: int) -> Response:
    """List the snapshot archives in the result folder, by name."""
    result = get_result(rid)
    if result.is_missing:
        return json_response({"snapshots": []})
    folder = _real_result_folder(result)
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except OSError:
        names = []
    snapshots = []
    for name in names:
        found = _snapshot_file(folder, name)
        if found is not None:
            snapshots.append(
                {"name": name, "size": found[1].st_size, "mtime": iso_time(found[1].st_mtime)}
            )
    return json_response({"snapshots": snapshots})


@api_blueprint.get("/results/<int:rid>/snapshots/<name>")
def download_snapshot(rid: int, name: str) -> Response:
    """Send one snapshot file; 404 for anything that is not a snapshot inside the result."""
    result = get_result(rid)
    folder = _real_result_folder(result)
    found = _snapshot_file(folder, name)
    if found is None:
        raise ApiError(404, f"snapshot: expected the name of a snapshot in result {result.id} "
                            f"({name!r:.200})")
    try:
        file = open(found[0], "rb")
    except OSError:
        raise ApiError(404, f"snapshot: expected a readable file ({name!r:.200})") from None
    # send_file closes the file once the response is sent.
    return send_file(file, mimetype="application/octet-stream", as_attachment=True,
                     download_name=name, last_modified=found[1].st_mtime, max_age=0)
