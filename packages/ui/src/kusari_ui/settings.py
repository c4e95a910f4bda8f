"""Where kusari-ui keeps its state: the state root and the SQLite database inside it.

The state root is ``$KUSARI_UI_ROOT`` when that environment variable is set and not empty,
else ``~/.kusari/ui``. It holds ``db.sqlite`` (the registered projects and what the crawler
found in them); the results themselves stay in their folders and are never copied.
"""

import os
from pathlib import Path

__all__ = ["DATABASE_NAME", "ROOT_ENV", "database_path", "database_url", "state_root"]

ROOT_ENV = "KUSARI_UI_ROOT"
DATABASE_NAME = "db.sqlite"


def state_root(root: str | os.PathLike[str] | None = None) -> Path:
    """Return the absolute state root folder (not created here).

    Args:
        root (str or os.PathLike or None): An explicit folder; ``None`` reads ``$KUSARI_UI_ROOT``
            and falls back to ``~/.kusari/ui``.

    Returns:
        pathlib.Path: The folder, absolute, with ``~`` expanded.
    """
    if root is None:
        root = os.environ.get(ROOT_ENV) or Path("~", ".kusari", "ui")
    return Path(root).expanduser().absolute()


def database_path(root: str | os.PathLike[str] | None = None) -> Path:
    """Return the path of the SQLite database file in the state root.

    Args:
        root (str or os.PathLike or None): As for :func:`state_root`.

    Returns:
        pathlib.Path: ``<state root>/db.sqlite``.
    """
    return state_root(root) / DATABASE_NAME


def database_url(root: str | os.PathLike[str] | None = None) -> str:
    """Return the SQLAlchemy URL of the database in the state root.

    Args:
        root (str or os.PathLike or None): As for :func:`state_root`.

    Returns:
        str: ``sqlite:///<state root>/db.sqlite``.
    """
    return f"sqlite:///{database_path(root)}"
