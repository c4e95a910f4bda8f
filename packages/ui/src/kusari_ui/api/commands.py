"""Command routes: list a result's commands with their responses, and send a new one.

A command is one file written atomically into ``<result>/kusari_ui/commands/`` (see
:mod:`kusari_ui.protocol`); the training-side ``CommandsExtension`` answers it with a
response file.
"""

import re

from flask import Response

from kusari_ui import protocol
from kusari_ui.api._blueprint import api_blueprint
from kusari_ui.api._common import finite_or_name, get_result, json_body, json_response
from kusari_ui.api.openapi import SNAPSHOT_FILENAME_PATTERN
from kusari_ui.app import ApiError
from kusari_ui.crawler import result_folder

# The documented file name patterns (stricter than the protocol's own check).
_FILENAME = re.compile(SNAPSHOT_FILENAME_PATTERN.removeprefix("^").removesuffix("$"))


@api_blueprint.get("/results/<int:rid>/commands")
def list_commands(rid: int) -> Response:
    """List the result's commands, oldest first, each with its response (or null)."""
    result = get_result(rid)
    commands = []
    if not result.is_missing:
        try:
            commands = protocol.list_commands(result_folder(result.project, result))
        except OSError as error:
            raise ApiError(409, f"result: expected a readable commands folder "
                                f"({error.strerror})") from None
    return json_response({"commands": finite_or_name(commands)})


@api_blueprint.post("/results/<int:rid>/commands")
def create_command(rid: int) -> Response:
    """Send a command to the training writing this result: 201, 400 invalid, 409 no folder."""
    body = json_body(
        {"name": "take_snapshot, stop or adjust_hyperparams", "body": "an object",
         "schedule": "null or {key, value}"},
        required=("name",),
    )
    name, command_body, schedule = body["name"], body.get("body"), body.get("schedule")
    if command_body is None:
        command_body = {}
    if isinstance(schedule, dict) and isinstance(schedule.get("value"), float) and (
            schedule["value"].is_integer()):
        # JSON Schema counts 3.0 as an integer; the protocol wants an int.
        schedule = {**schedule, "value": int(schedule["value"])}
    filename = command_body.get("filename") if isinstance(command_body, dict) else None
    if (name == "take_snapshot" and isinstance(filename, str)
            and _FILENAME.fullmatch(filename) is None):
        raise ApiError(400, f"body.filename: expected a file name whose {{fields}} read "
                            f"attributes of the trainer, e.g. snapshot_{{.updater.iteration}} "
                            f"({filename!r:.80})")
    try:
        protocol.validate_command(name, command_body, schedule)
    except (TypeError, ValueError) as error:
        raise ApiError(400, str(error)) from None
    result = get_result(rid)
    folder = result_folder(result.project, result)
    if result.is_missing or not folder.is_dir():
        raise ApiError(409, f"result: expected the folder of result {result.id} to exist "
                            f"(missing: {result.path!r})")
    try:
        command = protocol.new_command(folder, name, command_body, schedule)
    except (TypeError, ValueError) as error:
        raise ApiError(400, str(error)) from None
    except OSError as error:
        raise ApiError(409, f"result: expected a writable folder ({error.strerror})") from None
    return json_response({"command": finite_or_name(command)}, status=201)
