import json

import pytest


def test_register_list_get_delete(client, auth, projects_dir, write_result, make_log,
                                  strict_json):
    write_result(projects_dir / "run", log=make_log(2))
    assert strict_json(client.get("/api/v1/projects")) == {"projects": []}
    response = client.post("/api/v1/projects", json={"path": str(projects_dir)}, headers=auth)
    assert response.status_code == 201
    project = strict_json(response)["project"]
    assert project["name"] == "results"
    assert project["path"] == str(projects_dir)
    assert project["results_count"] == 0
    assert project["created_at"].endswith("+00:00")
    client.get(f"/api/v1/projects/{project['id']}/results")
    listed = strict_json(client.get("/api/v1/projects"))["projects"]
    assert [(p["id"], p["results_count"]) for p in listed] == [(project["id"], 1)]
    got = strict_json(client.get(f"/api/v1/projects/{project['id']}"))["project"]
    assert got["results_count"] == 1
    response = client.delete(f"/api/v1/projects/{project['id']}", headers=auth)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert client.get(f"/api/v1/projects/{project['id']}").status_code == 404
    assert (projects_dir / "run" / "log").is_file()
    assert client.delete(f"/api/v1/projects/{project['id']}", headers=auth).status_code == 404


def test_register_with_a_name_and_a_duplicate_is_409(client, auth, projects_dir, tmp_path,
                                                     strict_json):
    response = client.post("/api/v1/projects",
                           json={"path": str(projects_dir), "name": "sweep <1>"}, headers=auth)
    assert strict_json(response)["project"]["name"] == "sweep <1>"
    (tmp_path / "alias").symlink_to(projects_dir, target_is_directory=True)
    for path in (str(projects_dir), str(tmp_path / "alias"), str(projects_dir) + "/"):
        response = client.post("/api/v1/projects", json={"path": path}, headers=auth)
        assert response.status_code == 409
        assert "registered" in strict_json(response)["error"]


@pytest.mark.parametrize("path", ["missing", "file.txt", "", "a\u0000b", "x" * 5000])
def test_register_what_is_not_a_folder_is_400(client, auth, tmp_path, path, monkeypatch,
                                              strict_json):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    response = client.post("/api/v1/projects", json={"path": path}, headers=auth)
    assert response.status_code == 400
    assert strict_json(response)["error"].startswith("path: expected")
    assert strict_json(client.get("/api/v1/projects")) == {"projects": []}


@pytest.mark.parametrize("body", [
    {"path": 3},
    {"path": None},
    {"path": ["/tmp"]},
    {"name": "no path"},
    {"path": "/tmp", "name": ""},
    {"path": "/tmp", "name": 5},
    {"path": "/tmp", "name": "\ud800"},
    {"path": "/tmp", "unknown": 1},
    [],
    "text",
    None,
    7,
])
def test_register_with_a_malformed_body_is_400(client, auth, body, strict_json):
    response = client.post("/api/v1/projects", data=json.dumps(body), headers=auth,
                           content_type="application/json")
    assert response.status_code == 400
    assert "error" in strict_json(response)


@pytest.mark.parametrize("data", [b"", b"{", b"not json", b'{"path": NaN}', b"\xff\xfe\x00",
                                  b"[" * 100000])
def test_register_with_a_body_that_is_not_json_is_400(client, auth, data, strict_json):
    response = client.post("/api/v1/projects", data=data, headers=auth,
                           content_type="application/json")
    assert response.status_code == 400
    assert strict_json(response)["error"].startswith("request body")


def test_register_with_a_form_body_is_400(client, auth, projects_dir, strict_json):
    response = client.post("/api/v1/projects", data={"path": str(projects_dir)}, headers=auth)
    assert response.status_code == 400


def test_a_huge_body_is_413(client, auth, strict_json):
    response = client.post("/api/v1/projects", data=b" " * (2 * 1024 * 1024), headers=auth,
                           content_type="application/json")
    assert response.status_code == 413
    assert "error" in strict_json(response)


@pytest.mark.parametrize("url", [
    "/api/v1/projects/0",
    "/api/v1/projects/999",
    "/api/v1/projects/99999999999999999999999",
    "/api/v1/projects/-1",
    "/api/v1/projects/abc",
    "/api/v1/projects/999/results",
    "/api/v1/nothing",
])
def test_unknown_ids_and_urls_are_404_json(client, url, strict_json):
    response = client.get(url)
    assert response.status_code == 404
    assert "error" in strict_json(response)


def test_an_unsupported_method_is_405_json_with_allow(client, auth, strict_json):
    response = client.put("/api/v1/projects", json={}, headers=auth)
    assert response.status_code == 405
    assert "error" in strict_json(response)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert client.delete("/api/v1/projects").status_code == 405
