"""The SQLite engine of the state root and the migrations that bring its schema to head.

There is no separate "create the database" step: :func:`open_database` creates the file when
needed and runs every alembic migration not applied yet, each time a server or a CLI command
starts. The alembic configuration is built in code, so no ``alembic.ini`` is involved.
"""

import os
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from kusari_ui import settings

__all__ = ["MIGRATIONS_DIR", "make_engine", "make_session_factory", "open_database",
           "upgrade_database"]

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

# Seconds a connection waits for another writer's lock before giving up.
_BUSY_TIMEOUT = 30.0


def _enable_foreign_keys(dbapi_connection: sqlite3.Connection, connection_record: object) -> None:
    """Turn on SQLite's foreign key enforcement (off by default) for each new connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for a SQLite URL, usable from several threads.

    Args:
        url (str): A ``sqlite:///...`` URL.

    Returns:
        sqlalchemy.Engine: The engine; connections enforce foreign keys and wait up to 30 s
        for locks held by other writers.
    """
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": _BUSY_TIMEOUT}
    )
    event.listen(engine, "connect", _enable_foreign_keys)
    return engine


def upgrade_database(engine: Engine) -> None:
    """Apply every migration not applied yet (alembic ``upgrade head``).

    Args:
        engine (sqlalchemy.Engine): The database to upgrade.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to ``engine``; objects stay usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def open_database(root: str | os.PathLike[str] | None = None) -> Engine:
    """Create the state root if needed, open its database and upgrade it to head.

    Args:
        root (str or os.PathLike or None): The state root (see
            :func:`kusari_ui.settings.state_root`).

    Returns:
        sqlalchemy.Engine: The engine of ``<root>/db.sqlite``.

    Raises:
        OSError: The state root cannot be created.
    """
    folder = settings.state_root(root)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    engine = make_engine(settings.database_url(folder))
    upgrade_database(engine)
    return engine
