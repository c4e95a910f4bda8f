import csv
import io
import math
import os
import shutil
import threading
import time

import numpy as np
import pytest

from kusari_ui import crawler, create_app, protocol
from kusari_ui.logs import summarize


@pytest.fixture
def project(projects_dir, write_result, make_log, register):
    old = time.time() - 3600
    write_result(projects_dir / "seed1", log=make_log(4, nan_at=(1,)),
                 args={"lr": 0.1, "seed": 1, "ratio": math.inf}, mtime=old)
    write_result(projects_dir / "seed2", log=make_log(3), args={"lr": 0.1, "seed": 2},
                 mtime=old)
    return register(projects_dir)


def test_results_carry_summary_args_and_strict_values(client, project, results_of):
    results = results_of(project["id"])
    assert sorted(results) == ["seed1", "seed2"]
    seed1 = results["seed1"]
    assert seed1["name"] == "seed1"
    assert seed1["project_id"] == project["id"]
    assert seed1["args"] == {"lr": 0.1, "seed": 1, "ratio": "Infinity"}
    assert seed1["n_entries"] == 4
    assert {"main/loss", "main/accuracy"} <= set(seed1["keys"])
    assert seed1["x_keys"][:2] == ["epoch", "iteration"]
    assert seed1["last"]["main/loss"] == pytest.approx(0.25)
    assert seed1["last"]["epoch"] == 4
    best = seed1["best"]["main/loss"]
    assert (best["value"], best["mode"], best["index"], best["epoch"]) == (0.25, "min", 3, 4)
    assert seed1["best"]["main/accuracy"]["mode"] == "max"
    assert seed1["status"] == "unknown"
    assert seed1["heartbeat"] is None
    assert seed1["is_missing"] is False and seed1["is_hidden"] is False
    assert seed1["log_mtime"].endswith("+00:00")


def test_a_nan_last_value_is_sent_as_a_string(projects_dir, write_result, make_log, register,
                                              results_of):
    write_result(projects_dir, log=make_log(3, nan_at=(2,), lr=lambda e: -math.inf))
    project = register(projects_dir)
    (result,) = results_of(project["id"]).values()
    assert result["path"] == "."
    assert result["name"] == "results"
    assert result["last"]["main/loss"] == "NaN"
    assert result["last"]["lr"] == "-Infinity"
    assert result["best"]["main/loss"]["value"] == pytest.approx(0.5)


def test_chainerui_era_folder_status_by_log_age(projects_dir, write_result, register,
                                                results_of):
    entries = [{"main/loss": 0.5, "validation/main/loss": 0.6, "epoch": 1, "iteration": 600,
                "elapsed_time": 12.0}]
    write_result(projects_dir / "chainer_old", log=entries, args={"gpu": -1},
                 mtime=time.time() - 3 * 86400)
    write_result(projects_dir / "chainer_now", log=entries)
    project = register(projects_dir)
    results = results_of(project["id"])
    assert results["chainer_old"]["status"] == "unknown"
    assert results["chainer_now"]["status"] == "running"
    assert results["chainer_old"]["heartbeat"] is None
    assert results["chainer_old"]["last"]["validation/main/loss"] == 0.6


def test_status_from_the_heartbeat(projects_dir, write_result, make_log, register, results_of):
    now = time.time()
    for name, state, updated in [("done", "finished", now - 1000), ("live", "running", now),
                                 ("hung", "running", now - 1000),
                                 ("dead", "crashed", now - 5)]:
        folder = write_result(projects_dir / name, log=make_log(1))
        protocol.write_heartbeat(folder, state, started_at=now - 2000, interval=5.0, epoch=1,
                                 iteration=100, now=updated)
    project = register(projects_dir)
    results = results_of(project["id"])
    assert {name: r["status"] for name, r in results.items()} == {
        "done": "finished", "live": "running", "hung": "stale", "dead": "crashed"}
    assert results["live"]["heartbeat"]["state"] == "running"
    assert results["live"]["heartbeat"]["iteration"] == 100


def test_missing_folder_is_flagged_and_comes_back(client, projects_dir, project, results_of,
                                                  tmp_path):
    results_of(project["id"])
    shutil.move(projects_dir / "seed2", tmp_path / "away")
    results = results_of(project["id"])
    assert results["seed2"]["is_missing"] is True
    assert results["seed2"]["status"] == "unknown"
    assert results["seed2"]["n_entries"] == 3
    assert client.get(f"/api/v1/projects/{project['id']}").get_json()["project"][
        "results_count"] == 1
    rid = results["seed2"]["id"]
    assert client.get(f"/api/v1/results/{rid}").get_json()["result"]["is_missing"] is True
    assert client.get(f"/api/v1/results/{rid}/snapshots").get_json() == {"snapshots": []}
    shutil.move(tmp_path / "away", projects_dir / "seed2")
    assert client.get(f"/api/v1/results/{rid}").get_json()["result"]["is_missing"] is False


def test_get_result_refreshes_from_the_folder(client, projects_dir, project, results_of,
                                              write_result, make_log):
    rid = results_of(project["id"])["seed2"]["id"]
    write_result(projects_dir / "seed2", log=make_log(7))
    result = client.get(f"/api/v1/results/{rid}").get_json()["result"]
    assert result["n_entries"] == 7
    assert client.get("/api/v1/results/424242").status_code == 404


def test_patch_renames_and_hides(client, auth, project, results_of, strict_json):
    rid = results_of(project["id"])["seed1"]["id"]
    response = client.patch(f"/api/v1/results/{rid}", json={"name": "<b>best</b>"},
                            headers=auth)
    assert strict_json(response)["result"]["name"] == "<b>best</b>"
    response = client.patch(f"/api/v1/results/{rid}", json={"is_hidden": True}, headers=auth)
    result = strict_json(response)["result"]
    assert (result["name"], result["is_hidden"]) == ("<b>best</b>", True)
    assert results_of(project["id"])["seed1"]["is_hidden"] is True
    response = client.patch(f"/api/v1/results/{rid}", json={"name": None, "is_hidden": False},
                            headers=auth)
    assert strict_json(response)["result"]["name"] == "seed1"
    assert client.patch(f"/api/v1/results/{rid}", json={}, headers=auth).status_code == 200


@pytest.mark.parametrize("body", [
    {"name": ""}, {"name": 3}, {"name": ["x"]}, {"is_hidden": "yes"}, {"is_hidden": 1},
    {"is_hidden": None}, {"colour": "red"}, [], "x", None,
])
def test_patch_with_a_malformed_body_is_400(client, auth, project, results_of, body,
                                            strict_json):
    rid = results_of(project["id"])["seed1"]["id"]
    response = client.patch(f"/api/v1/results/{rid}", json=body, headers=auth)
    assert response.status_code == 400
    assert strict_json(response)["error"]
    assert results_of(project["id"])["seed1"]["name"] == "seed1"


def test_patch_an_unknown_result_is_404(client, auth):
    assert client.patch("/api/v1/results/5", json={}, headers=auth).status_code == 404


def test_log_series_defaults(client, project, results_of, strict_json):
    rid = results_of(project["id"])["seed1"]["id"]
    log = strict_json(client.get(f"/api/v1/results/{rid}/log"))
    assert log["x_key"] == "epoch"
    assert log["n_entries"] == 4
    series = {s["key"]: s for s in log["series"]}
    assert set(series) == {"main/loss", "main/accuracy"}
    assert series["main/loss"]["x"] == [1.0, 3.0, 4.0]
    np.testing.assert_allclose(series["main/loss"]["y"], [1.0, 1 / 3, 0.25])
    assert series["main/accuracy"]["x"] == [1.0, 2.0, 3.0, 4.0]


def test_log_series_with_keys_x_points_and_method(client, projects_dir, write_result,
                                                  register, results_of, strict_json):
    n = 5000
    y = np.sin(np.arange(n) / 50.0)
    y[1234] = 40.0
    entries = [{"iteration": i, "value": float(v), "main/loss": 1.0} for i, v in enumerate(y)]
    write_result(projects_dir, log=entries)
    rid = next(iter(results_of(register(projects_dir)["id"]).values()))["id"]
    for method in ("minmax", "lttb"):
        log = strict_json(client.get(
            f"/api/v1/results/{rid}/log?keys=value,missing&x=iteration&points=100"
            f"&method={method}"))
        assert log["x_key"] == "iteration"
        value, missing = log["series"]
        assert missing == {"key": "missing", "x": [], "y": []}
        assert 3 <= len(value["x"]) <= 100
        assert value["x"][0] == 0 and value["x"][-1] == n - 1
        assert 40.0 in value["y"]
    log = strict_json(client.get(f"/api/v1/results/{rid}/log?keys=value&x=iteration&method=none"
                                 "&points=3"))
    assert len(log["series"][0]["y"]) == n
    log = strict_json(client.get(f"/api/v1/results/{rid}/log?keys=value&x=epoch"))
    assert log["series"] == [{"key": "value", "x": [], "y": []}]
    assert strict_json(client.get(f"/api/v1/results/{rid}/log?keys="))["series"] == []


@pytest.mark.parametrize("query", [
    "points=abc", "points=2", "points=100001", "points=-5", "points=2.5", "points=1e3",
    "points=99999999999999999999999999", "points=", "points= 5", "points=%EF%BC%95",
    "x=loss", "x=", "method=cubic", "points=10&points=20", "keys=a&keys=b",
])
def test_log_with_bad_parameters_is_400(client, project, results_of, query, strict_json):
    rid = results_of(project["id"])["seed1"]["id"]
    response = client.get(f"/api/v1/results/{rid}/log?{query}")
    assert response.status_code == 400
    assert strict_json(response)["error"]


def test_log_of_an_unknown_result_is_404(client):
    assert client.get("/api/v1/results/77/log").status_code == 404


def test_args_endpoint(client, project, results_of, strict_json):
    results = results_of(project["id"])
    args = strict_json(client.get(f"/api/v1/results/{results['seed1']['id']}/args"))
    assert args == {"args": {"lr": 0.1, "seed": 1, "ratio": "Infinity"}}
    assert client.get("/api/v1/results/999/args").status_code == 404


def test_aggregate_mean_and_std_across_runs(client, project, results_of, strict_json):
    results = results_of(project["id"])
    ids = f"{results['seed1']['id']},{results['seed2']['id']}"
    stats = strict_json(client.get(
        f"/api/v1/projects/{project['id']}/aggregate?results={ids}&key=main/accuracy"))
    assert stats["x_key"] == "epoch" and stats["key"] == "main/accuracy"
    assert stats["x"] == [1.0, 2.0, 3.0, 4.0]
    assert stats["count"] == [2, 2, 2, 1]
    expected = [1 - 1 / (e + 1) for e in (1, 2, 3, 4)]
    np.testing.assert_allclose(stats["mean"], expected)
    np.testing.assert_allclose(stats["std"], [0, 0, 0, 0], atol=1e-12)
    stats = strict_json(client.get(
        f"/api/v1/projects/{project['id']}/aggregate?results={ids}&key=nothing&x=iteration"))
    assert (stats["x_key"], stats["x"], stats["count"]) == ("iteration", [], [])


@pytest.mark.parametrize("query,status", [
    ("key=main/loss", 400),
    ("results=1", 400),
    ("results=&key=a", 400),
    ("results=1,,2&key=a", 400),
    ("results=a&key=a", 400),
    ("results=1&key=", 400),
    ("results=1&key=a&points=1", 400),
    ("results=1&key=a&x=wall", 400),
    ("results=99&key=a", 404),
    ("results=0&key=a", 404),
    ("results=123456789012345678901234567890&key=a", 404),
])
def test_aggregate_with_bad_parameters(client, project, query, status, strict_json):
    response = client.get(f"/api/v1/projects/{project['id']}/aggregate?{query}")
    assert response.status_code == status
    assert strict_json(response)["error"]


def test_aggregate_refuses_results_of_another_project(client, project, tmp_path, write_result,
                                                      make_log, register, results_of):
    other = register(write_result(tmp_path / "other", log=make_log(2)))
    rid = results_of(other["id"])["."]["id"]
    response = client.get(f"/api/v1/projects/{project['id']}/aggregate?results={rid}&key=a")
    assert response.status_code == 404


def test_export_csv(client, project, results_of):
    results = results_of(project["id"])
    ids = f"{results['seed2']['id']},{results['seed1']['id']},{results['seed2']['id']}"
    response = client.get(f"/api/v1/projects/{project['id']}/export.csv?results={ids}"
                          "&keys=main/loss&x=iteration")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["result", "iteration", "main/loss"]
    assert [row[0] for row in rows[1:]] == ["seed2"] * 3 + ["seed1"] * 4
    assert [float(row[1]) for row in rows[1:4]] == [100, 200, 300]
    assert rows[5][2] == ""
    response = client.get(f"/api/v1/projects/{project['id']}/export.csv?results={ids}")
    header = next(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert header[:2] == ["result", "epoch"]
    assert set(header[2:]) == {"main/loss", "main/accuracy"}
    missing = client.get(f"/api/v1/projects/{project['id']}/export.csv")
    assert missing.status_code == 400


def test_a_log_being_written_is_read_as_far_as_it_goes(client, projects_dir, write_result,
                                                       make_log, register, results_of):
    text = (os.linesep.join(["[", '{"epoch": 1, "main/loss": 0.5},',
                             '{"epoch": 2, "main/loss": 0.4},', '{"epoch": 3, "main/lo']))
    write_result(projects_dir, log_text=text)
    results = results_of(register(projects_dir)["id"])
    assert results["."]["n_entries"] == 2
    write_result(projects_dir, log=make_log(3))
    assert results_of(1)["."]["n_entries"] == 3


def test_a_long_log_read_goes_on_in_the_background(ui_root, projects_dir, write_result,
                                                   make_log, monkeypatch):
    from kusari_ui import create_app

    release = threading.Event()

    def slow_summarize(table):
        release.wait(10)
        return summarize(table)

    monkeypatch.setattr(crawler, "summarize", slow_summarize)
    write_result(projects_dir / "big", log=make_log(3))
    app = create_app({"KUSARI_UI_ROOT": str(ui_root), "KUSARI_UI_TOKEN": "t",
                      "KUSARI_UI_READ_WAIT": 0.05})
    client = app.test_client()
    pid = client.post("/api/v1/projects", json={"path": str(projects_dir)},
                      headers={"X-Kusari-UI-Token": "t"}).get_json()["project"]["id"]
    try:
        (first,) = client.get(f"/api/v1/projects/{pid}/results").get_json()["results"]
        assert first["loading"] is True and first["n_entries"] == 0
    finally:
        release.set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        (result,) = client.get(f"/api/v1/projects/{pid}/results").get_json()["results"]
        if not result["loading"] and result["n_entries"]:
            break
        time.sleep(0.01)
    assert result["n_entries"] == 3 and result["loading"] is False
    app.extensions["kusari_ui"].engine.dispose()


def test_read_wait_must_be_a_number_or_none(ui_root):

    for bad in (-1, "0.5", True):
        with pytest.raises(ValueError, match="KUSARI_UI_READ_WAIT"):
            create_app({"KUSARI_UI_ROOT": str(ui_root), "KUSARI_UI_READ_WAIT": bad})
