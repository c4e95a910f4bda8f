import html
import re

import pytest

from kusari_ui import create_app

WRONG = [{}, {"X-Kusari-UI-Token": ""}, {"X-Kusari-UI-Token": "test-token "},
         {"X-Kusari-UI-Token": "TEST-TOKEN"}, {"X-Kusari-UI-Token": "t\u00e9st"},
         {"x-kusari-ui-token-2": "test-token"}]


@pytest.fixture
def result_id(projects_dir, write_result, make_log, register, results_of):
    write_result(projects_dir / "run", log=make_log(2))
    project = register(projects_dir)
    return project["id"], results_of(project["id"])["run"]["id"]


@pytest.mark.parametrize("headers", WRONG)
def test_state_changing_requests_without_the_token_are_403(client, result_id, headers,
                                                           projects_dir, tmp_path,
                                                           strict_json):
    pid, rid = result_id
    requests = [
        ("post", "/api/v1/projects", {"path": str(tmp_path)}),
        ("patch", f"/api/v1/results/{rid}", {"name": "renamed"}),
        ("post", f"/api/v1/results/{rid}/commands", {"name": "stop"}),
        ("delete", f"/api/v1/projects/{pid}", None),
        ("delete", "/api/v1/projects/999", None),
    ]
    for method, url, body in requests:
        response = getattr(client, method)(url, json=body, headers=headers)
        assert response.status_code == 403, (method, url)
        assert "X-Kusari-UI-Token" in strict_json(response)["error"]
    assert len(client.get("/api/v1/projects").get_json()["projects"]) == 1
    assert client.get(f"/api/v1/results/{rid}").get_json()["result"]["name"] == "run"
    assert client.get(f"/api/v1/results/{rid}/commands").get_json() == {"commands": []}
    assert not (projects_dir / "run" / "kusari_ui").exists()


def test_reads_need_no_token(client, result_id):
    pid, rid = result_id
    for url in ["/", "/api/v1/openapi.json", "/api/v1/projects", f"/api/v1/projects/{pid}",
                f"/api/v1/projects/{pid}/results", f"/api/v1/results/{rid}",
                f"/api/v1/results/{rid}/log", f"/api/v1/results/{rid}/args",
                f"/api/v1/results/{rid}/snapshots", f"/api/v1/results/{rid}/commands"]:
        assert client.get(url).status_code == 200, url


def test_the_page_carries_the_token_in_a_meta_tag(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    match = re.search(r'<meta name="kusari-ui-token" content="([^"]*)">', page)
    assert match is not None and html.unescape(match.group(1)) == "test-token"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_each_server_makes_its_own_random_token(tmp_path):
    apps = [create_app({"KUSARI_UI_ROOT": str(tmp_path)}) for _ in range(2)]
    tokens = [app.config["KUSARI_UI_TOKEN"] for app in apps]
    for app in apps:
        page = app.test_client().get("/").get_data(as_text=True)
        assert f'content="{app.config["KUSARI_UI_TOKEN"]}"' in page
        app.extensions["kusari_ui"].engine.dispose()
    assert tokens[0] != tokens[1] and min(len(token) for token in tokens) >= 32


@pytest.mark.parametrize("bad", ["", 5, "caf\u00e9"])
def test_create_app_refuses_a_bad_token(tmp_path, bad):
    with pytest.raises(ValueError, match="KUSARI_UI_TOKEN"):
        create_app({"KUSARI_UI_ROOT": str(tmp_path), "KUSARI_UI_TOKEN": bad})


def test_create_app_refuses_a_config_that_is_not_a_mapping():
    with pytest.raises(TypeError, match="create_app"):
        create_app(["KUSARI_UI_ROOT"])


def test_names_reach_the_page_only_as_json(client, auth, projects_dir, write_result, make_log,
                                           register, results_of, strict_json):
    evil = "<script>alert('x')</script>"
    write_result(projects_dir / evil.replace("/", "_"), log=make_log(1, **{evil: lambda e: 1}),
                 args={evil: evil})
    project = register(projects_dir, name=evil)
    (result,) = results_of(project["id"]).values()
    client.patch(f"/api/v1/results/{result['id']}", json={"name": evil}, headers=auth)
    page = client.get("/").get_data(as_text=True)
    assert "alert(" not in page
    result = strict_json(client.get(f"/api/v1/results/{result['id']}"))["result"]
    assert result["name"] == evil
    assert result["args"] == {evil: evil}
    assert evil in result["keys"]


def test_trusted_hosts_refuse_other_host_headers(tmp_path):
    app = create_app({"KUSARI_UI_ROOT": str(tmp_path), "TRUSTED_HOSTS": ["localhost"]})
    client = app.test_client()
    assert client.get("/api/v1/projects", headers={"Host": "localhost:5000"}).status_code == 200
    response = client.get("/api/v1/projects", headers={"Host": "evil.example:5000"})
    assert response.status_code == 400
    app.extensions["kusari_ui"].engine.dispose()
