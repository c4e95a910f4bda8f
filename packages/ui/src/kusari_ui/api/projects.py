"""Project routes: register, list, unregister, crawl into results, aggregate, CSV export."""

import time
from contextlib import ExitStack

import numpy as np
from flask import Response
from sqlalchemy import select

from kusari_ui.api._blueprint import api_blueprint
from kusari_ui.api._common import (
    MAX_PATH,
    MAX_POINTS,
    MAX_TEXT,
    choice_arg,
    default_x_key,
    display_name,
    float_list,
    get_project,
    ids_arg,
    int_arg,
    json_body,
    json_response,
    list_arg,
    project_json,
    result_json,
    results_counts,
    text_arg,
    text_is_storable,
)
from kusari_ui.app import ApiError, db_session, ui_state
from kusari_ui.crawler import (
    LOG_NAME,
    ProjectExistsError,
    register_project,
    result_folder,
    sync_project,
)
from kusari_ui.db.models import Project, Result
from kusari_ui.logs import STEP_KEYS, LogTable, aggregate, export_csv, series


@api_blueprint.get("/projects")
def list_projects() -> Response:
    """List the registered projects, oldest first."""
    projects = db_session().scalars(select(Project).order_by(Project.id)).all()
    counts = results_counts([project.id for project in projects])
    return json_response(
        {"projects": [project_json(project, counts.get(project.id, 0)) for project in projects]}
    )


@api_blueprint.post("/projects")
def create_project() -> Response:
    """Register a folder as a project: 201, 400 (not a folder, bad name), 409 (registered)."""
    body = json_body({"path": "the folder, a string", "name": "a string or null"},
                     required=("path",))
    path, name = body["path"], body.get("name")
    if not isinstance(path, str) or not 1 <= len(path) <= MAX_PATH or not text_is_storable(path):
        raise ApiError(400, f"path: expected a folder path, a non-empty string ({path!r:.80})")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= MAX_TEXT
                             or not text_is_storable(name)):
        raise ApiError(400, f"name: expected a string of 1 to {MAX_TEXT} characters or null "
                            f"({name!r:.80})")
    try:
        project = register_project(db_session(), path, name)
    except ProjectExistsError as error:
        raise ApiError(409, f"path: expected a folder not registered yet ({path!r:.200} is "
                            f"project {error.project.id})") from None
    except ValueError:
        raise ApiError(400, f"path: expected an existing folder ({path!r:.200})") from None
    return json_response({"project": project_json(project, 0)}, status=201)


@api_blueprint.get("/projects/<int:pid>")
def get_project_route(pid: int) -> Response:
    """Return one project (its results count as of the last crawl)."""
    project = get_project(pid)
    return json_response(
        {"project": project_json(project, results_counts([project.id]).get(project.id, 0))}
    )


@api_blueprint.delete("/projects/<int:pid>")
def delete_project(pid: int) -> Response:
    """Unregister a project and forget its results; the files are left untouched."""
    session = db_session()
    session.delete(get_project(pid))
    session.commit()
    return Response(status=204)


@api_blueprint.get("/projects/<int:pid>/results")
def list_results(pid: int) -> Response:
    """Crawl the project folder, read what is new in the logs, and list every result."""
    project = get_project(pid)
    state = ui_state()
    with state.sync_lock:
        results = sync_project(db_session(), project, state.readers, state.read_deadline())
    now = time.time()
    return json_response({"results": [result_json(project, result, now, state.readers)
                                      for result in results]})


def _project_results(project: Project, ids: list[int]) -> list[Result]:
    """Return the results ``ids`` of ``project`` in that order; 404 for any other id."""
    rows = {result.id: result for result in db_session().scalars(
        select(Result).where(Result.project_id == project.id, Result.id.in_(ids))
    )}
    for rid in ids:
        if rid not in rows:
            raise ApiError(404, f"results: expected ids of results of project {project.id} "
                                f"({rid})")
    return [rows[rid] for rid in ids]


@api_blueprint.get("/projects/<int:pid>/aggregate")
def aggregate_results(pid: int) -> Response:
    """Mean, standard deviation and count of one key across results, on a common x grid."""
    ids = ids_arg("results")
    key = text_arg("key", required=True)
    n_points = int_arg("points", 500, 3, MAX_POINTS)
    x_key = choice_arg("x", STEP_KEYS, None)
    project = get_project(pid)
    results = _project_results(project, ids)
    readers = ui_state().readers
    logs = [result_folder(project, result) / LOG_NAME for result in results]
    if x_key is None:
        present: set[str] = set()
        for log in logs:
            with readers.open(log) as reader:
                reader.update()
                present.update(reader.table.keys)
        x_key = default_x_key(present)
    runs: list[tuple[np.ndarray, np.ndarray]] = []
    for log in logs:
        with readers.open(log) as reader:
            reader.update()
            runs.append(_pair(reader.table, key, x_key))
    stats = aggregate(runs, n_points)
    return json_response({
        "x_key": x_key,
        "key": key,
        "x": float_list(stats["x"]),
        "mean": float_list(stats["mean"]),
        "std": float_list(stats["std"]),
        "count": np.asarray(stats["count"]).astype(np.int64).tolist(),
    })


def _pair(table: LogTable, key: str, x_key: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the finite (x, y) pairs of ``key`` against ``x_key``; empty if either is absent."""
    if key not in table.keys or x_key not in table.keys:
        return np.empty(0), np.empty(0)
    return series(table, key, x_key, 3, method="none")


@api_blueprint.get("/projects/<int:pid>/export.csv")
def export_results(pid: int) -> Response:
    """CSV of the chosen results' keys against an x key, one line per log entry."""
    ids = ids_arg("results")
    keys = list_arg("keys")
    x_key = choice_arg("x", STEP_KEYS, None)
    project = get_project(pid)
    results = _project_results(project, ids)
    readers = ui_state().readers
    paths = sorted({str(result_folder(project, result) / LOG_NAME) for result in results})
    with ExitStack() as stack:
        # Locks are always taken in path order, so two exports cannot deadlock.
        opened = {path: stack.enter_context(readers.open(path)) for path in paths}
        for reader in opened.values():
            reader.update()
        tables = [opened[str(result_folder(project, result) / LOG_NAME)].table
                  for result in results]
        if x_key is None:
            x_key = default_x_key({key for table in tables for key in table.keys})
        if keys is None:
            keys = list(dict.fromkeys(
                key for table in tables for key in table.numeric_keys() if key not in STEP_KEYS
            ))
        text = export_csv(
            [(display_name(project, result), table) for result, table in zip(results, tables,
                                                                              strict=True)],
            keys, x_key,
        )
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="kusari-ui-project-{project.id}.csv"'
    })

