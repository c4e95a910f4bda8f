"""Helpers shared by the API modules: strict JSON out, validated input in, row lookups."""

import json
import math
import os
import re
from datetime import datetime, timezone
from typing import Any

import numpy as np
from flask import Response, request
from sqlalchemy import func, select

from kusari_ui import protocol
from kusari_ui.app import ApiError, db_session
from kusari_ui.crawler import (
    LOG_NAME,
    ReaderCache,
    result_args,
    result_folder,
    result_summary,
)
from kusari_ui.db.models import Project, Result

# SQLite integers are signed 64-bit; larger ids cannot exist.
MAX_ID = 2**63 - 1
MAX_POINTS = 100_000
MAX_TEXT = 1024
MAX_PATH = 4096
# Preferred default x axis: the first of these the log has.
X_PREFERENCE = ("epoch", "iteration", "step", "episode", "elapsed_time")

_INT_RE = re.compile(r"[0-9]{1,19}")
_IDS_RE = re.compile(r"[0-9]+(,[0-9]+)*")
_NON_FINITE_NAMES = {math.inf: "Infinity", -math.inf: "-Infinity"}


def finite_or_name(value: Any) -> Any:
    """Return ``value`` with every non-finite float replaced by "NaN", "Infinity" or "-Infinity".

    Containers (dict, list, tuple) are converted recursively; NumPy scalars become Python ones.

    Args:
        value (object): A JSON-like value.

    Returns:
        object: A value ``json.dumps(..., allow_nan=False)`` accepts.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else _NON_FINITE_NAMES[value]
    if isinstance(value, dict):
        return {str(key): finite_or_name(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_name(item) for item in value]
    return value


def float_list(array: np.ndarray) -> list[float | None]:
    """Return a float array as a list, non-finite values as ``None`` (JSON null)."""
    array = np.asarray(array, dtype=np.float64)
    finite = np.isfinite(array)
    if finite.all():
        return array.tolist()
    return [value if ok else None for value, ok in zip(array.tolist(), finite.tolist(),
                                                       strict=True)]


def json_response(payload: Any, status: int = 200) -> Response:
    """Return ``payload`` as strict JSON (no NaN or Infinity tokens).

    Raises:
        ValueError: ``payload`` holds a non-finite float (a bug: convert it first).
    """
    text = json.dumps(payload, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status=status, mimetype="application/json")


def iso_time(value: datetime | float | None) -> str | None:
    """Return a UTC ISO 8601 time from a datetime (naive = UTC) or Unix seconds."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    else:
        moment = datetime.fromtimestamp(value, timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def text_is_storable(text: str) -> bool:
    """Return whether ``text`` can be stored as UTF-8 (JSON may carry lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _single_arg(name: str) -> str | None:
    """Return the one value of query parameter ``name``; 400 when it is given twice."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise ApiError(400, f"{name}: expected at most one value ({len(values)} given)")
    return values[0] if values else None


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """Read an integer query parameter in ``[low, high]``; 400 otherwise."""
    text = _single_arg(name)
    if text is None:
        return default
    if _INT_RE.fullmatch(text) is None or not low <= int(text) <= high:
        raise ApiError(400, f"{name}: expected an integer from {low} to {high} ({text!r:.40})")
    return int(text)


def choice_arg(name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    """Read a query parameter that must be one of ``choices``; 400 otherwise."""
    text = _single_arg(name)
    if text is None:
        return default
    if text not in choices:
        raise ApiError(400, f"{name}: expected one of {', '.join(choices)} ({text!r:.40})")
    return text


def text_arg(name: str, required: bool = False) -> str | None:
    """Read a string query parameter; 400 when ``required`` and it is missing or empty."""
    text = _single_arg(name)
    if required and not text:
        raise ApiError(400, f"{name}: expected a non-empty value (missing)")
    return text


def list_arg(name: str) -> list[str] | None:
    """Read a comma-separated query parameter: ``None`` when absent; empty items dropped."""
    text = _single_arg(name)
    if text is None:
        return None
    return list(dict.fromkeys(item for item in text.split(",") if item))


def ids_arg(name: str) -> list[int]:
    """Read a required comma-separated list of decimal ids (duplicates dropped).

    Raises:
        ApiError: 400 unless the value matches ``[0-9]+(,[0-9]+)*``. Ids that cannot exist (0,
            or beyond 64 bits) are returned as 0 so that the caller answers 404.
    """
    text = _single_arg(name)
    if text is None or _IDS_RE.fullmatch(text) is None:
        raise ApiError(400, f"{name}: expected comma-separated result ids, e.g. 1,2 "
                            f"({text!r:.40})")
    ids = []
    for item in text.split(","):
        value = int(item) if len(item) <= 19 else 0
        ids.append(value if value <= MAX_ID else 0)
    return list(dict.fromkeys(ids))


def json_body(allowed: dict[str, str], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Parse the request body as a JSON object with only the ``allowed`` keys.

    Args:
        allowed (dict[str, str]): Key -> description used in error messages.
        required (tuple[str, ...]): Keys that must be present.

    Returns:
        dict: The object.

    Raises:
        ApiError: 400 when the body is not a JSON object, has unknown keys or lacks some.
    """
    data = request.get_data(cache=True)
    try:
        body = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "request body: expected a JSON object (not valid JSON)") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"request body: expected a JSON object ({type(body).__name__})")
    unknown = sorted(set(body) - allowed.keys())
    if unknown:
        raise ApiError(400, f"request body: expected only the keys {', '.join(allowed)} "
                            f"(unknown {', '.join(map(repr, unknown))[:200]})")
    missing = [key for key in required if key not in body]
    if missing:
        raise ApiError(400, f"request body: expected the key {missing[0]!r} "
                            f"({allowed[missing[0]]}) (missing)")
    return body


def _reject_constant(name: str) -> float:
    """Refuse NaN and Infinity tokens in request bodies (not JSON)."""
    raise ValueError(f"{name} is not JSON")


def get_project(pid: int) -> Project:
    """Return the project ``pid``; 404 when there is none."""
    project = db_session().get(Project, pid) if 1 <= pid <= MAX_ID else None
    if project is None:
        raise ApiError(404, f"project: expected an existing project id ({pid})")
    return project


def get_result(rid: int) -> Result:
    """Return the result ``rid``; 404 when there is none."""
    result = db_session().get(Result, rid) if 1 <= rid <= MAX_ID else None
    if result is None:
        raise ApiError(404, f"result: expected an existing result id ({rid})")
    return result


def results_counts(project_ids: list[int]) -> dict[int, int]:
    """Return project id -> number of its results that are not missing."""
    rows = db_session().execute(
        select(Result.project_id, func.count(Result.id))
        .where(Result.project_id.in_(project_ids), Result.is_missing.is_(False))
        .group_by(Result.project_id)
    )
    return {project_id: count for project_id, count in rows}


def project_json(project: Project, results_count: int) -> dict[str, Any]:
    """Return the API object of a project."""
    return {
        "id": project.id,
        "name": project.name,
        "path": project.path,
        "created_at": iso_time(project.created_at),
        "results_count": results_count,
    }


def display_name(project: Project, result: Result) -> str:
    """Return a result's name: the user's, else its path (the folder's name for ".")."""
    if result.name:
        return result.name
    if result.path == ".":
        return os.path.basename(project.path) or project.path
    return result.path


def result_json(project: Project, result: Result, now: float,
                readers: ReaderCache) -> dict[str, Any]:
    """Return the API object of a result (status from its heartbeat and log age at ``now``).

    ``loading`` is true while ``readers`` is still reading the log in the background (the
    summary is then the one stored before).
    """
    summary = result_summary(result)
    folder = result_folder(project, result)
    if result.is_missing:
        heartbeat, status = None, "unknown"
    else:
        heartbeat = protocol.read_heartbeat(folder)
        status = protocol.run_status(heartbeat, result.log_mtime, now)
    return {
        "id": result.id,
        "project_id": result.project_id,
        "path": result.path,
        "name": display_name(project, result),
        "status": status,
        "is_missing": result.is_missing,
        "is_hidden": result.is_hidden,
        "args": finite_or_name(result_args(result)),
        "loading": readers.is_reading(folder / LOG_NAME),
        "n_entries": summary["n_entries"],
        "keys": summary["keys"],
        "x_keys": summary["x_keys"],
        "last": finite_or_name(summary["last"]),
        "best": finite_or_name(summary["best"]),
        "log_mtime": iso_time(result.log_mtime),
        "heartbeat": finite_or_name(heartbeat),
    }


def default_x_key(present: set[str]) -> str:
    """Return the preferred x key among ``present`` (``"epoch"`` when there is none)."""
    for key in X_PREFERENCE:
        if key in present:
            return key
    return X_PREFERENCE[0]
