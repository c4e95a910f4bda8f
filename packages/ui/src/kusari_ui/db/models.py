"""SQLAlchemy 2 models of the dashboard's state: registered projects and the results in them.

The schema is created and upgraded by the alembic migrations in ``kusari_ui/migrations``
(applied by :func:`kusari_ui.db.database.upgrade_database`), never by ``create_all``; a change
here needs a new migration there.
"""

from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Base", "Project", "Result", "utc_now"]


def utc_now() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    """Declarative base of the kusari-ui models."""


class Project(Base):
    """A registered folder; every sub-folder of it holding a ``log`` file is a result.

    Attributes:
        id (int): Primary key.
        name (str): Display name.
        path (str): Absolute, symlink-resolved path of the folder; unique.
        created_at (datetime.datetime): When the folder was registered (UTC).
        results (list[Result]): The results found in it; deleted with the project.
    """

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("path", name="uq_projects_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String, nullable=False)
    path: Mapped[str] = mapped_column(String, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utc_now)
    results: Mapped[list["Result"]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )


class Result(Base):
    """One result folder inside a project, as last seen by the crawler.

    Attributes:
        id (int): Primary key.
        project_id (int): The project it belongs to.
        path (str): Folder relative to the project folder, POSIX separators (``"."`` for the
            project folder itself); unique per project.
        name (str or None): Display name set by the user; ``None`` shows the default.
        is_hidden (bool): Hidden by the user from the default views.
        is_missing (bool): The folder (or its ``log``) has vanished; the row is kept.
        args (str or None): JSON text of the ``args`` file (an object), ``None`` when absent.
        args_mtime (float or None): Modification time of ``args`` when it was read.
        summary (str or None): JSON text of :func:`kusari_ui.logs.summarize` of the log.
        log_size (int or None): Size of ``log`` in bytes when it was summarized.
        log_mtime (float or None): Modification time of ``log`` (Unix seconds) then.
        created_at (datetime.datetime): When the crawler first saw it (UTC).
        updated_at (datetime.datetime): When the row last changed (UTC).
    """

    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("project_id", "path", name="uq_results_project_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", name="fk_results_project_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    path: Mapped[str] = mapped_column(String, nullable=False)
    name: Mapped[str | None] = mapped_column(String, nullable=True)
    is_hidden: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_missing: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    args: Mapped[str | None] = mapped_column(Text, nullable=True)
    args_mtime: Mapped[float | None] = mapped_column(Float, nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    log_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    log_mtime: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, default=utc_now, onupdate=utc_now
    )
    project: Mapped[Project] = relationship(back_populates="results")
