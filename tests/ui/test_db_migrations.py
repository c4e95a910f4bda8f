import sqlite3
from datetime import datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from kusari_ui import settings
from kusari_ui.db import Base, Project, Result, make_session_factory, open_database
from kusari_ui.db.database import MIGRATIONS_DIR


def _alembic_config(connection):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def test_open_database_creates_the_file_at_head_matching_the_models(tmp_path):
    root = tmp_path / "state" / "nested"
    engine = open_database(root)
    try:
        assert (root / "db.sqlite").is_file()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert context.get_current_revision() == "0001"
            assert compare_metadata(context, Base.metadata) == []
            assert set(inspect(connection).get_table_names()) == {
                "alembic_version", "projects", "results"}
    finally:
        engine.dispose()


def test_reopening_keeps_the_data_and_stays_at_head(tmp_path):
    engine = open_database(tmp_path)
    with make_session_factory(engine)() as session:
        session.add(Project(name="p", path="/x"))
        session.commit()
    engine.dispose()
    engine = open_database(tmp_path)
    try:
        with make_session_factory(engine)() as session:
            project = session.scalars(select(Project)).one()
            assert (project.name, project.path) == ("p", "/x")
            assert isinstance(project.created_at, datetime)
    finally:
        engine.dispose()


def test_downgrade_to_base_then_upgrade_again(tmp_path):
    engine = open_database(tmp_path)
    try:
        with engine.begin() as connection:
            command.downgrade(_alembic_config(connection), "base")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == {"alembic_version"}
        engine.dispose()
        engine = open_database(tmp_path)
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == "0001"
    finally:
        engine.dispose()


def test_deleting_a_project_deletes_its_results(tmp_path):
    engine = open_database(tmp_path)
    try:
        sessions = make_session_factory(engine)
        with sessions() as session:
            project = Project(name="p", path="/x")
            project.results.append(Result(path="a", is_hidden=False, is_missing=False))
            project.results.append(Result(path="b", is_hidden=False, is_missing=False))
            session.add(project)
            session.commit()
            session.delete(project)
            session.commit()
            assert session.scalars(select(Result)).all() == []
    finally:
        engine.dispose()


def test_result_paths_are_unique_per_project_and_foreign_keys_enforced(tmp_path):
    open_database(tmp_path).dispose()
    connection = sqlite3.connect(tmp_path / "db.sqlite")
    connection.execute("PRAGMA foreign_keys=ON")
    with pytest.raises(sqlite3.IntegrityError):
        connection.execute(
            "INSERT INTO results (project_id, path, is_hidden, is_missing, created_at, "
            "updated_at) VALUES (42, '.', 0, 0, '2024-01-01', '2024-01-01')")
    connection.execute("INSERT INTO projects (name, path, created_at) VALUES ('p', '/x', "
                       "'2024-01-01')")
    insert = ("INSERT INTO results (project_id, path, is_hidden, is_missing, created_at, "
              "updated_at) VALUES (1, '.', 0, 0, '2024-01-01', '2024-01-01')")
    connection.execute(insert)
    with pytest.raises(sqlite3.IntegrityError):
        connection.execute(insert)
    connection.close()


def test_state_root_comes_from_the_environment_or_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("KUSARI_UI_ROOT", str(tmp_path / "s"))
    assert settings.state_root() == tmp_path / "s"
    assert settings.database_url() == f"sqlite:///{tmp_path / 's' / 'db.sqlite'}"
    monkeypatch.delenv("KUSARI_UI_ROOT")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert settings.state_root() == tmp_path / "home" / ".kusari" / "ui"
    assert settings.state_root("~/elsewhere") == tmp_path / "home" / "elsewhere"
