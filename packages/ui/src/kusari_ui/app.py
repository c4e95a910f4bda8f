"""The Flask application factory of the dashboard.

:func:`create_app` opens (and migrates) the database in the state root, makes the per-server
token, and registers the REST API (``/api/v1``) and the page (``/``). State-changing requests
under ``/api/`` (POST, PUT, PATCH, DELETE) must carry the token in the ``X-Kusari-UI-Token``
header; the page receives it in a ``<meta name="kusari-ui-token">`` tag. Errors under
``/api/`` are JSON objects ``{"error": "..."}``.
"""

import hmac
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException

from kusari_ui import settings
from kusari_ui.crawler import ReaderCache
from kusari_ui.db.database import make_session_factory, open_database

__all__ = ["TOKEN_HEADER", "ApiError", "UIState", "create_app", "db_session", "ui_state"]

TOKEN_HEADER = "X-Kusari-UI-Token"
_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_READ_WAIT = 0.5
_log = logging.getLogger(__name__)


class ApiError(HTTPException):
    """An error answered as ``{"error": message}`` with an HTTP status.

    Args:
        status (int): The HTTP status (400, 403, 404, 409, ...).
        message (str): ``"<what>: <expected> (<got>)"``.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(description=message)
        self.code = status


@dataclass
class UIState:
    """What one dashboard server keeps: stored in ``app.extensions["kusari_ui"]``.

    Attributes:
        root (pathlib.Path): The state root.
        engine (sqlalchemy.Engine): The database engine.
        sessions (sqlalchemy.orm.sessionmaker): Session factory bound to ``engine``.
        token (str): The token state-changing requests must carry.
        readers (ReaderCache): One log reader per log file, shared by all requests.
        sync_lock (threading.Lock): Held while a project folder is crawled into the database.
        read_wait (float or None): Seconds a request waits for log reads before it answers
            with the summaries it has (the reads go on in the background); ``None`` waits
            until they are done.
    """

    root: Path
    engine: Engine
    sessions: sessionmaker[Session]
    token: str
    readers: ReaderCache = field(default_factory=ReaderCache)
    sync_lock: threading.Lock = field(default_factory=threading.Lock)
    read_wait: float | None = DEFAULT_READ_WAIT

    def read_deadline(self) -> float | None:
        """The ``time.monotonic()`` deadline for a request's log reads (``None``: no limit)."""
        return None if self.read_wait is None else time.monotonic() + self.read_wait


def ui_state() -> UIState:
    """Return the :class:`UIState` of the current application."""
    return current_app.extensions["kusari_ui"]


def db_session() -> Session:
    """Return the database session of the current request (closed when the request ends)."""
    if "kusari_ui_session" not in g:
        g.kusari_ui_session = ui_state().sessions()
    return g.kusari_ui_session


def _close_session(exception: BaseException | None) -> None:
    """Close the request's session, if one was opened."""
    session = g.pop("kusari_ui_session", None)
    if session is not None:
        session.close()


def _token_matches(given: str | None, token: str) -> bool:
    """Compare the header value with the token in constant time."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


def _check_token() -> Response | None:
    """Refuse a state-changing API request without the right token (403)."""
    if request.method not in _STATE_CHANGING or not request.path.startswith("/api/"):
        return None
    if request.routing_exception is not None:
        # Unknown URL or method: let routing answer 404 / 405.
        return None
    if _token_matches(request.headers.get(TOKEN_HEADER), ui_state().token):
        return None
    return _json_error(
        403, f"{TOKEN_HEADER}: expected the token of this server in this header (missing or "
             "wrong); the page reads it from <meta name=\"kusari-ui-token\">"
    )


def _json_error(status: int, message: str) -> Response:
    """Return ``{"error": message}`` with ``status``."""
    response = current_app.json.response({"error": message})
    response.status_code = status
    return response


def _handle_http_exception(error: HTTPException) -> Response | HTTPException:
    """Answer errors under ``/api/`` as JSON, keeping their status and headers (e.g. Allow)."""
    if not request.path.startswith("/api/"):
        return error
    status = error.code or 500
    if isinstance(error, ApiError):
        message = error.description
    elif status >= 500:
        _log.error("kusari-ui: internal error on %s %s", request.method, request.path,
                   exc_info=getattr(error, "original_exception", None))
        message = f"{error.name}: the server failed on this request (see its log)"
    else:
        message = f"{error.name}: {error.description}"
    response = _json_error(status, message)
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the dashboard's Flask application.

    The database ``<state root>/db.sqlite`` is created if needed and migrated to the newest
    schema before the application is returned.

    Args:
        config (Mapping or None): Settings put into ``app.config``. Recognized keys:
            ``KUSARI_UI_ROOT`` (the state root; default ``$KUSARI_UI_ROOT`` or
            ``~/.kusari/ui``), ``KUSARI_UI_TOKEN`` (the token; default a new random one,
            which is right except in tests) and ``KUSARI_UI_READ_WAIT`` (seconds a results
            request waits for log reads, default 0.5; ``None`` waits until they are done).
            Other keys are plain Flask settings, e.g. ``TRUSTED_HOSTS``.

    Returns:
        flask.Flask: The application; ``app.config["KUSARI_UI_TOKEN"]`` holds the token and
        ``app.extensions["kusari_ui"]`` its :class:`UIState`.

    Raises:
        TypeError: ``config`` is not a mapping or the token is not a string.
        ValueError: The token is empty, or ``KUSARI_UI_READ_WAIT`` is negative.
        OSError: The state root cannot be created.
    """
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise TypeError(f"create_app: config must be a mapping ({type(config).__name__})")
    token = config.get("KUSARI_UI_TOKEN")
    if token is None:
        token = secrets.token_urlsafe(32)
    if not isinstance(token, str) or not token or not token.isascii():
        raise ValueError(f"create_app: KUSARI_UI_TOKEN must be a non-empty ASCII string "
                         f"({token!r})")
    root = settings.state_root(config.get("KUSARI_UI_ROOT"))
    read_wait = config.get("KUSARI_UI_READ_WAIT", DEFAULT_READ_WAIT)
    if read_wait is not None and (not isinstance(read_wait, (int, float))
                                  or isinstance(read_wait, bool) or not read_wait >= 0):
        raise ValueError(f"create_app: KUSARI_UI_READ_WAIT must be a number >= 0 or None "
                         f"({read_wait!r})")

    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config["MAX_CONTENT_LENGTH"] = _MAX_BODY_BYTES
    app.json.sort_keys = False
    app.config.update(config)
    app.config["KUSARI_UI_ROOT"] = str(root)
    app.config["KUSARI_UI_TOKEN"] = token

    engine = open_database(root)
    app.extensions["kusari_ui"] = UIState(
        root=root, engine=engine, sessions=make_session_factory(engine), token=token,
        read_wait=read_wait,
    )

    from kusari_ui.api import api_blueprint
    from kusari_ui.web import web_blueprint

    app.register_blueprint(api_blueprint)
    app.register_blueprint(web_blueprint)
    app.before_request(_check_token)
    app.teardown_appcontext(_close_session)
    app.register_error_handler(HTTPException, _handle_http_exception)
    return app
