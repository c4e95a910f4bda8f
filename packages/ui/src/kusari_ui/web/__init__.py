"""The dashboard page: ``/`` renders ``templates/index.html`` with the server's token.

The token is the only value the server renders into the page; everything else (run names,
args, log keys) reaches the page as JSON from the API and is put into the DOM as text by
``static/app.js``. The static files (``static/``) are served by Flask at ``/static/``.
"""

from flask import Blueprint, Response, render_template

from kusari_ui.app import ui_state

__all__ = ["CONTENT_SECURITY_POLICY", "web_blueprint"]

# Scripts, styles and data only from this server; inline styles are allowed for the charts.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

web_blueprint = Blueprint("web", __name__)


@web_blueprint.get("/")
def index() -> Response:
    """Return the page, with the token in ``<meta name="kusari-ui-token">``."""
    response = Response(render_template("index.html", token=ui_state().token),
                        mimetype="text/html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
