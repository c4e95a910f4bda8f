"""The blueprint every API module adds its routes to."""

from flask import Blueprint

api_blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
