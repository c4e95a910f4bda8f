"""The dashboard's database: models, engine, and schema migrations applied at start."""

from kusari_ui.db.database import (
    make_engine,
    make_session_factory,
    open_database,
    upgrade_database,
)
from kusari_ui.db.models import Base, Project, Result

__all__ = [
    "Base",
    "Project",
    "Result",
    "make_engine",
    "make_session_factory",
    "open_database",
    "upgrade_database",
]
