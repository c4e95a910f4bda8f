import io
import os

import numpy as np
import pytest


@pytest.fixture
def result_id(tmp_path, projects_dir, write_result, make_log, register, results_of):
    folder = write_result(
        projects_dir / "run",
        log=make_log(2),
        args={"a": 1},
        snapshots={"snapshot_iter_100": {"updater/iteration": 100},
                   "model_1": {"predictor/W": np.ones((2, 3))},
                   ".hidden_snapshot": {"x": 1}},
    )
    (folder / "notes.txt").write_text("not an archive")
    (folder / "kusari_ui").mkdir()
    secret = tmp_path / "secret.npz"
    np.savez(secret, x=np.arange(3))
    (folder / "linked_out").symlink_to(secret)
    (folder / "linked_in").symlink_to(folder / "model_1")
    write_result(projects_dir / "other", log=make_log(1),
                 snapshots={"snapshot_iter_5": {"x": 5}})
    project = register(projects_dir)
    return results_of(project["id"])["run"]["id"]


def test_list_snapshots(client, result_id, strict_json):
    snapshots = strict_json(client.get(f"/api/v1/results/{result_id}/snapshots"))["snapshots"]
    assert [s["name"] for s in snapshots] == ["linked_in", "model_1", "snapshot_iter_100"]
    for snapshot in snapshots:
        assert snapshot["size"] > 0
        assert snapshot["mtime"].endswith("+00:00")


def test_download_a_snapshot(client, result_id, projects_dir):
    response = client.get(f"/api/v1/results/{result_id}/snapshots/snapshot_iter_100")
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data() == (projects_dir / "run" / "snapshot_iter_100").read_bytes()
    with np.load(io.BytesIO(response.get_data())) as archive:
        assert int(archive["updater/iteration"]) == 100
    response.close()
    linked = client.get(f"/api/v1/results/{result_id}/snapshots/linked_in")
    assert linked.get_data() == (projects_dir / "run" / "model_1").read_bytes()
    linked.close()


@pytest.mark.parametrize("name", [
    "..",
    "../other/snapshot_iter_5",
    "..%2Fother%2Fsnapshot_iter_5",
    "%2e%2e%2fother%2fsnapshot_iter_5",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%2E%2E",
    "%252e%252e%252fargs",
    "..%5Cargs",
    "/etc/passwd",
    "%2Fetc%2Fpasswd",
    "%2F" + "%2F".join(os.path.realpath(__file__).lstrip("/").split("/")),
    "log",
    "args",
    "notes.txt",
    ".hidden_snapshot",
    "linked_out",
    "kusari_ui",
    "missing",
    "snapshot_iter_100%00",
    ".",
    "",
])
def test_download_outside_the_snapshots_is_404(client, result_id, name):
    response = client.get(f"/api/v1/results/{result_id}/snapshots/{name}")
    assert response.status_code == 404, name
    assert b"root:" not in response.get_data()


def test_download_of_an_unknown_result_is_404(client):
    assert client.get("/api/v1/results/9/snapshots/snapshot_iter_100").status_code == 404
    assert client.get("/api/v1/results/9/snapshots").status_code == 404


def test_result_folder_replaced_by_a_link_outside_is_404(client, tmp_path, projects_dir,
                                                         result_id):
    elsewhere = tmp_path / "elsewhere"
    (projects_dir / "run").rename(elsewhere)
    (projects_dir / "run").symlink_to(elsewhere, target_is_directory=True)
    assert client.get(f"/api/v1/results/{result_id}/snapshots").status_code == 404
    response = client.get(f"/api/v1/results/{result_id}/snapshots/snapshot_iter_100")
    assert response.status_code == 404
