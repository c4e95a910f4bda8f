import subprocess
import sys

import pytest
from click.testing import CliRunner

from kusari_ui import cli


@pytest.fixture
def runner(ui_root):
    return CliRunner()


@pytest.fixture
def served(monkeypatch):
    calls = []

    def fake(kind):
        def serve(app, host, port):
            calls.append({"kind": kind, "app": app, "host": host, "port": port})
            app.extensions["kusari_ui"].engine.dispose()

        return serve

    monkeypatch.setitem(cli._SERVERS, "waitress", fake("waitress"))
    monkeypatch.setitem(cli._SERVERS, "dev", fake("dev"))
    return calls


def test_project_create_and_list(runner, ui_root, tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    result = runner.invoke(cli.main, ["project", "list"])
    assert result.exit_code == 0
    assert "no projects" in result.output
    result = runner.invoke(cli.main, ["project", "create", str(runs)])
    assert result.exit_code == 0, result.output
    assert f"created project 1: runs ({runs})" in result.output
    result = runner.invoke(cli.main, ["project", "create", str(tmp_path), "-n", "all runs"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli.main, ["project", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split("\t")[:3] == ["1", "runs", str(runs)]
    assert lines[1].split("\t")[:3] == ["2", "all runs", str(tmp_path)]
    assert (ui_root / "db.sqlite").is_file()


def test_project_create_refuses_duplicates_and_non_folders(runner, tmp_path):
    assert runner.invoke(cli.main, ["project", "create", str(tmp_path)]).exit_code == 0
    result = runner.invoke(cli.main, ["project", "create", str(tmp_path)])
    assert result.exit_code == 1
    assert "registered already" in result.output
    (tmp_path / "file").write_text("x")
    for bad in [str(tmp_path / "file"), str(tmp_path / "missing")]:
        result = runner.invoke(cli.main, ["project", "create", bad])
        assert result.exit_code == 2
    result = runner.invoke(cli.main, ["project", "create", str(tmp_path / "file"), "-n", ""])
    assert result.exit_code == 2


def test_project_create_refuses_an_empty_name(runner, tmp_path):
    result = runner.invoke(cli.main, ["project", "create", str(tmp_path), "-n", ""])
    assert result.exit_code == 1
    assert "name" in result.output


def test_project_list_marks_missing_folders(runner, tmp_path):
    folder = tmp_path / "gone"
    folder.mkdir()
    runner.invoke(cli.main, ["project", "create", str(folder)])
    folder.rmdir()
    assert "[folder missing]" in runner.invoke(cli.main, ["project", "list"]).output


def test_server_defaults_to_waitress_on_loopback(runner, served, ui_root):
    result = runner.invoke(cli.main, ["server"])
    assert result.exit_code == 0, result.output
    (call,) = served
    assert (call["kind"], call["host"], call["port"]) == ("waitress", "127.0.0.1", 5000)
    assert "http://127.0.0.1:5000/" in result.output
    assert "WARNING" not in result.output
    app = call["app"]
    assert app.config["KUSARI_UI_ROOT"] == str(ui_root)
    assert set(app.config["TRUSTED_HOSTS"]) >= {"localhost", "127.0.0.1"}
    assert len(app.config["KUSARI_UI_TOKEN"]) >= 32


def test_server_with_root_registers_it_once_and_prints_its_url(runner, served, tmp_path):
    results = tmp_path / "result"
    results.mkdir()
    (results / "log").write_text("[]")
    for _ in range(2):
        result = runner.invoke(cli.main, ["server", "--root", str(results), "--port", "8123"])
        assert result.exit_code == 0, result.output
        assert "http://127.0.0.1:8123/#/project/1" in result.output
    listed = runner.invoke(cli.main, ["project", "list"]).output.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [["1", "result"]]
    client = served[-1]["app"].test_client()
    assert client.get("/api/v1/projects/1/results").get_json()["results"][0]["path"] == "."


def test_server_root_must_be_a_folder(runner, served, tmp_path):
    result = runner.invoke(cli.main, ["server", "--root", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert served == []


@pytest.mark.parametrize("host,url", [("0.0.0.0", "http://127.0.0.1:5000/"),
                                      ("192.168.1.20", "http://192.168.1.20:5000/"),
                                      ("::", "http://[::1]:5000/"),
                                      ("example.org", "http://example.org:5000/")])
def test_server_on_a_public_address_warns_on_stderr(runner, served, host, url):
    result = runner.invoke(cli.main, ["server", "--host", host])
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.stderr and host in result.stderr
    assert "WARNING" not in result.stdout
    assert url in result.stdout
    assert served[0]["app"].config["TRUSTED_HOSTS"] is None


@pytest.mark.parametrize("host", ["localhost", "127.0.0.2", "::1"])
def test_loopback_hosts_do_not_warn(runner, served, host):
    result = runner.invoke(cli.main, ["server", "--host", host])
    assert result.exit_code == 0
    assert "WARNING" not in result.stderr
    assert host in served[0]["app"].config["TRUSTED_HOSTS"]


def test_server_dev_flag_and_port_check(runner, served):
    result = runner.invoke(cli.main, ["server", "--server", "dev", "--port", "5001"])
    assert result.exit_code == 0, result.output
    assert (served[0]["kind"], served[0]["port"]) == ("dev", 5001)
    assert runner.invoke(cli.main, ["server", "--port", "0"]).exit_code == 2
    assert runner.invoke(cli.main, ["server", "--port", "70000"]).exit_code == 2
    assert runner.invoke(cli.main, ["server", "--server", "gevent"]).exit_code == 2
    assert len(served) == 1


def test_serve_functions_call_waitress_and_flask(monkeypatch):
    import waitress

    calls = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: calls.append(("waitress", kw)))
    cli._serve_waitress("app", "127.0.0.1", 5000)

    class FakeApp:
        def run(self, **kw):
            calls.append(("dev", kw))

    cli._serve_dev(FakeApp(), "127.0.0.1", 5001)
    assert calls[0] == ("waitress", {"host": "127.0.0.1", "port": 5000, "threads": 8})
    assert calls[1][1]["port"] == 5001 and calls[1][1]["debug"] is False


def test_python_dash_m_runs_the_cli(ui_root):
    completed = subprocess.run([sys.executable, "-m", "kusari_ui", "--version"],
                               capture_output=True, text=True, check=True)
    assert "kusari-ui" in completed.stdout


def test_import_stays_light_and_the_server_never_imports_kusari(top_level_modules_after_import):
    assert top_level_modules_after_import("kusari_ui").isdisjoint(
        {"flask", "sqlalchemy", "alembic", "waitress", "kusari"})
    server_side = top_level_modules_after_import("kusari_ui.api")
    assert "flask" in server_side
    assert "kusari" not in server_side
