import copy
import math
import re

import pytest

from kusari_ui.api import OPENAPI
from kusari_ui.api.openapi import SNAPSHOT_FILENAME_PATTERN

_METHODS = {"get", "post", "put", "patch", "delete"}


def _template(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_the_document_is_served_and_is_valid_openapi(client, strict_json):
    validator = pytest.importorskip("openapi_spec_validator")
    document = strict_json(client.get("/api/v1/openapi.json"))
    assert document == OPENAPI
    validator.validate(copy.deepcopy(document))


def test_every_route_is_documented_and_every_documented_route_exists(app):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods & {m.upper() for m in _METHODS}:
            routes.add((_template(rule.rule), method.lower()))
    documented = {(path, method) for path, item in OPENAPI["paths"].items()
                  for method in item if method in _METHODS}
    assert routes == documented


def test_state_changing_operations_declare_the_token(app):
    for path, item in OPENAPI["paths"].items():
        for method, operation in item.items():
            if method in {"post", "put", "patch", "delete"}:
                assert operation["security"] == [{"token": []}], (method, path)
                assert "403" in operation["responses"]
            elif method == "get":
                assert "security" not in operation


def _validator(schema):
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    return jsonschema_rs.Draft202012Validator(
        {**schema, "components": OPENAPI["components"]}, validate_formats=True)


def _check(response, method, path):
    operation = OPENAPI["paths"][path][method]
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, (method, path, response.status_code, response.get_json())
    if "$ref" in documented:
        documented = OPENAPI["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    content = documented.get("content")
    if content is None:
        assert response.get_data() == b""
        return
    assert response.mimetype in content, (response.mimetype, list(content))
    if response.mimetype == "application/json":
        _validator(content["application/json"]["schema"]).validate(response.get_json())


def test_responses_match_the_document(client, auth, projects_dir, write_result, make_log,
                                      tmp_path):
    write_result(projects_dir / "a", log=make_log(3, nan_at=(1,), lr=lambda e: math.inf),
                 args={"seed": 1, "x": math.nan}, snapshots={"snapshot_iter_1": {"x": 1}})
    write_result(projects_dir / "b", log=make_log(2), args={"seed": 2})
    steps = [
        ("get", "/api/v1/openapi.json", "/api/v1/openapi.json", {}),
        ("get", "/api/v1/projects", "/api/v1/projects", {}),
        ("post", "/api/v1/projects", "/api/v1/projects", {"json": {"path": str(projects_dir)}}),
        ("post", "/api/v1/projects", "/api/v1/projects", {"json": {"path": str(projects_dir)}}),
        ("post", "/api/v1/projects", "/api/v1/projects", {"json": {"path": "/nope/nope"}}),
        ("post", "/api/v1/projects", "/api/v1/projects", {"json": {"path": str(tmp_path)},
                                                          "headers": {}}),
        ("get", "/api/v1/projects/{pid}", "/api/v1/projects/1", {}),
        ("get", "/api/v1/projects/{pid}", "/api/v1/projects/7", {}),
        ("get", "/api/v1/projects/{pid}/results", "/api/v1/projects/1/results", {}),
        ("get", "/api/v1/results/{rid}", "/api/v1/results/1", {}),
        ("patch", "/api/v1/results/{rid}", "/api/v1/results/1",
         {"json": {"name": "A", "is_hidden": True}}),
        ("patch", "/api/v1/results/{rid}", "/api/v1/results/1", {"json": {"name": 1}}),
        ("get", "/api/v1/results/{rid}/log", "/api/v1/results/1/log", {}),
        ("get", "/api/v1/results/{rid}/log", "/api/v1/results/1/log?keys=lr&points=3", {}),
        ("get", "/api/v1/results/{rid}/log", "/api/v1/results/1/log?points=x", {}),
        ("get", "/api/v1/results/{rid}/args", "/api/v1/results/1/args", {}),
        ("get", "/api/v1/results/{rid}/snapshots", "/api/v1/results/1/snapshots", {}),
        ("get", "/api/v1/results/{rid}/snapshots/{name}",
         "/api/v1/results/1/snapshots/snapshot_iter_1", {}),
        ("get", "/api/v1/results/{rid}/snapshots/{name}", "/api/v1/results/1/snapshots/log",
         {}),
        ("post", "/api/v1/results/{rid}/commands", "/api/v1/results/1/commands",
         {"json": {"name": "take_snapshot", "body": {"filename": "s_{.updater.epoch}"}}}),
        ("post", "/api/v1/results/{rid}/commands", "/api/v1/results/1/commands",
         {"json": {"name": "take_snapshot", "body": {"filename": "{0.__init__}"}}}),
        ("get", "/api/v1/results/{rid}/commands", "/api/v1/results/1/commands", {}),
        ("get", "/api/v1/projects/{pid}/aggregate",
         "/api/v1/projects/1/aggregate?results=1,2&key=main/loss", {}),
        ("get", "/api/v1/projects/{pid}/aggregate",
         "/api/v1/projects/1/aggregate?results=1,9&key=main/loss", {}),
        ("get", "/api/v1/projects/{pid}/export.csv",
         "/api/v1/projects/1/export.csv?results=1,2", {}),
        ("get", "/", "/", {}),
        ("delete", "/api/v1/projects/{pid}", "/api/v1/projects/1", {}),
    ]
    for method, path, url, kwargs in steps:
        kwargs.setdefault("headers", auth)
        response = getattr(client, method)(url, **kwargs)
        _check(response, method, path)
        response.close()


@pytest.mark.parametrize("name,ok", [
    ("snapshot_iter_{.updater.iteration}", True),
    ("model_{.updater.epoch:04d}.npz", True),
    ("plain", True),
    ("{.a.b}", True),
    ("{.updater.iteration!r}", True),
    (".hidden", False),
    ("a/b", False),
    ("a\\b", False),
    ("{0.__class__}", False),
    ("{.x__y}", False),
    ("{.__dict__}", False),
    ("{}", False),
    ("a{", False),
    ("a}", False),
    ("{{escaped}}", False),
    ("x" * 255, True),
    ("x" * 256, False),
    ("a{.b}c{.d}", False),
    ("{.a}", True),
])
def test_snapshot_filename_pattern(name, ok):
    assert (re.fullmatch(SNAPSHOT_FILENAME_PATTERN[1:-1], name) is not None) is ok


def test_snapshot_filename_pattern_matches_at_most_255_characters():
    name = "a" + "_a" * 23
    longest = "a" * 100 + "{." + name + "." + name + "!r:" + "0" * 10 + "}" + "b" * 40
    assert len(longest) == 251
    assert re.fullmatch(SNAPSHOT_FILENAME_PATTERN[1:-1], longest)
