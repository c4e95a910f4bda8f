"""``CommandsExtension``: the trainer extension through which the dashboard steers a run."""

from __future__ import annotations

import json
import math
import numbers
import os
import sys
import time
import traceback
import warnings
from typing import Any

from kusari import serializer as serializer_module
from kusari.training import extension
from kusari.training.extensions import snapshot
from kusari_ui import protocol

__all__ = ["CommandsExtension"]

#: Default file name pattern of ``take_snapshot``: that of ``extensions.snapshot()``, so
#: ``snapshot(autoload=True)`` resumes from a snapshot taken on command, too.
DEFAULT_SNAPSHOT_FILENAME = "snapshot_iter_{.updater.iteration}"

# After the readers of the observation (LogReport, PrintReport: 100) and before snapshot()
# (-100): a snapshot taken on command holds this iteration's log, and a periodic snapshot
# taken at the iteration where a hyperparameter changes holds the new value.
_PRIORITY = -50

# A folder listing is skipped while the folder's mtime is unchanged, but only once that mtime
# is this much older than the listing: a file added within the file system's timestamp
# granularity of the previous change could otherwise go unseen.
_RACY_MTIME_S = 2.0


class _StoppableTrigger:
    """The trainer's stop trigger, which the ``stop`` command can also fire.

    It records whether it fired, so the extension can tell a run that ended at its stop
    trigger from one that was interrupted. Every other attribute (``serialize``,
    ``get_training_length`` ...) is the wrapped trigger's, so snapshots keep their keys and
    ``ProgressBar`` still finds the training length.
    """

    def __init__(self, trigger: Any) -> None:
        self._inner = trigger
        self.stop_requested = False
        self.has_fired = False

    def __call__(self, trainer: Any) -> bool:
        fired = bool(self._inner(trainer)) or self.stop_requested
        self.has_fired = fired
        return fired

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_inner":
            raise AttributeError(name)
        return getattr(self._inner, name)


def _is_bool(value: Any) -> bool:
    """Whether ``value`` is a Python or NumPy boolean."""
    return isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b"


def _plain(value: Any) -> Any:
    """A hyperparameter value as a plain JSON value (NumPy scalars included)."""
    if value is None or isinstance(value, str):
        return value
    if _is_bool(value):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return str(value)


def _error_text(exc: BaseException) -> str:
    """The message of a failed command: a ValueError's own text, others prefixed by the type."""
    if type(exc) is ValueError:
        return str(exc)
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


class CommandsExtension(extension.Extension):
    """Trainer extension that runs the dashboard's commands and writes the run's heartbeat.

    The dashboard (``kusari-ui``) and this extension talk through files in the result folder
    (:mod:`kusari_ui.protocol`, ``docs/result-format.md``). At each call (every iteration by
    default) the extension

    * reads the commands it has not handled yet, in creation order, and runs those that are
      due; a command with a schedule (``{"key": "epoch" | "iteration", "value": n}``) gets a
      ``scheduled`` response at once and runs at the first call where the updater's counter
      is ``>= n``;
    * writes each command's response: ``applied`` with a result, or ``failed`` with an error;
      the training goes on either way;
    * refreshes ``kusari_ui/status.json`` when ``heartbeat_interval`` seconds have passed.

    The commands:

    * ``take_snapshot`` writes a snapshot of the whole trainer, as
      ``extensions.snapshot()`` does, to ``body["filename"]`` or ``snapshot_filename``
      (formatted with the trainer). Result: ``{"filename": name written}``.
    * ``stop`` makes the stop trigger fire after the current iteration: the run ends as if it
      had reached its end (``finalize`` runs, the heartbeat says ``finished``). Result: ``{}``.
    * ``adjust_hyperparams`` sets hyperparameters of the optimizer ``body["optimizer"]``
      (``'main'`` by default): any entry of its ``hyperparam`` (``lr``, ``momentum``,
      ``alpha``, ``beta1``, ``beta2``, ``eps``, ``eta``, ``weight_decay_rate``, ``amsgrad``
      ...). They take effect from the next update, for every parameter whose update rule does
      not set its own value. Either all of them are set or, when one is unknown or of the
      wrong type, none. Result: ``{name: {"old": value, "new": value}}``.

      On Adam and its variants ``lr`` is not a hyperparameter but Chainer's read-only
      ``alpha_t``, the bias-corrected step size computed from ``alpha``; ``lr`` there means
      ``alpha`` (the learning rate of Kingma & Ba's paper), and the result names ``alpha``.
      ``amsgrad`` cannot be switched on after the first update (the update rules' state has
      no running maximum of ``v`` then).

    A command runs at most once: when a response ``applied`` or ``failed`` exists it is never
    run again, also by a later process resuming the run from a snapshot. The hyperparameters
    set by commands are part of the extension's state in snapshots and are set again when a
    snapshot is loaded, so a resumed run goes on with them.

    The heartbeat's ``state`` is ``running`` from :meth:`initialize` on, and at the end
    ``finished`` (the stop trigger fired, also through ``stop``), ``crashed`` (the loop raised
    an exception; ``error`` holds it) or ``interrupted`` (the loop ended otherwise, e.g. by
    ``KeyboardInterrupt``). It is written from the training loop, so a pause longer than
    ``max(3 * heartbeat_interval, 30)`` seconds between two calls (a long evaluation) shows as
    ``stale`` on the dashboard until the next call.

    Failing to write a file of the protocol (a full disk) only warns: it never stops the run.

    Args:
        trigger: When to look for commands and maybe write the heartbeat; every iteration by
            default (a command then waits at most one iteration).
        heartbeat_interval (float): Seconds between two heartbeats (>= 0).
        snapshot_filename (str): File name pattern of ``take_snapshot`` without a filename.

    Raises:
        ValueError: ``heartbeat_interval`` is negative or not a number, or
            ``snapshot_filename`` is not a safe file name pattern.

    Example:
        >>> from kusari_ui.extensions import CommandsExtension
        >>> trainer.extend(CommandsExtension())
        >>> trainer.run()   # steer it from `kusari-ui server`
    """

    trigger: Any = (1, "iteration")
    priority: int = _PRIORITY

    def __init__(
        self,
        trigger: Any = (1, "iteration"),
        heartbeat_interval: float = protocol.DEFAULT_HEARTBEAT_INTERVAL,
        snapshot_filename: str = DEFAULT_SNAPSHOT_FILENAME,
    ) -> None:
        if (
            isinstance(heartbeat_interval, bool)
            or not isinstance(heartbeat_interval, numbers.Real)
            or not math.isfinite(heartbeat_interval)
            or heartbeat_interval < 0
        ):
            raise ValueError(
                "CommandsExtension: heartbeat_interval must be a number of seconds >= 0, got "
                f"{heartbeat_interval!r}"
            )
        try:
            protocol.validate_command("take_snapshot", {"filename": snapshot_filename})
        except ValueError as e:
            raise ValueError(f"CommandsExtension: snapshot_filename: {e}") from None
        self.trigger = trigger
        self.heartbeat_interval = float(heartbeat_interval)
        self.snapshot_filename = snapshot_filename
        self._trainer: Any = None
        self._out = ""
        self._stop_trigger: _StoppableTrigger | None = None
        self._error: str | None = None
        self._started_at = 0.0
        self._last_heartbeat = -math.inf
        # ids of the commands run (or refused) by this process, or with a final response
        self._handled: set[str] = set()
        # commands waiting for their schedule, by id
        self._pending: dict[str, dict[str, Any]] = {}
        # command files that could not be parsed: id -> (mtime_ns, size) when last tried
        self._unreadable: dict[str, tuple[int, int]] = {}
        # responses not written yet (OSError): id -> write_response's keyword arguments
        self._unsent: dict[str, dict[str, Any]] = {}
        self._listed: tuple[int, int] | None = None  # (inode, mtime_ns) of the last listing
        self._listed_at = -math.inf
        # hyperparameters set by commands: optimizer name -> {name: value}; saved in snapshots
        self._adjusted: dict[str, dict[str, Any]] = {}

    def initialize(self, trainer: Any) -> None:
        """Take over the stop trigger, set the saved hyperparameters, write the first heartbeat.

        Args:
            trainer (~kusari.training.Trainer): The trainer about to run.
        """
        self._trainer = trainer
        self._out = trainer.out
        self._error = None
        self._stop_trigger = _StoppableTrigger(trainer.stop_trigger)
        trainer.stop_trigger = self._stop_trigger
        self._started_at = time.time()
        self._set_adjusted_hyperparams()
        try:
            os.makedirs(protocol.commands_dir(self._out), exist_ok=True)
        except OSError as e:
            self._warn("cannot create the commands folder", e)
        self._write_heartbeat("running")

    def __call__(self, trainer: Any) -> None:
        """Run the commands that are due and refresh the heartbeat when it is time.

        Args:
            trainer (~kusari.training.Trainer): The trainer.
        """
        self._send_unsent()
        try:
            self._read_new_commands(trainer)
        except OSError as e:
            self._warn("cannot read the commands", e)
        due = [
            command_id
            for command_id, command in self._pending.items()
            if self._is_due(trainer, command["schedule"])
        ]
        for command_id in sorted(due):
            self._run(trainer, self._pending.pop(command_id))
        if time.monotonic() - self._last_heartbeat >= self.heartbeat_interval:
            self._write_heartbeat("running")

    def on_error(self, trainer: Any, exc: BaseException, tb: Any) -> None:
        """Remember the exception, for the ``crashed`` heartbeat written by :meth:`finalize`.

        Args:
            trainer (~kusari.training.Trainer): The trainer.
            exc: The exception raised in the training loop.
            tb: Its traceback.
        """
        self._error = _error_text(exc)

    def finalize(self) -> None:
        """Write the last heartbeat (``finished``, ``crashed`` or ``interrupted``)."""
        if self._trainer is None:
            return
        if self._error is not None:
            state, error = "crashed", self._error
        elif self._stop_trigger is not None and self._stop_trigger.has_fired:
            state, error = "finished", None
        else:
            # finalize runs in the trainer's `finally`, where the exception is still visible
            exc = sys.exc_info()[1]
            state = "interrupted"
            error = (
                "the training loop ended before its stop trigger fired"
                if exc is None
                else _error_text(exc)
            )
        self._send_unsent()
        self._write_heartbeat(state, error)
        if self._trainer.stop_trigger is self._stop_trigger:
            self._trainer.stop_trigger = self._stop_trigger._inner
        self._trainer = None
        self._stop_trigger = None

    def serialize(self, serializer: Any) -> None:
        """Save or load the hyperparameters set by commands; loading sets them again.

        Entry: ``_hyperparams``, a JSON string ``{optimizer name: {hyperparameter: value}}``.
        A snapshot taken without this extension loads too (nothing was set then).

        Args:
            serializer: A serializer or deserializer.
        """
        if isinstance(serializer, serializer_module.Serializer):
            serializer("_hyperparams", json.dumps(self._adjusted))
            return
        try:
            text = serializer("_hyperparams", "")
        except KeyError:
            text = ""
        adjusted = json.loads(text) if text else {}
        if not isinstance(adjusted, dict):
            adjusted = {}
        self._adjusted = {
            name: dict(values) for name, values in adjusted.items() if isinstance(values, dict)
        }
        if self._trainer is not None:
            self._set_adjusted_hyperparams()

    # -- reading commands ------------------------------------------------------------------

    def _read_new_commands(self, trainer: Any) -> None:
        """Take in the commands not seen yet: refuse the bad ones, queue the others."""
        directory = protocol.commands_dir(self._out)
        try:
            stat = os.stat(directory)
        except FileNotFoundError:
            return
        now = time.time()
        listed = (stat.st_ino, stat.st_mtime_ns)
        if (
            listed == self._listed
            and self._listed_at - stat.st_mtime_ns / 1e9 >= _RACY_MTIME_S
            and now - self._listed_at < self.heartbeat_interval
        ):
            return
        command_ids, response_ids = protocol.scan_commands(self._out)
        self._listed, self._listed_at = listed, now
        for command_id in command_ids:
            if command_id not in self._handled and command_id not in self._pending:
                self._take_in(trainer, command_id, command_id in response_ids)

    def _take_in(self, trainer: Any, command_id: str, has_response: bool) -> None:
        response = None
        if has_response:
            response = protocol.read_response(self._out, command_id)
            if response is None:
                return  # not one of ours (yet): try again at the next listing
            if response["status"] in protocol.FINAL_STATUSES:
                self._handled.add(command_id)
                return
        path = os.path.join(protocol.commands_dir(self._out), command_id + ".json")
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return
        signature = (stat.st_mtime_ns, stat.st_size)
        if self._unreadable.get(command_id) == signature:
            return
        data = protocol.read_json_file(path)
        if data is None:
            self._unreadable[command_id] = signature
            return
        self._unreadable.pop(command_id, None)
        try:
            command = protocol.command_from_json(command_id, data)
            body, schedule = protocol.validate_command(
                command["name"], command["body"], command["schedule"]
            )
        except ValueError as e:
            self._handled.add(command_id)
            self._respond(trainer, command_id, "failed", error=str(e))
            return
        command.update(body=body, schedule=schedule)
        self._pending[command_id] = command
        if not self._is_due(trainer, schedule) and response is None:
            self._respond(trainer, command_id, "scheduled")

    @staticmethod
    def _is_due(trainer: Any, schedule: dict[str, Any] | None) -> bool:
        return schedule is None or getattr(trainer.updater, schedule["key"]) >= schedule["value"]

    # -- running commands ------------------------------------------------------------------

    def _run(self, trainer: Any, command: dict[str, Any]) -> None:
        command_id = command["id"]
        self._handled.add(command_id)  # before running: never twice, whatever happens next
        handler = {
            "take_snapshot": self._take_snapshot,
            "stop": self._stop,
            "adjust_hyperparams": self._adjust_hyperparams,
        }[command["name"]]
        try:
            result = handler(trainer, command["body"])
        except Exception as e:
            self._respond(trainer, command_id, "failed", error=_error_text(e))
        else:
            self._respond(trainer, command_id, "applied", result=result)

    def _take_snapshot(self, trainer: Any, body: dict[str, Any]) -> dict[str, Any]:
        pattern = body.get("filename", self.snapshot_filename)
        try:
            filename = pattern.format(trainer)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as e:
            raise ValueError(
                f"take_snapshot: cannot format the filename {pattern!r} with the trainer "
                f"({type(e).__name__}: {e})"
            ) from None
        protocol.validate_snapshot_filename(filename, "take_snapshot")
        writer = snapshot(filename=lambda _: filename)
        writer(trainer)
        writer.finalize()
        return {"filename": filename}

    def _stop(self, trainer: Any, body: dict[str, Any]) -> dict[str, Any]:
        if self._stop_trigger is None:
            raise ValueError("stop: the extension was not initialized by Trainer.run")
        self._stop_trigger.stop_requested = True
        return {}

    def _adjust_hyperparams(self, trainer: Any, body: dict[str, Any]) -> dict[str, Any]:
        where = "adjust_hyperparams"
        name = body["optimizer"]
        updater = trainer.updater
        try:
            optimizer = updater.get_optimizer(name)
        except KeyError:
            names = sorted(updater.get_all_optimizers())
            raise ValueError(
                f"{where}: the updater has no optimizer named {name!r}; it has {names}"
            ) from None
        kind = f"{type(optimizer).__name__} {name!r}"
        hyperparam = getattr(optimizer, "hyperparam", None)
        if hyperparam is None or not hasattr(hyperparam, "get_dict"):
            raise ValueError(f"{where}: the optimizer {kind} has no hyperparameters")
        current = hyperparam.get_dict()
        changes: dict[str, tuple[str, Any]] = {}
        for key, value in body["hyperparams"].items():
            target = "alpha" if key == "lr" and "lr" not in current and "alpha" in current else key
            if target not in current:
                raise ValueError(
                    f"{where}: {kind} has no hyperparameter {key!r}; it has "
                    f"{', '.join(sorted(current))}"
                )
            if target in changes:
                raise ValueError(
                    f"{where}: {changes[target][0]!r} and {key!r} both set {target!r} of {kind}"
                )
            changes[target] = (key, self._checked_value(kind, optimizer, target, current, value))
        for target, (_, value) in changes.items():
            setattr(hyperparam, target, value)
            self._adjusted.setdefault(name, {})[target] = value
        return {
            target: {"old": _plain(current[target]), "new": _plain(value)}
            for target, (_, value) in changes.items()
        }

    @staticmethod
    def _checked_value(
        kind: str, optimizer: Any, target: str, current: dict[str, Any], value: Any
    ) -> Any:
        """``value`` converted to the type of the current one, or a ValueError."""
        where = "adjust_hyperparams"
        old = current[target]
        if _is_bool(old):
            if not isinstance(value, bool):
                raise ValueError(f"{where}: {target} of {kind} is a boolean, got {value!r}")
            if target == "amsgrad" and value and not old and getattr(optimizer, "t", 0) > 0:
                raise ValueError(
                    f"{where}: amsgrad of {kind} cannot be switched on after the first update "
                    "(the update rules keep no running maximum of v)"
                )
            return value
        if old is not None and not isinstance(old, numbers.Real):
            raise ValueError(
                f"{where}: {target} of {kind} holds a {type(old).__name__}, which cannot be set "
                "from the dashboard"
            )
        if isinstance(value, bool):
            raise ValueError(f"{where}: {target} of {kind} is a number, got {value!r}")
        return value if isinstance(old, numbers.Integral) else float(value)

    def _set_adjusted_hyperparams(self) -> None:
        """Set the hyperparameters recorded in :attr:`_adjusted` on the trainer's optimizers."""
        optimizers = self._trainer.updater.get_all_optimizers()
        for name, values in self._adjusted.items():
            hyperparam = getattr(optimizers.get(name), "hyperparam", None)
            known = hyperparam.get_dict() if hyperparam is not None else {}
            for key, value in values.items():
                if key in known:
                    setattr(hyperparam, key, value)
                else:
                    warnings.warn(
                        f"CommandsExtension: the snapshot sets hyperparameter {key!r} of "
                        f"optimizer {name!r}, which this trainer does not have; ignored",
                        RuntimeWarning,
                        stacklevel=2,
                    )

    # -- writing files ---------------------------------------------------------------------

    def _respond(
        self,
        trainer: Any,
        command_id: str,
        status: str,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        kwargs = {
            "status": status,
            "epoch": trainer.updater.epoch,
            "iteration": trainer.updater.iteration,
            "result": result,
            "error": error,
            "now": time.time(),
        }
        self._unsent.pop(command_id, None)
        try:
            protocol.write_response(self._out, command_id, **kwargs)
        except OSError as e:
            self._unsent[command_id] = kwargs
            self._warn(f"cannot write the response to command {command_id}", e)

    def _send_unsent(self) -> None:
        for command_id, kwargs in list(self._unsent.items()):
            try:
                protocol.write_response(self._out, command_id, **kwargs)
            except OSError:
                return
            del self._unsent[command_id]

    def _write_heartbeat(self, state: str, error: str | None = None) -> None:
        updater = self._trainer.updater
        try:
            protocol.write_heartbeat(
                self._out,
                state,
                started_at=self._started_at,
                interval=self.heartbeat_interval,
                epoch=updater.epoch,
                iteration=updater.iteration,
                error=error,
            )
        except OSError as e:
            self._warn("cannot write the heartbeat", e)
        self._last_heartbeat = time.monotonic()

    @staticmethod
    def _warn(what: str, exc: OSError) -> None:
        warnings.warn(f"CommandsExtension: {what}: {exc}", RuntimeWarning, stacklevel=3)
