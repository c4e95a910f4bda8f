"""The folders the API fuzz test (test_fuzz_openapi.py) serves: projects of real results.

:func:`build_world` writes, under one temporary folder, a project whose result folders look
like a Kusari training wrote them (``log`` with NaN / Infinity tokens and non-numeric values,
``args``, NPZ and HDF5 snapshots, a ``kusari_ui/`` folder with a heartbeat, commands and
responses), plus the odd cases: a half-written log, a log that is not JSON, numbers beyond
float64 and int64, step keys that are not integers, a result folder that vanished, a hidden
folder, a symbolic link out of the result folder, protocol files of the wrong shape, a
``kusari_ui`` file where the folder would go. A second project holds one result. Both are
registered with a new dashboard app and crawled. The files are written as text so that the
fuzz test does not depend on the writers under test.
"""

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from flask import Flask
from flask.testing import FlaskClient

from kusari_ui import create_app

TOKEN = "fuzz-token"
TOKEN_HEADER = "X-Kusari-UI-Token"

# A log as json.dumps writes one with NaN / Infinity (not strict JSON, as Chainer's LogReport).
_LOG_A = """[
    {"epoch": 1, "iteration": 10, "elapsed_time": 0.5, "main/loss": 2.0,
     "main/accuracy": 0.1, "lr": 0.1, "note": "warm-up", "flag": true},
    {"epoch": 2, "iteration": 20, "elapsed_time": 1.0, "main/loss": NaN,
     "main/accuracy": 0.4, "lr": Infinity, "validation/main/loss": 1.5},
    {"epoch": 3, "iteration": 30, "elapsed_time": 1.5, "main/loss": 0.5,
     "main/accuracy": 0.7, "lr": -Infinity, "validation/main/loss": null},
    {"epoch": 4, "iteration": 40, "elapsed_time": 2.0, "main/loss": 1e308,
     "main/accuracy": 0.9, "lr": 0.01, "note": {"nested": [1, 2]}},
    "not an entry",
    {"epoch": 5, "iteration": 50, "elapsed_time": 2.5, "main/loss": -0.0,
     "main/accuracy": 1.0, "lr": 0.001}
]"""
# Cut in the middle of the third entry, as a reader may find a log being written.
_LOG_HALF = ('[{"iteration": 1, "main/loss": 3.0}, {"iteration": 2, "main/loss": 2.5}, '
             '{"iteration": 3, "main/lo')
_COMMAND_ID = "00000001700000000000-0123456789abcdef0123456789abcdef"
_SCHEDULED_ID = "00000001700000000001-fedcba9876543210fedcba9876543210"


@dataclass
class World:
    """An app over a state root with two projects of real result folders.

    Attributes:
        app (flask.Flask): The dashboard, token :data:`TOKEN`.
        base (pathlib.Path): The temporary folder everything is in.
        project (pathlib.Path): The registered project folder.
        project_ids (list[int]): Its id, then the id of a second project of one result.
        result_ids (dict[str, int]): Result path -> id in the first project (``gone`` is a
            missing result), then ``"other"`` -> the result of the second project.
        free_folders (list[pathlib.Path]): Unregistered folders inside ``base`` (201 once).
        not_folders (list[pathlib.Path]): A file and a path that does not exist (400).
        snapshot_names (list[str]): Names to ask the snapshot route for, good and bad.
    """

    app: Flask
    base: Path
    project: Path
    project_ids: list[int]
    result_ids: dict[str, int]
    free_folders: list[Path] = field(default_factory=list)
    not_folders: list[Path] = field(default_factory=list)
    snapshot_names: list[str] = field(default_factory=list)

    def files(self) -> set[str]:
        """Return every file and folder under :attr:`base`, relative, ``/``-separated."""
        return {path.relative_to(self.base).as_posix() for path in self.base.rglob("*")}


def _write_npz(path: Path, **arrays: Any) -> None:
    with open(path, "wb") as file:
        np.savez_compressed(file, **arrays)


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, allow_nan=False), encoding="utf-8")


def _write_results(project: Path, outside: Path) -> None:
    """Write the result folders of the project (see the module docstring)."""
    now = time.time()
    run_a = project / "run_a"
    run_a.mkdir(parents=True)
    (run_a / "log").write_text(_LOG_A, encoding="utf-8")
    (run_a / "args").write_text(
        '{"seed": 1, "lr": NaN, "batchsize": 32, "out": "result", "<script>": "x"}',
        encoding="utf-8",
    )
    _write_npz(run_a / "snapshot_iter_30", w=np.arange(3.0))
    (run_a / "model.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(8))
    (run_a / "notes.txt").write_text("not a snapshot", encoding="utf-8")
    (run_a / ".hidden_snapshot").write_bytes(b"PK\x05\x06" + bytes(18))
    (run_a / "escape").symlink_to(outside)
    commands = run_a / "kusari_ui" / "commands"
    _write_json(run_a / "kusari_ui" / "status.json", {
        "format": 1, "state": "running", "pid": 1, "host": "fuzz", "started_at": now - 60,
        "updated_at": now, "interval": 5.0, "epoch": 5, "iteration": 50, "error": None,
    })
    _write_json(commands / f"{_COMMAND_ID}.json", {
        "id": _COMMAND_ID, "name": "adjust_hyperparams",
        "body": {"optimizer": "main", "hyperparams": {"lr": 0.01}}, "schedule": None,
        "created_at": now - 30,
    })
    _write_json(commands / f"{_COMMAND_ID}.response.json", {
        "status": "applied", "epoch": 4, "iteration": 40, "time": now - 29,
        "result": {"lr": {"old": 0.1, "new": 0.01}, "eps": "NaN"}, "error": None,
    })
    _write_json(commands / f"{_SCHEDULED_ID}.json", {
        "id": _SCHEDULED_ID, "name": "stop", "body": {},
        "schedule": {"key": "epoch", "value": 100}, "created_at": now - 20,
    })
    _write_json(commands / f"{_SCHEDULED_ID}.response.json", {
        "status": "scheduled", "epoch": 4, "iteration": 40, "time": now - 19,
        "result": None, "error": None,
    })
    (commands / "broken.json").write_text("{", encoding="utf-8")
    (commands / ".tmp_half.json").write_text('{"id": ', encoding="utf-8")

    run_b = project / "run_b"
    run_b.mkdir()
    entries = [{"epoch": e, "iteration": 10 * e, "main/loss": 1.0 / e, "main/accuracy": 0.2 * e}
               for e in range(1, 4)]
    # Numbers beyond float64 (1e400 parses as inf without a NaN token) and beyond int64.
    (run_b / "log").write_text(json.dumps(entries)[:-1] + ', {"epoch": 4, "iteration": 1e400, '
                               '"main/loss": 100000000000000000000000000000, '
                               '"main/accuracy": -1e400}]', encoding="utf-8")
    (run_b / "args").write_text('{"seed": 2, "lr": 0.1, "batchsize": 32}', encoding="utf-8")
    _write_json(run_b / "kusari_ui" / "status.json", {
        "format": 1, "state": "crashed", "pid": 2, "host": "fuzz", "started_at": now - 600,
        "updated_at": now - 500, "interval": 5.0, "epoch": 3, "iteration": 30,
        "error": "RuntimeError: boom",
    })

    # Step keys that are not integers at the best entry.
    odd_steps = project / "odd_steps"
    odd_steps.mkdir()
    (odd_steps / "log").write_text(
        '[{"epoch": 0.5, "iteration": 1e400, "step": "x", "episode": 1000000000000000000000, '
        '"main/loss": 0.1}, {"epoch": 1, "iteration": 2, "main/loss": 0.2}]', encoding="utf-8")

    # Files of the commands protocol that no writer of the protocol would write.
    half = project / "nested" / "run_c"
    half.mkdir(parents=True)
    (half / "log").write_text(_LOG_HALF, encoding="utf-8")
    (half / "args").write_text("[1, 2]", encoding="utf-8")
    odd = half / "kusari_ui" / "commands"
    odd.mkdir(parents=True)
    (half / "kusari_ui" / "status.json").write_text(
        '{"format": 1, "state": "running", "updated_at": 1e400, "interval": "soon", '
        '"pid": null, "epoch": -1e400}', encoding="utf-8")
    (odd / f"{_COMMAND_ID}.json").write_text(
        f'{{"id": "{_COMMAND_ID}", "name": "stop", "body": {{}}, "schedule": null, '
        '"created_at": 1e400}', encoding="utf-8")
    (odd / f"{_SCHEDULED_ID}.json").write_text(
        f'{{"id": "{_SCHEDULED_ID}", "name": "no_such_command", "body": {{"x": 1e400}}, '
        '"schedule": {"key": "minute"}, "created_at": 1}', encoding="utf-8")
    (odd / f"{_SCHEDULED_ID}.response.json").write_text(
        '{"status": "applied", "epoch": 1, "iteration": 1, "time": 1e400, "result": [1], '
        '"error": 5}', encoding="utf-8")

    # The project folder is a result too: a log that is not JSON, and a kusari_ui file
    # where the commands folder would go.
    (project / "log").write_text("this is not JSON", encoding="utf-8")
    (project / "kusari_ui").write_text("not a folder", encoding="utf-8")
    (project / "gone").mkdir()
    (project / "gone" / "log").write_text('[{"epoch": 1, "main/loss": 1.0}]', encoding="utf-8")
    (project / ".hidden").mkdir()
    (project / ".hidden" / "log").write_text("[]", encoding="utf-8")


def _register(client: FlaskClient, folder: Path) -> int:
    created = client.post("/api/v1/projects", json={"path": str(folder)},
                          headers={TOKEN_HEADER: TOKEN})
    if created.status_code != 201:
        raise RuntimeError(f"build_world: registering {folder} failed: {created.get_json()}")
    return created.get_json()["project"]["id"]


def _crawl(client: FlaskClient, project_id: int) -> dict[str, int]:
    listed = client.get(f"/api/v1/projects/{project_id}/results")
    if listed.status_code != 200:
        raise RuntimeError(f"build_world: listing the results failed: {listed.get_json()}")
    return {result["path"]: result["id"] for result in listed.get_json()["results"]}


def build_world(base: Path, config: dict[str, Any] | None = None) -> World:
    """Write the folders under ``base``, register the projects with a new app and crawl them.

    Args:
        base (pathlib.Path): An empty temporary folder.
        config (dict or None): More settings for ``create_app``.

    Returns:
        World: The app and what is in it. The caller disposes of ``app``'s engine.
    """
    project = base / "project"
    outside = base / "outside.npz"
    _write_npz(outside, secret=np.zeros(2))
    _write_results(project, outside)
    free_folders = [base / "free_1", base / "free_2" / "deeper"]
    for folder in free_folders:
        folder.mkdir(parents=True)
    a_file = base / "a_file"
    a_file.write_text("not a folder", encoding="utf-8")

    other = base / "other"
    other.mkdir()
    (other / "log").write_text('[{"iteration": 5, "main/loss": 0.5}]', encoding="utf-8")

    app = create_app({"KUSARI_UI_ROOT": str(base / "state"), "KUSARI_UI_TOKEN": TOKEN,
                      "KUSARI_UI_READ_WAIT": None, **(config or {})})
    client = app.test_client()
    project_ids = [_register(client, project), _register(client, other)]
    result_ids = _crawl(client, project_ids[0])
    result_ids["other"] = _crawl(client, project_ids[1])["."]
    # Crawled once, then vanished: a result flagged missing.
    shutil.rmtree(project / "gone")
    _crawl(client, project_ids[0])
    return World(
        app=app,
        base=base,
        project=project,
        project_ids=project_ids,
        result_ids=result_ids,
        free_folders=free_folders,
        not_folders=[a_file, base / "does_not_exist"],
        snapshot_names=["snapshot_iter_30", "model.h5", "notes.txt", ".hidden_snapshot",
                        "escape", "log", "args", "kusari_ui", "..", ".", "%2e%2e",
                        "../run_b/log", str(outside)],
    )
