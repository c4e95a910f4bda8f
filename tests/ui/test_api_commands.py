import json
import shutil

import pytest

from kusari_ui import protocol


@pytest.fixture
def run(projects_dir, write_result, make_log, register, results_of):
    folder = write_result(projects_dir / "run", log=make_log(2))
    project = register(projects_dir)
    return folder, results_of(project["id"])["run"]["id"]


def test_send_and_list_commands(client, auth, run, strict_json):
    folder, rid = run
    sent = []
    for body in [
        {"name": "take_snapshot"},
        {"name": "take_snapshot", "body": {"filename": "snap_{.updater.iteration:08d}"}},
        {"name": "adjust_hyperparams", "body": {"hyperparams": {"lr": 0.01, "amsgrad": True}},
         "schedule": {"key": "epoch", "value": 3}},
        {"name": "stop", "body": None, "schedule": None},
        {"name": "stop", "schedule": {"key": "iteration", "value": 500.0}},
    ]:
        response = client.post(f"/api/v1/results/{rid}/commands", json=body, headers=auth)
        assert response.status_code == 201, response.get_json()
        sent.append(strict_json(response)["command"])
    assert sent[0]["body"] == {} and sent[0]["schedule"] is None
    assert sent[2]["body"] == {"optimizer": "main", "hyperparams": {"lr": 0.01, "amsgrad": True}}
    assert sent[2]["schedule"] == {"key": "epoch", "value": 3}
    files = sorted(p.name for p in (folder / "kusari_ui" / "commands").iterdir())
    assert files == [f"{command['id']}.json" for command in sent]
    on_disk = json.loads((folder / "kusari_ui" / "commands" / files[1]).read_text())
    assert on_disk["body"] == {"filename": "snap_{.updater.iteration:08d}"}

    protocol.write_response(folder, sent[0]["id"], "applied", epoch=2, iteration=200,
                            result={"filename": "snapshot_iter_200", "loss": float("nan")})
    listed = strict_json(client.get(f"/api/v1/results/{rid}/commands"))["commands"]
    assert [command["id"] for command in listed] == [command["id"] for command in sent]
    assert listed[0]["response"]["status"] == "applied"
    assert listed[0]["response"]["result"] == {"filename": "snapshot_iter_200", "loss": "NaN"}
    assert [command["response"] for command in listed[1:]] == [None] * 4
    assert listed[4]["schedule"] == {"key": "iteration", "value": 500}


@pytest.mark.parametrize("body", [
    {},
    {"name": "explode"},
    {"name": 5},
    {"name": "stop", "body": {"now": True}},
    {"name": "stop", "body": []},
    {"name": "stop", "schedule": {"key": "epoch"}},
    {"name": "stop", "schedule": {"key": "wall", "value": 1}},
    {"name": "stop", "schedule": {"key": "epoch", "value": -1}},
    {"name": "stop", "schedule": {"key": "epoch", "value": 1.5}},
    {"name": "stop", "schedule": {"key": "epoch", "value": True}},
    {"name": "stop", "schedule": "now"},
    {"name": "stop", "extra": 1},
    {"name": "take_snapshot", "body": {"filename": "../escape"}},
    {"name": "take_snapshot", "body": {"filename": "/abs"}},
    {"name": "take_snapshot", "body": {"filename": "log"}},
    {"name": "take_snapshot", "body": {"filename": ".hidden"}},
    {"name": "take_snapshot", "body": {"filename": "{0.__class__}"}},
    {"name": "take_snapshot", "body": {"filename": "{.updater.__dict__}"}},
    {"name": "take_snapshot", "body": {"filename": "a{"}},
    {"name": "take_snapshot", "body": {"filename": "x" * 300}},
    {"name": "take_snapshot", "body": {"filename": 7}},
    {"name": "adjust_hyperparams"},
    {"name": "adjust_hyperparams", "body": {"hyperparams": {}}},
    {"name": "adjust_hyperparams", "body": {"hyperparams": {"lr": "fast"}}},
    {"name": "adjust_hyperparams", "body": {"hyperparams": {"lr": 10 ** 400}}},
    {"name": "adjust_hyperparams", "body": {"hyperparams": {"not valid": 1}}},
    {"name": "adjust_hyperparams", "body": {"hyperparams": {"lr": 0.1}, "optimizer": ""}},
    {"name": "adjust_hyperparams", "body": {"hyperparams": {"lr": 0.1}, "optimizer": "\ud800"}},
    ["stop"],
])
def test_invalid_commands_are_400_and_write_nothing(client, auth, run, body, strict_json):
    folder, rid = run
    response = client.post(f"/api/v1/results/{rid}/commands", json=body, headers=auth)
    assert response.status_code == 400, body
    assert strict_json(response)["error"]
    commands = folder / "kusari_ui" / "commands"
    assert not commands.exists() or not list(commands.glob("*.json"))


def test_commands_to_a_vanished_result_are_409(client, auth, run, tmp_path, results_of):
    folder, rid = run
    shutil.move(folder, tmp_path / "away")
    results_of(1)
    response = client.post(f"/api/v1/results/{rid}/commands", json={"name": "stop"},
                           headers=auth)
    assert response.status_code == 409
    assert client.get(f"/api/v1/results/{rid}/commands").get_json() == {"commands": []}


def test_commands_of_an_unknown_result_are_404(client, auth):
    assert client.get("/api/v1/results/3/commands").status_code == 404
    response = client.post("/api/v1/results/3/commands", json={"name": "stop"}, headers=auth)
    assert response.status_code == 404
