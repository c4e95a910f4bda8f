"""The REST API of the dashboard under ``/api/v1``, described by ``/api/v1/openapi.json``.

Importing this package registers every route on :data:`api_blueprint`;
:func:`kusari_ui.create_app` mounts it.
"""

# The route modules are imported for their side effect: each adds its routes to the blueprint.
from kusari_ui.api import commands, openapi, projects, results
from kusari_ui.api._blueprint import api_blueprint
from kusari_ui.api.openapi import OPENAPI

__all__ = ["OPENAPI", "api_blueprint", "commands", "openapi", "projects", "results"]
