"""Training dashboard for Kusari, after ChainerUI.

A Flask server (:func:`create_app`, the ``kusari-ui`` command) that shows training runs from
their result folders and sends them commands, and the trainer extension that writes them
(:mod:`kusari_ui.extensions`, the only part that imports Kusari). Importing this package is
cheap: the server's modules (Flask, SQLAlchemy) load on the first call of :func:`create_app`.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> "Flask":
    """Create the dashboard's Flask application; see :func:`kusari_ui.app.create_app`.

    Args:
        config (Mapping or None): ``KUSARI_UI_ROOT`` (state root), ``KUSARI_UI_TOKEN``
            (fixed token, for tests) and any Flask settings.

    Returns:
        flask.Flask: The application, its database migrated to the newest schema.
    """
    from kusari_ui.app import create_app as _create_app

    return _create_app(config)
