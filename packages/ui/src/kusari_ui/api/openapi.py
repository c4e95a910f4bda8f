"""The OpenAPI 3.1 document of the REST API, served at ``/api/v1/openapi.json``.

It describes every route, parameter, request body and response precisely enough for a
schema-driven fuzzer: whatever it calls valid the server accepts (2xx, or 404 / 409 for ids
and folders that do not exist), whatever it calls invalid the server answers with a 4xx.
"""

from typing import Any

from flask import Response

from kusari_ui import __version__
from kusari_ui.api._blueprint import api_blueprint
from kusari_ui.api._common import MAX_ID, MAX_PATH, MAX_POINTS, MAX_TEXT, json_response
from kusari_ui.app import TOKEN_HEADER
from kusari_ui.logs import STEP_KEYS
from kusari_ui.protocol import (
    RESERVED_FILENAMES,
    RESPONSE_STATUSES,
    RUN_STATUSES,
    SCHEDULE_KEYS,
)

__all__ = ["OPENAPI", "SNAPSHOT_FILENAME_PATTERN"]

# A take_snapshot file name as the API accepts it: plain characters (no '/', '\', NUL or braces;
# not starting with '.'), or at most one field reading an attribute path of the trainer, such as
# "{.updater.iteration}" with an optional conversion and format spec, between a short prefix and
# suffix. Every match has at most 255 characters, so no maxLength is needed (a length bound
# beside a pattern makes schema-driven generators very slow).
_FIRST = r"[^./\\\x00{}]"
_PLAIN = r"[^/\\\x00{}]"
_FIELD = (r"\{(\.[A-Za-z](_?[A-Za-z0-9]){0,23}){1,2}(![rsa])?"
          r"(:[-+ #0-9.,_<>=^a-zA-Z%]{0,10})?\}")
SNAPSHOT_FILENAME_PATTERN = (
    rf"^({_FIRST}{_PLAIN}{{0,254}}|({_FIRST}{_PLAIN}{{0,99}})?{_FIELD}{_PLAIN}{{0,40}})$"
)
_HYPERPARAM_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,99}$"
_IDS_PATTERN = r"^[0-9]+(,[0-9]+)*$"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): {"$ref": f"#/components/responses/{_ERROR_NAMES[code]}"}
            for code in codes}


_ERROR_NAMES = {400: "BadRequest", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
                413: "TooLarge"}
_TOKEN = [{"token": []}]
_ANY: dict[str, Any] = {}
# The step of a best value: the log's epoch / iteration / ... there (a log may hold fractions).
_STEP = {"type": ["number", "null"]}
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID, "format": "int64"}


_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string",
                                 "description": "<what>: <expected> (<got>)"}},
        "additionalProperties": False,
    },
    "Project": {
        "type": "object",
        "required": ["id", "name", "path", "created_at", "results_count"],
        "properties": {
            "id": _ID,
            "name": {"type": "string"},
            "path": {"type": "string", "description": "Absolute, symlinks resolved."},
            "created_at": {"type": "string", "format": "date-time"},
            "results_count": {"type": "integer", "minimum": 0,
                              "description": "Results found by the last crawl, missing "
                                             "ones excluded."},
        },
        "additionalProperties": False,
    },
    "NewProject": {
        "type": "object",
        "required": ["path"],
        "properties": {
            "path": {"type": "string", "minLength": 1, "maxLength": MAX_PATH,
                     "description": "An existing folder on the server (else 400); `~` is "
                                    "expanded, relative paths start at the server's working "
                                    "folder."},
            "name": {"type": ["string", "null"], "minLength": 1, "maxLength": MAX_TEXT,
                     "description": "Display name; null or absent: the folder's name."},
        },
        "additionalProperties": False,
    },
    "Best": {
        "type": "object",
        "required": ["value", "mode", "index"],
        "properties": {
            "value": {"type": ["number", "string"]},
            "mode": {"type": "string", "enum": ["min", "max"]},
            "index": {"type": "integer", "minimum": 0,
                      "description": "Index of the log entry."},
            "epoch": _STEP,
            "iteration": _STEP,
            "step": _STEP,
            "episode": _STEP,
        },
    },
    "Result": {
        "type": "object",
        "required": ["id", "project_id", "path", "name", "status", "is_missing", "is_hidden",
                     "args", "loading", "n_entries", "keys", "x_keys", "last", "best",
                     "log_mtime", "heartbeat"],
        "properties": {
            "id": _ID,
            "project_id": _ID,
            "path": {"type": "string",
                     "description": "Folder relative to the project, `/`-separated; `.` for "
                                    "the project folder."},
            "name": {"type": "string"},
            "status": {"type": "string", "enum": list(RUN_STATUSES)},
            "is_missing": {"type": "boolean"},
            "is_hidden": {"type": "boolean"},
            "args": {"type": "object", "description": "The `args` file; non-finite numbers "
                                                      "as the strings NaN, Infinity, -Infinity."},
            "loading": {"type": "boolean",
                        "description": "The log is still being read in the background (a "
                                       "long first read); the summary is the one stored "
                                       "before. Ask again to get the new one."},
            "n_entries": {"type": "integer", "minimum": 0},
            "keys": {"type": "array", "items": {"type": "string"},
                     "description": "Keys with numeric values."},
            "x_keys": {"type": "array",
                       "items": {"type": "string", "enum": list(STEP_KEYS)}},
            "last": {"type": "object", "additionalProperties": _ANY,
                     "description": "Last value of each key; non-finite numbers as the "
                                    "strings NaN, Infinity, -Infinity."},
            "best": {"type": "object", "additionalProperties": _ref("Best")},
            "log_mtime": {"type": ["string", "null"], "format": "date-time"},
            "heartbeat": {"type": ["object", "null"],
                          "description": "The run's kusari_ui/status.json, if any."},
        },
        "additionalProperties": False,
    },
    "ResultPatch": {
        "type": "object",
        "properties": {
            "name": {"type": ["string", "null"], "minLength": 1, "maxLength": MAX_TEXT,
                     "description": "null restores the default name."},
            "is_hidden": {"type": "boolean"},
        },
        "additionalProperties": False,
    },
    "Series": {
        "type": "object",
        "required": ["key", "x", "y"],
        "properties": {
            "key": {"type": "string"},
            "x": {"type": "array", "items": {"type": ["number", "null"]}},
            "y": {"type": "array", "items": {"type": ["number", "null"]}},
        },
        "additionalProperties": False,
    },
    "Log": {
        "type": "object",
        "required": ["x_key", "n_entries", "series"],
        "properties": {
            "x_key": {"type": "string", "enum": list(STEP_KEYS)},
            "n_entries": {"type": "integer", "minimum": 0},
            "series": {"type": "array", "items": _ref("Series")},
        },
        "additionalProperties": False,
    },
    "Snapshot": {
        "type": "object",
        "required": ["name", "size", "mtime"],
        "properties": {
            "name": {"type": "string"},
            "size": {"type": "integer", "minimum": 0},
            "mtime": {"type": "string", "format": "date-time"},
        },
        "additionalProperties": False,
    },
    "Schedule": {
        "type": "object",
        "required": ["key", "value"],
        "properties": {
            "key": {"type": "string", "enum": list(SCHEDULE_KEYS)},
            "value": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": False,
    },
    "TakeSnapshotBody": {
        "type": "object",
        "properties": {
            "filename": {
                "type": "string", "minLength": 1, "pattern": SNAPSHOT_FILENAME_PATTERN,
                "not": {"enum": list(RESERVED_FILENAMES)},
                "description": "File name pattern formatted with the trainer, e.g. "
                               "snapshot_iter_{.updater.iteration}.",
            },
        },
        "additionalProperties": False,
    },
    "StopBody": {"type": "object", "maxProperties": 0},
    "AdjustHyperparamsBody": {
        "type": "object",
        "required": ["hyperparams"],
        "properties": {
            "optimizer": {"type": "string", "minLength": 1,
                          "description": "Name of the optimizer in the updater (default "
                                         "main)."},
            "hyperparams": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": _HYPERPARAM_PATTERN},
                "additionalProperties": {"type": ["number", "boolean"]},
            },
        },
        "additionalProperties": False,
    },
    "NewCommand": {
        "oneOf": [
            {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "const": "take_snapshot"},
                    "body": {"oneOf": [{"type": "null"}, _ref("TakeSnapshotBody")]},
                    "schedule": {"oneOf": [{"type": "null"}, _ref("Schedule")]},
                },
                "additionalProperties": False,
            },
            {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "const": "stop"},
                    "body": {"oneOf": [{"type": "null"}, _ref("StopBody")]},
                    "schedule": {"oneOf": [{"type": "null"}, _ref("Schedule")]},
                },
                "additionalProperties": False,
            },
            {
                "type": "object",
                "required": ["name", "body"],
                "properties": {
                    "name": {"type": "string", "const": "adjust_hyperparams"},
                    "body": _ref("AdjustHyperparamsBody"),
                    "schedule": {"oneOf": [{"type": "null"}, _ref("Schedule")]},
                },
                "additionalProperties": False,
            },
        ],
    },
    "CommandResponse": {
        "type": "object",
        "required": ["status", "epoch", "iteration", "time", "result", "error"],
        "properties": {
            "status": {"type": "string", "enum": list(RESPONSE_STATUSES)},
            "epoch": {"type": "integer"},
            "iteration": {"type": "integer"},
            "time": {"type": "number", "description": "Unix seconds."},
            "result": {"type": ["object", "null"]},
            "error": {"type": ["string", "null"]},
        },
        "additionalProperties": False,
    },
    "Command": {
        "type": "object",
        "required": ["id", "name", "body", "schedule", "created_at", "response"],
        "properties": {
            "id": {"type": "string", "description": "<time in ns, 20 digits>-<uuid hex>"},
            "name": {"type": "string"},
            "body": {"type": ["object", "null"]},
            "schedule": {"type": ["object", "null"]},
            "created_at": {"type": "number", "description": "Unix seconds."},
            "response": {"oneOf": [{"type": "null"}, _ref("CommandResponse")]},
        },
        "additionalProperties": False,
    },
    "Aggregate": {
        "type": "object",
        "required": ["x_key", "key", "x", "mean", "std", "count"],
        "properties": {
            "x_key": {"type": "string", "enum": list(STEP_KEYS)},
            "key": {"type": "string"},
            "x": {"type": "array", "items": {"type": ["number", "null"]}},
            "mean": {"type": "array", "items": {"type": ["number", "null"]}},
            "std": {"type": "array", "items": {"type": ["number", "null"]}},
            "count": {"type": "array", "items": {"type": "integer", "minimum": 1}},
        },
        "additionalProperties": False,
    },
}


def _query(name: str, schema: dict[str, Any], description: str,
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description}


def _path(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


_PID = _path("pid", _ID, "Project id.")
_RID = _path("rid", _ID, "Result id.")
_KEYS_DESCRIPTION = ("Comma-separated log keys (empty items ignored). Keys the log lacks give "
                     "empty series.")
_X = _query("x", {"type": "string", "enum": list(STEP_KEYS)},
            "x axis key; default: the first of epoch, iteration, step, episode, elapsed_time "
            "in the log(s), else epoch.")
_RESULTS = _query("results", {"type": "string", "pattern": _IDS_PATTERN},
                  "Comma-separated ids of results of this project.", required=True)


def _points(default: int) -> dict[str, Any]:
    return _query("points", {"type": "integer", "minimum": 3, "maximum": MAX_POINTS,
                             "default": default}, "Most points returned per series.")


_PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "getOpenAPI",
            "summary": "This document.",
            "responses": {"200": _json({"type": "object"}, "The OpenAPI document.")},
        },
    },
    "/api/v1/projects": {
        "get": {
            "operationId": "listProjects",
            "summary": "The registered projects, oldest first.",
            "responses": {"200": _json({
                "type": "object", "required": ["projects"], "additionalProperties": False,
                "properties": {"projects": {"type": "array", "items": _ref("Project")}},
            }, "The projects.")},
        },
        "post": {
            "operationId": "createProject",
            "summary": "Register a folder of results as a project.",
            "security": _TOKEN,
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": _ref("NewProject")}}},
            "responses": {
                "201": {
                    **_json({"type": "object", "required": ["project"],
                             "additionalProperties": False,
                             "properties": {"project": _ref("Project")}}, "Registered."),
                    "links": {
                        "GetProject": {"operationId": "getProject",
                                       "parameters": {"pid": "$response.body#/project/id"}},
                        "DeleteProject": {"operationId": "deleteProject",
                                          "parameters": {"pid": "$response.body#/project/id"}},
                        "ListResults": {"operationId": "listResults",
                                        "parameters": {"pid": "$response.body#/project/id"}},
                    },
                },
                **_errors(400, 403, 409, 413),
            },
        },
    },
    "/api/v1/projects/{pid}": {
        "parameters": [_PID],
        "get": {
            "operationId": "getProject",
            "summary": "One project.",
            "responses": {
                "200": _json({"type": "object", "required": ["project"],
                              "additionalProperties": False,
                              "properties": {"project": _ref("Project")}}, "The project."),
                **_errors(404),
            },
        },
        "delete": {
            "operationId": "deleteProject",
            "summary": "Unregister a project (its files are left untouched).",
            "security": _TOKEN,
            "responses": {"204": {"description": "Unregistered."}, **_errors(403, 404)},
        },
    },
    "/api/v1/projects/{pid}/results": {
        "parameters": [_PID],
        "get": {
            "operationId": "listResults",
            "summary": "Crawl the project folder (new logs entries read) and list its results.",
            "responses": {
                "200": _json({"type": "object", "required": ["results"],
                              "additionalProperties": False,
                              "properties": {"results": {"type": "array",
                                                         "items": _ref("Result")}}},
                             "Every result, missing ones included, by path."),
                **_errors(404),
            },
        },
    },
    "/api/v1/projects/{pid}/aggregate": {
        "parameters": [_PID],
        "get": {
            "operationId": "aggregateResults",
            "summary": "Mean, population std and count of one key across results.",
            "parameters": [
                _RESULTS,
                _query("key", {"type": "string", "minLength": 1}, "The log key.",
                       required=True),
                _X,
                _points(500),
            ],
            "responses": {"200": _json(_ref("Aggregate"), "The statistics per x grid point."),
                          **_errors(400, 404)},
        },
    },
    "/api/v1/projects/{pid}/export.csv": {
        "parameters": [_PID],
        "get": {
            "operationId": "exportResults",
            "summary": "CSV of the chosen results' keys, one line per log entry.",
            "parameters": [
                _RESULTS,
                _query("keys", {"type": "string"},
                       _KEYS_DESCRIPTION + " Default: every numeric key except step keys."),
                _X,
            ],
            "responses": {
                "200": {"description": "CSV with header result,<x>,<keys...>.",
                        "content": {"text/csv": {"schema": {"type": "string"}}}},
                **_errors(400, 404),
            },
        },
    },
    "/api/v1/results/{rid}": {
        "parameters": [_RID],
        "get": {
            "operationId": "getResult",
            "summary": "One result, refreshed from its folder.",
            "responses": {
                "200": _json({"type": "object", "required": ["result"],
                              "additionalProperties": False,
                              "properties": {"result": _ref("Result")}}, "The result."),
                **_errors(404),
            },
        },
        "patch": {
            "operationId": "patchResult",
            "summary": "Rename, hide or unhide a result.",
            "security": _TOKEN,
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": _ref("ResultPatch")}}},
            "responses": {
                "200": _json({"type": "object", "required": ["result"],
                              "additionalProperties": False,
                              "properties": {"result": _ref("Result")}}, "The result."),
                **_errors(400, 403, 404, 413),
            },
        },
    },
    "/api/v1/results/{rid}/log": {
        "parameters": [_RID],
        "get": {
            "operationId": "getLog",
            "summary": "Log series against an x key, downsampled on the server.",
            "parameters": [
                _query("keys", {"type": "string"},
                       _KEYS_DESCRIPTION + " Default: every numeric key except step keys."),
                _X,
                _points(2000),
                _query("method", {"type": "string", "enum": ["minmax", "lttb", "none"],
                                  "default": "minmax"},
                       "minmax keeps each bucket's min and max; lttb: largest triangle three "
                       "buckets; none: every point."),
            ],
            "responses": {"200": _json(_ref("Log"), "The series."), **_errors(400, 404)},
        },
    },
    "/api/v1/results/{rid}/args": {
        "parameters": [_RID],
        "get": {
            "operationId": "getArgs",
            "summary": "The result's args file.",
            "responses": {
                "200": _json({"type": "object", "required": ["args"],
                              "additionalProperties": False,
                              "properties": {"args": {"type": "object"}}}, "The args."),
                **_errors(404),
            },
        },
    },
    "/api/v1/results/{rid}/snapshots": {
        "parameters": [_RID],
        "get": {
            "operationId": "listSnapshots",
            "summary": "Snapshot archives (NPZ or HDF5 files) in the result folder.",
            "responses": {
                "200": _json({"type": "object", "required": ["snapshots"],
                              "additionalProperties": False,
                              "properties": {"snapshots": {"type": "array",
                                                           "items": _ref("Snapshot")}}},
                             "The snapshots, by name."),
                **_errors(404),
            },
        },
    },
    "/api/v1/results/{rid}/snapshots/{name}": {
        "parameters": [_RID, _path("name", {"type": "string", "minLength": 1},
                                   "A name from the snapshots list.")],
        "get": {
            "operationId": "downloadSnapshot",
            "summary": "Download one snapshot.",
            "responses": {
                "200": {"description": "The file.",
                        "content": {"application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}}}},
                **_errors(404),
            },
        },
    },
    "/api/v1/results/{rid}/commands": {
        "parameters": [_RID],
        "get": {
            "operationId": "listCommands",
            "summary": "The commands sent to the result's training, oldest first.",
            "responses": {
                "200": _json({"type": "object", "required": ["commands"],
                              "additionalProperties": False,
                              "properties": {"commands": {"type": "array",
                                                          "items": _ref("Command")}}},
                             "The commands with their responses."),
                **_errors(404, 409),
            },
        },
        "post": {
            "operationId": "createCommand",
            "summary": "Send a command (take_snapshot, stop, adjust_hyperparams) to the run.",
            "security": _TOKEN,
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": _ref("NewCommand")}}},
            "responses": {
                "201": _json({"type": "object", "required": ["command"],
                              "additionalProperties": False,
                              "properties": {"command": _ref("Command")}}, "Sent."),
                **_errors(400, 403, 404, 409, 413),
            },
        },
    },
    "/": {
        "get": {
            "operationId": "getPage",
            "summary": "The dashboard page (carries the token in a meta tag).",
            "responses": {"200": {"description": "The page.",
                                  "content": {"text/html": {"schema": {"type": "string"}}}}},
        },
    },
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "kusari-ui",
        "version": __version__,
        "description": (
            "REST API of the kusari-ui dashboard. Requests that change state (POST, PATCH, "
            f"DELETE) need the header {TOKEN_HEADER} with the server's token (403 without "
            "it). Errors are {\"error\": \"<what>: <expected> (<got>)\"}. JSON is strict: "
            "series hold null for non-finite values; last/best/args hold the strings NaN, "
            "Infinity, -Infinity."
        ),
    },
    "paths": _PATHS,
    "components": {
        "schemas": _SCHEMAS,
        "securitySchemes": {
            "token": {"type": "apiKey", "in": "header", "name": TOKEN_HEADER},
        },
        "responses": {
            name: _json(_ref("Error"), text) for name, text in (
                ("BadRequest", "Malformed input."),
                ("Forbidden", f"Missing or wrong {TOKEN_HEADER}."),
                ("NotFound", "No such project, result or file."),
                ("Conflict", "Already registered, or the result folder is gone."),
                ("TooLarge", "Request body over 1 MiB."),
            )
        },
    },
}


@api_blueprint.get("/openapi.json")
def openapi_document() -> Response:
    """Serve the OpenAPI document."""
    return json_response(OPENAPI)
