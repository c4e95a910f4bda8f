import json
import os
import threading
import time

import pytest
from sqlalchemy import select

from kusari_ui import crawler
from kusari_ui.crawler import (
    ProjectExistsError,
    ReaderCache,
    find_results,
    register_project,
    result_args,
    result_summary,
    sync_project,
)
from kusari_ui.db import Project, make_session_factory, open_database


@pytest.fixture
def session(tmp_path):
    engine = open_database(tmp_path / "state")
    with make_session_factory(engine)() as opened:
        yield opened
    engine.dispose()


def test_find_results_walks_subfolders_and_skips_hidden_and_links(tmp_path, write_result,
                                                                  make_log):
    root = tmp_path / "project"
    write_result(root, log=make_log(1))
    write_result(root / "a", log=make_log(1))
    write_result(root / "a" / "deeper" / "b", log=make_log(1))
    write_result(root / "no_log", args={"x": 1})
    write_result(root / ".tmp_log.abc", log=make_log(1))
    write_result(root / ".hidden" / "c", log=make_log(1))
    (root / "log_is_a_folder" / "log").mkdir(parents=True)
    outside = write_result(tmp_path / "outside", log=make_log(1))
    (root / "linked").symlink_to(outside, target_is_directory=True)
    write_result(root / "linked_log")
    (root / "linked_log" / "log").symlink_to(outside / "log")
    assert find_results(root) == [".", "a", "a/deeper/b"]


def test_find_results_of_a_missing_folder_is_empty(tmp_path):
    assert find_results(tmp_path / "nope") == []


def test_register_project_resolves_the_path_and_refuses_duplicates(tmp_path, session):
    folder = tmp_path / "runs"
    folder.mkdir()
    (tmp_path / "alias").symlink_to(folder, target_is_directory=True)
    project = register_project(session, tmp_path / "alias")
    assert (project.name, project.path) == ("runs", str(folder))
    with pytest.raises(ProjectExistsError) as raised:
        register_project(session, folder, "other")
    assert raised.value.project.id == project.id
    named = register_project(session, tmp_path, "my runs")
    assert named.name == "my runs"


@pytest.mark.parametrize("bad", ["", "does/not/exist", "file.txt", "a\0b"])
def test_register_project_refuses_what_is_not_a_folder(tmp_path, session, bad, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ValueError, match="register_project"):
        register_project(session, bad)
    assert session.scalars(select(Project)).all() == []


def test_register_project_refuses_a_bad_name(tmp_path, session):
    with pytest.raises(ValueError, match="name"):
        register_project(session, tmp_path, "")
    with pytest.raises(ValueError, match="name"):
        register_project(session, tmp_path, "x" * 2000)


def _project(session, folder):
    return register_project(session, folder)


def test_sync_adds_rows_with_summary_and_args(tmp_path, session, write_result, make_log):
    root = tmp_path / "p"
    write_result(root / "run1", log=make_log(3, nan_at=(2,)), args={"lr": 0.1, "seed": 1})
    write_result(root / "run2", log=make_log(2))
    project = _project(session, root)
    readers = ReaderCache()
    results = sync_project(session, project, readers)
    assert [result.path for result in results] == ["run1", "run2"]
    run1 = results[0]
    assert result_args(run1) == {"lr": 0.1, "seed": 1}
    summary = result_summary(run1)
    assert summary["n_entries"] == 3
    assert "main/loss" in summary["keys"]
    assert summary["best"]["main/loss"]["value"] == pytest.approx(0.5)
    assert run1.log_size == (root / "run1" / "log").stat().st_size
    assert result_args(results[1]) == {}
    assert len(readers) == 2


def test_sync_without_changes_reads_nothing(tmp_path, session, write_result, make_log,
                                            monkeypatch):
    root = tmp_path / "p"
    write_result(root / "run", log=make_log(3), args={"a": 1})
    project = _project(session, root)
    readers = ReaderCache()
    sync_project(session, project, readers)
    calls = []
    monkeypatch.setattr(crawler, "summarize", lambda table: calls.append(table))
    monkeypatch.setattr(crawler, "_read_args", lambda path: calls.append(path))
    before = session.scalars(select(crawler.Result)).one().updated_at
    (result,) = sync_project(session, project, readers)
    assert calls == []
    assert result.updated_at == before


def test_sync_reads_growth_and_new_args(tmp_path, session, write_result, make_log):
    root = tmp_path / "p"
    write_result(root, log=make_log(2), args={"a": 1}, mtime=time.time() - 100)
    project = _project(session, root)
    readers = ReaderCache()
    (result,) = sync_project(session, project, readers)
    assert result.path == "."
    assert result_summary(result)["n_entries"] == 2
    write_result(root, log=make_log(5), args={"a": 2})
    (result,) = sync_project(session, project, readers)
    assert result_summary(result)["n_entries"] == 5
    assert result_summary(result)["last"]["epoch"] == 5
    assert result_args(result) == {"a": 2}


def test_args_that_are_not_an_object_count_as_none(tmp_path, session, write_result, make_log):
    root = tmp_path / "p"
    write_result(root / "list", log=make_log(1))
    (root / "list" / "args").write_text("[1, 2]")
    write_result(root / "broken", log=make_log(1))
    (root / "broken" / "args").write_text("{not json")
    project = _project(session, root)
    results = sync_project(session, project, ReaderCache())
    assert [result_args(result) for result in results] == [{}, {}]


def test_vanished_folders_are_flagged_missing_then_restored(tmp_path, session, write_result,
                                                            make_log):
    root = tmp_path / "p"
    write_result(root / "keep", log=make_log(2))
    write_result(root / "gone", log=make_log(2))
    project = _project(session, root)
    readers = ReaderCache()
    sync_project(session, project, readers)
    os.rename(root / "gone", tmp_path / "moved")
    results = {result.path: result for result in sync_project(session, project, readers)}
    assert results["gone"].is_missing and not results["keep"].is_missing
    assert result_summary(results["gone"])["n_entries"] == 2
    os.rename(tmp_path / "moved", root / "gone")
    results = {result.path: result for result in sync_project(session, project, readers)}
    assert not results["gone"].is_missing
    os.rename(root, tmp_path / "whole_project_moved")
    results = sync_project(session, project, readers)
    assert [result.is_missing for result in results] == [True, True]


def test_sync_survives_a_truncated_rewrite(tmp_path, session, write_result, make_log):
    root = tmp_path / "p"
    write_result(root, log=make_log(6))
    project = _project(session, root)
    readers = ReaderCache()
    sync_project(session, project, readers)
    write_result(root, log=make_log(2))
    (result,) = sync_project(session, project, readers)
    assert result_summary(result)["n_entries"] == 2


def test_reader_cache_keeps_one_reader_per_path_and_drops_the_oldest(tmp_path):
    readers = ReaderCache(max_readers=2)
    with readers.open(tmp_path / "a" / "log") as first:
        pass
    with readers.open(str(tmp_path / "a" / ".." / "a" / "log")) as again:
        assert again is first
    with readers.open(tmp_path / "b" / "log"), readers.open(tmp_path / "c" / "log"):
        pass
    assert len(readers) == 2
    with readers.open(tmp_path / "a" / "log") as fresh:
        assert fresh is not first
    with pytest.raises(ValueError, match="ReaderCache"):
        ReaderCache(max_readers=0)


def test_reader_cache_serializes_updates_from_threads(tmp_path, write_result, make_log):
    write_result(tmp_path, log=make_log(50))
    readers = ReaderCache()
    counts = []
    errors = []

    def work():
        try:
            for _ in range(20):
                with readers.open(tmp_path / "log") as reader:
                    reader.update()
                    counts.append(reader.table.n_entries)
        except Exception as error:  # recorded for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(counts) == {50}


def test_summary_is_stored_as_json_text(tmp_path, session, write_result, make_log):
    root = tmp_path / "p"
    write_result(root, log=make_log(2, nan_at=(1,)))
    (result,) = sync_project(session, _project(session, root), ReaderCache())
    assert json.loads(result.summary)["n_entries"] == 2
