"""Fuzz the REST API with schemathesis against the OpenAPI document it serves.

Every operation of ``/api/v1/openapi.json`` (but GET of the document itself, which
schemathesis leaves out when it loads the document from that URL) is called with cases
schemathesis generates from the document (its examples, coverage and fuzzing phases; valid
and invalid inputs), on an app over projects of real result folders (see ``_fuzz_data.py``).
Each response must not be a 5xx, must have a documented status code and content type, and
must match the documented schema. Generated ids, query values and request bodies are mixed
with the real ones so that the cases reach past the 404 of an unknown id.

Passes:

* with the token on every request, every operation but DELETE (which would unregister the
  project the other cases need);
* DELETE with the token, on an app of its own;
* without the token, the state-changing operations.

A state-changing request that carried the token must never be refused with 403, and one that
did not (schemathesis also drops or empties the header in some cases) always is (or 404 / 405
for a URL or method without a route).

POST /projects registers whatever existing folder it is given; cases naming a folder outside
the test's temporary folder are sent with a path that does not exist instead, and after every
call the only new files under the temporary folder may be command files.
"""

import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from _fuzz_data import TOKEN, TOKEN_HEADER, World, build_world
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

SEED = 20240603
# Per operation and pass; with the coverage and examples phases this keeps the file under
# half a minute on two cores.
MAX_EXAMPLES = 40
MAX_EXAMPLES_WITHOUT_TOKEN = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OPENAPI_PATH = "/api/v1/openapi.json"
# Values for the key / keys query parameters: keys the logs have, and odd ones.
_KEYS = ["main/loss", "main/accuracy", "lr", "note", "epoch", "unknown"]
_KEY_LISTS = ["main/loss,lr", "lr,note,flag", ",", "", "main/loss,,epoch", "unknown"]
# What POST .../commands may write: the folders and files of the commands protocol.
_COMMAND_FILE = re.compile(r"(^|/)kusari_ui(/commands(/[^/]+)?)?$")


def _config(headers: dict[str, str], max_examples: int) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "headers": headers,
        "generation": {"mode": "all", "max-examples": max_examples, "deterministic": True,
                       "database": "none"},
        # Stateful sequences are left out: schemathesis' state machine over a server whose
        # state persists makes Hypothesis stop with FlakyStrategyDefinition.
        "phases": {"stateful": {"enabled": False}},
    })


def _real_parameters(world: World) -> list[dict[str, Any]]:
    """Return sets of real path and query parameter values that go together.

    One set per project x results list x key x keys (the names of the parameters are unique
    across the API), and one per result x snapshot name, favouring the result with snapshots.
    """
    ids = sorted(world.result_ids.values())
    sets = []
    for project_id in world.project_ids:
        own = [rid for path, rid in world.result_ids.items()
               if (path == "other") == (project_id != world.project_ids[0])]
        lists = [*(",".join(map(str, own[:n])) for n in range(1, len(own) + 1)),
                 f"{own[-1]},{own[0]},{own[-1]}", ",".join(map(str, ids))]
        for results, key, keys in itertools.product(lists, _KEYS, _KEY_LISTS):
            sets.append({"pid": project_id, "results": results, "key": key, "keys": keys})
    with_snapshots = world.result_ids["run_a"]
    sets += [{"rid": with_snapshots, "name": name} for name in world.snapshot_names]
    sets += [{"rid": rid, "name": world.snapshot_names[0]} for rid in ids]
    return sets


def _load_schema(world: World, headers: dict[str, str],
                 max_examples: int) -> schemathesis.BaseSchema:
    """Load the served document and steer half of the cases towards the world's real values.

    In those cases the path and query parameters naming a project, results, a snapshot or log
    keys get real values that go together (so that a request reaches past 404 with its other
    parameters as generated), and POST /projects gets a real folder.
    """
    schema = schemathesis.openapi.from_wsgi(OPENAPI_PATH, world.app,
                                            config=_config(headers, max_examples))
    parameter_sets = _real_parameters(world)
    folders = [str(path) for path in (world.project, *world.free_folders, *world.not_folders)]

    @schema.hook("flatmap_case")
    def with_real_values(context: Any, case: Any) -> st.SearchStrategy:
        containers = [name for name in ("path_parameters", "query")
                      if isinstance(getattr(case, name), dict)]
        present = {name for container in containers for name in getattr(case, container)}
        relevant = [values for values in parameter_sets if present & values.keys()]
        if (case.method.upper(), case.path) == ("POST", "/api/v1/projects"):
            real = st.sampled_from(folders).map(lambda folder: {"body": {"path": folder}})
        elif relevant:
            real = st.sampled_from(relevant).map(lambda values: {
                container: {**getattr(case, container),
                            **{name: value for name, value in values.items()
                               if name in getattr(case, container)}}
                for container in containers
            })
        else:
            return st.just(case)

        def substitute(values: dict[str, Any] | None) -> Any:
            for container, value in (values or {}).items():
                setattr(case, container, value)
            return case

        return st.one_of(st.none(), real).map(substitute)

    return schema


def _inside(path: str, folder: Path) -> bool:
    try:
        return os.path.commonpath([path, str(folder)]) == str(folder)
    except ValueError:
        return False


def _confine(case: Any, world: World) -> None:
    """Keep POST /projects from registering a folder outside the world's temporary folder."""
    if (case.method.upper(), case.path) != ("POST", "/api/v1/projects"):
        return
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("path"), str):
        return
    try:
        real = os.path.realpath(os.path.expanduser(body["path"]))
        is_folder = os.path.isdir(real)
    except ValueError:
        return
    if is_folder and not _inside(real, world.base.resolve()):
        case.body = {**body, "path": str(world.base / "does_not_exist")}


def _call(case: Any, world: World, before: set[str]) -> Any:
    """Send the case and check the response and what the request left on disk.

    Besides the schemathesis checks: a state-changing request that carried the token is never
    refused with 403, one without it (or with another value) always is (404 / 405 when the URL
    or method has no route), a registered project lies inside the world's folder, and the only
    new files are those of the commands protocol.
    """
    _confine(case, world)
    response = case.call_and_validate(checks=CHECKS)
    request = response.request
    if request.method.upper() in STATE_CHANGING:
        if request.headers.get(TOKEN_HEADER) == TOKEN:
            assert response.status_code != 403, response.text
        else:
            assert response.status_code in (403, 404, 405), response.text
    if response.status_code == 201 and request.method.upper() == "POST" and (
            case.path == "/api/v1/projects"):
        assert _inside(response.json()["project"]["path"], world.base.resolve()), response.text
    written = sorted(path for path in world.files() - before
                     if _COMMAND_FILE.search(path) is None)
    assert not written, written
    return response


def _serve(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[World]:
    world = build_world(tmp_path_factory.mktemp(name))
    yield world
    world.app.extensions["kusari_ui"].engine.dispose()


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from _serve(tmp_path_factory, "fuzz")


@pytest.fixture(scope="module")
def fuzz_world_files(fuzz_world: World) -> set[str]:
    return fuzz_world.files()


@pytest.fixture(scope="module")
def delete_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from _serve(tmp_path_factory, "fuzz_delete")


@pytest.fixture(scope="module")
def token_schema(fuzz_world: World) -> schemathesis.BaseSchema:
    return _load_schema(fuzz_world, {TOKEN_HEADER: TOKEN}, MAX_EXAMPLES)


@pytest.fixture(scope="module")
def delete_schema(delete_world: World) -> schemathesis.BaseSchema:
    return _load_schema(delete_world, {TOKEN_HEADER: TOKEN}, MAX_EXAMPLES)


@pytest.fixture(scope="module")
def no_token_schema(fuzz_world: World) -> schemathesis.BaseSchema:
    return _load_schema(fuzz_world, {}, MAX_EXAMPLES_WITHOUT_TOKEN)


with_token = schemathesis.pytest.from_fixture("token_schema")
deleting = schemathesis.pytest.from_fixture("delete_schema")
without_token = schemathesis.pytest.from_fixture("no_token_schema")


@with_token.exclude(method="DELETE").parametrize()
def test_api_with_the_token(case, fuzz_world, fuzz_world_files):
    _call(case, fuzz_world, fuzz_world_files)


@deleting.include(method="DELETE").parametrize()
def test_delete_with_the_token(case, delete_world):
    _call(case, delete_world, delete_world.files())


@without_token.include(method=["POST", "PATCH", "DELETE"]).parametrize()
def test_state_changing_requests_without_the_token_are_refused(case, fuzz_world,
                                                               fuzz_world_files):
    _call(case, fuzz_world, fuzz_world_files)

