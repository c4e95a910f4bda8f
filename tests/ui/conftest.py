"""Fixtures of the kusari-ui tests (tests/ui and below).

State and apps:

* ``ui_root`` — a fresh state root folder (``tmp_path / "state"``); ``$KUSARI_UI_ROOT`` points to
  it for the test, so the CLI and ``create_app()`` without arguments use it too.
* ``app`` — ``create_app`` on ``ui_root`` with the fixed token :data:`TOKEN` (``"test-token"``)
  and ``TESTING``; its database engine is disposed after the test.
* ``client`` — ``app.test_client()``.
* ``auth`` — the headers a state-changing request needs: ``{"X-Kusari-UI-Token": TOKEN}``.

Result folders:

* ``projects_dir`` — an empty folder ``tmp_path / "results"`` to put result folders in.
* ``write_result`` — ``write_result(folder, log=..., args=..., snapshots=..., log_text=...,
  mtime=...) -> Path`` writes a fake result folder as Kusari's (and Chainer's) trainer does:
  ``log`` is a list of dicts written with ``json.dumps(indent=4)`` (NaN / Infinity become the
  bare tokens, as Python writes them) or, with ``log_text``, any text; ``args`` a dict; each
  ``snapshots`` item ``name: {key: array}`` an NPZ archive (``numpy.savez_compressed``).
  ``mtime`` (Unix seconds) backdates every file written (e.g. ``time.time() - 3600`` for a run
  that stopped an hour ago). Missing folders are created; returns the folder.
* ``make_log`` — ``make_log(n, nan_at=(), **keys)`` returns ``n`` log entries with epoch,
  iteration (100 per epoch), elapsed_time, ``main/loss = 1 / epoch`` and
  ``main/accuracy = 1 - 1 / (epoch + 1)``; indexes in ``nan_at`` get ``main/loss = NaN``;
  extra keyword arguments ``key=callable(epoch)`` add keys.
* ``register`` — ``register(folder, name=None) -> dict``: POSTs the folder to
  ``/api/v1/projects`` with the token, asserts 201 and returns the Project object.
* ``results_of`` — ``results_of(project_id) -> {path: Result}`` from
  ``GET /api/v1/projects/<id>/results``.
* ``strict_json`` — ``strict_json(response) -> object``: the body of a test-client response,
  asserting it is ``application/json`` without NaN / Infinity tokens (what a browser's
  ``JSON.parse`` accepts).
"""

import json
import math
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient

from kusari_ui import create_app

TOKEN = "test-token"
TOKEN_HEADER = "X-Kusari-UI-Token"


@pytest.fixture
def ui_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "state"
    monkeypatch.setenv("KUSARI_UI_ROOT", str(root))
    return root


@pytest.fixture
def app(ui_root: Path) -> Iterator[Flask]:
    application = create_app(
        # Requests wait for every log read, so a test sees each write in its next request.
        {"KUSARI_UI_ROOT": str(ui_root), "KUSARI_UI_TOKEN": TOKEN, "TESTING": True,
         "KUSARI_UI_READ_WAIT": None}
    )
    yield application
    application.extensions["kusari_ui"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth() -> dict[str, str]:
    return {TOKEN_HEADER: TOKEN}


@pytest.fixture
def projects_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    folder.mkdir()
    return folder


def _write_result(
    folder: str | os.PathLike[str],
    log: list[dict[str, Any]] | None = None,
    args: Mapping[str, Any] | None = None,
    snapshots: Mapping[str, Mapping[str, Any]] | None = None,
    log_text: str | None = None,
    mtime: float | None = None,
) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if log is not None or log_text is not None:
        text = log_text if log_text is not None else json.dumps(log, indent=4)
        (folder / "log").write_text(text, encoding="utf-8")
        written.append(folder / "log")
    if args is not None:
        (folder / "args").write_text(json.dumps(dict(args), indent=4), encoding="utf-8")
        written.append(folder / "args")
    for name, arrays in (snapshots or {}).items():
        with open(folder / name, "wb") as file:
            np.savez_compressed(file, **{key: np.asarray(value) for key, value in arrays.items()})
        written.append(folder / name)
    if mtime is not None:
        for path in written:
            os.utime(path, (mtime, mtime))
    return folder


@pytest.fixture
def write_result() -> Callable[..., Path]:
    return _write_result


def _make_log(n: int, nan_at: tuple[int, ...] = (), **keys: Callable[[int], Any]) -> list[dict]:
    entries = []
    for index in range(n):
        epoch = index + 1
        entry: dict[str, Any] = {
            "main/loss": math.nan if index in nan_at else 1.0 / epoch,
            "main/accuracy": 1.0 - 1.0 / (epoch + 1),
            "epoch": epoch,
            "iteration": 100 * epoch,
            "elapsed_time": 1.5 * epoch,
        }
        for key, make in keys.items():
            entry[key] = make(epoch)
        entries.append(entry)
    return entries


@pytest.fixture
def make_log() -> Callable[..., list[dict]]:
    return _make_log


@pytest.fixture
def register(client: FlaskClient, auth: dict[str, str]) -> Callable[..., dict]:
    def register_folder(folder: str | os.PathLike[str], name: str | None = None) -> dict:
        body: dict[str, Any] = {"path": str(folder)}
        if name is not None:
            body["name"] = name
        response = client.post("/api/v1/projects", json=body, headers=auth)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["project"]

    return register_folder


@pytest.fixture
def results_of(client: FlaskClient) -> Callable[[int], dict[str, dict]]:
    def results(project_id: int) -> dict[str, dict]:
        response = client.get(f"/api/v1/projects/{project_id}/results")
        assert response.status_code == 200, response.get_json()
        return {result["path"]: result for result in _strict_json(response)["results"]}

    return results


def _strict_json(response: Any) -> Any:
    def refuse(token: str) -> None:
        raise AssertionError(f"non-strict JSON token {token} in the response")

    assert response.mimetype == "application/json", response.mimetype
    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


@pytest.fixture
def strict_json() -> Callable[[Any], Any]:
    return _strict_json
