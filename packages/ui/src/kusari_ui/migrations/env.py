"""Alembic environment: runs the migrations on the connection handed over in the config.

:func:`kusari_ui.db.upgrade_database` puts an open SQLAlchemy connection into
``config.attributes["connection"]``; without one (the ``alembic`` command line with a
``sqlalchemy.url`` option), an engine is made from that URL.
"""

from alembic import context
from sqlalchemy import Connection

from kusari_ui.db.database import make_engine
from kusari_ui.db.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    """Run the pending migrations on ``connection`` (batch mode, as SQLite needs for ALTER)."""
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_offline() -> None:
    """Emit the migrations as SQL text instead of running them (``alembic upgrade --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
elif config.attributes.get("connection") is not None:
    _run(config.attributes["connection"])
else:
    with make_engine(config.get_main_option("sqlalchemy.url")).begin() as _connection:
        _run(_connection)
