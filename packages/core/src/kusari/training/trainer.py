"""The training loop (``chainer.training.Trainer``)."""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Iterable
from typing import Any

from kusari import reporter as reporter_module
from kusari import serializer as serializer_module
from kusari.training import extension as extension_module
from kusari.training.util import get_trigger

__all__ = ["Trainer"]


class _ExtensionEntry:
    def __init__(
        self, extension: Any, priority: int, trigger: Any, call_before_training: bool
    ) -> None:
        self.extension = extension
        self.priority = priority
        self.trigger = trigger
        self.call_before_training = call_before_training


class Trainer:
    """The standard training loop.

    :meth:`run` repeats, until the stop trigger fires:

    1. ``updater.update()`` (load a minibatch, forward, backward, update), inside
       ``reporter.scope(observation)`` with a fresh :attr:`observation` dict, so values that
       links report (``kusari.report({'loss': loss}, self)``) land there as ``'main/loss'``;
    2. every extension whose trigger fires, in decreasing priority (registration order among
       equal priorities), still inside the same reporter scope.

    Before the loop every extension's ``initialize(trainer)`` runs (in the same order), and those
    registered with ``call_before_training=True`` are called once; after it (also on error)
    every ``finalize()`` and then ``updater.finalize()`` run.

    The trainer, its updater (models, optimizers, iterators), its stop trigger and the
    extensions' states and triggers are serialized together by :meth:`serialize`, so a
    snapshot resumes the loop where it stopped. Settings that do not change during training
    (learning-rate schedules, the stop trigger's length ...) are not saved: build the same
    objects, then load the snapshot, and a longer stop trigger extends a finished run.

    The reporter registers the target link of every optimizer under the optimizer's name, and
    its sublinks under ``'<name>/<path>'`` (e.g. ``'main/predictor'``).

    Args:
        updater (~kusari.training.Updater): The updater.
        stop_trigger: When to stop: a trigger or a ``(period, unit)`` pair such as
            ``(20, 'epoch')``; ``None`` never stops.
        out (str): Output folder for logs and snapshots (created by :meth:`run`).
        extensions: Extensions to register with default settings.

    Attributes:
        updater: The updater.
        stop_trigger: The stop trigger.
        observation (dict): The values reported during the current (last) iteration.
        out (str): The output folder.
        reporter (~kusari.Reporter): The reporter used in the loop.

    Example:
        >>> trainer = training.Trainer(updater, (20, 'epoch'), out='result')
        >>> trainer.extend(extensions.Evaluator(test_iter, model))
        >>> trainer.extend(extensions.LogReport())
        >>> trainer.extend(extensions.snapshot(autoload=True), trigger=(1, 'epoch'))
        >>> trainer.run()
    """

    def __init__(
        self,
        updater: Any,
        stop_trigger: Any = None,
        out: str = "result",
        extensions: Iterable[Any] | None = None,
    ) -> None:
        self.updater = updater
        self.stop_trigger = get_trigger(stop_trigger)
        self.observation: dict[str, Any] = {}
        self.out = out

        reporter = reporter_module.Reporter()
        for name, optimizer in updater.get_all_optimizers().items():
            reporter.add_observer(name, optimizer.target)
            reporter.add_observers(name, optimizer.target.namedlinks(skipself=True))
        self.reporter = reporter

        self._done = False
        self._extensions: dict[str, _ExtensionEntry] = {}
        self._start_at: float | None = None
        self._snapshot_elapsed_time = 0.0
        self._final_elapsed_time: float | None = None

        updater.connect_trainer(self)
        for ext in extensions or ():
            self.extend(ext)

    @property
    def elapsed_time(self) -> float:
        """Seconds of training so far, including the runs before a resumed snapshot.

        Raises:
            RuntimeError: The training has not started.
        """
        if self._done:
            return self._final_elapsed_time
        if self._start_at is None:
            raise RuntimeError("Trainer.elapsed_time: the training has not been started yet")
        return time.perf_counter() - self._start_at + self._snapshot_elapsed_time

    @property
    def is_before_training(self) -> bool:
        """Whether no update has run yet (``updater.iteration == 0``)."""
        return self.updater.iteration == 0

    def extend(
        self,
        extension: Any,
        name: str | None = None,
        trigger: Any = None,
        priority: int | None = None,
        *,
        call_before_training: bool = False,
        **kwargs: Any,
    ) -> None:
        """Register an extension.

        Args:
            extension: The extension: an :class:`~kusari.training.Extension`, a function made
                with :func:`~kusari.training.make_extension`, or any callable taking the
                trainer.
            name (str): Its name; by default ``extension.name``, else ``extension.default_name``,
                else ``extension.__name__``. A taken name gets a suffix ``_1``, ``_2`` ... The
                final name is stored in ``extension.name`` and keys the extension's state in
                snapshots (``extensions/<name>/...``).
            trigger: When to call it: a trigger or a ``(period, unit)`` pair; by default
                ``extension.trigger``, else every iteration.
            priority (int): Order among the extensions called at the same iteration (higher
                first); by default ``extension.priority``, else ``PRIORITY_READER``.
            call_before_training (bool): Also call the extension once before the first update.
            **kwargs: Nothing else is accepted.

        Raises:
            TypeError: No name can be found, or an unexpected keyword argument is given.
            ValueError: The name is ``'training'``.
        """
        extension_module._check_no_kwargs("Trainer.extend", kwargs)
        if name is None:
            name = getattr(extension, "name", None)
        if name is None:
            name = getattr(extension, "default_name", None)
        if name is None:
            name = getattr(extension, "__name__", None)
        if name is None:
            raise TypeError(
                f"Trainer.extend: the {type(extension).__name__} extension has no name; pass name="
            )
        if name == "training":
            raise ValueError("Trainer.extend: the name 'training' is reserved for the trainer")

        if trigger is None:
            trigger = getattr(extension, "trigger", (1, "iteration"))
        trigger = get_trigger(trigger)
        if priority is None:
            priority = getattr(extension, "priority", extension_module.PRIORITY_READER)

        modified_name = name
        ordinal = 0
        while modified_name in self._extensions:
            ordinal += 1
            modified_name = f"{name}_{ordinal}"
        extension.name = modified_name
        self._extensions[modified_name] = _ExtensionEntry(
            extension, priority, trigger, call_before_training
        )

    def get_extension(self, name: str) -> Any:
        """Return the extension registered under ``name``.

        Raises:
            ValueError: No extension has that name.
        """
        entry = self._extensions.get(name)
        if entry is None:
            raise ValueError(
                f"Trainer.get_extension: no extension named {name!r}; registered: "
                f"{list(self._extensions)}"
            )
        return entry.extension

    def run(self, show_loop_exception_msg: bool = True) -> None:
        """Run the training loop until the stop trigger fires.

        Args:
            show_loop_exception_msg (bool): Print an exception raised in the loop (and its
                traceback) to stderr before finalizing, so a hang in a finalizer does not hide
                it.

        Raises:
            RuntimeError: The trainer has already run.
        """
        if self._done:
            raise RuntimeError("Trainer.run: a trainer runs only once; build a new one")
        os.makedirs(self.out, exist_ok=True)

        # sorted() is stable: equal priorities keep their registration order.
        extensions = sorted(
            self._extensions.items(), key=lambda item: item[1].priority, reverse=True
        )
        self._start_at = time.perf_counter()

        for _, entry in extensions:
            initializer = getattr(entry.extension, "initialize", None)
            finished = getattr(entry.trigger, "finished", False)
            if initializer and not finished:
                initializer(self)

        update = self.updater.update
        reporter = self.reporter
        stop_trigger = self.stop_trigger
        try:
            self.observation = {}
            with reporter.scope(self.observation):
                for _, entry in extensions:
                    if entry.call_before_training:
                        entry.extension(self)

            while not stop_trigger(self):
                self.observation = {}
                with reporter.scope(self.observation):
                    update()
                    for _, entry in extensions:
                        if entry.trigger(self):
                            entry.extension(self)
        except Exception as e:
            if show_loop_exception_msg:
                sys.stderr.write(f"Exception in main training loop: {e}\n")
                sys.stderr.write("Traceback (most recent call last):\n")
                traceback.print_tb(e.__traceback__)
                sys.stderr.write(
                    "Will finalize trainer extensions and updater before reraising the exception.\n"
                )
            for _, entry in extensions:
                handler = getattr(entry.extension, "on_error", None)
                if handler:
                    try:
                        handler(self, e, e.__traceback__)
                    except Exception as handler_error:
                        sys.stderr.write(
                            f"A handler of the trainer extension {entry.extension.name!r} "
                            f"raised an exception: {handler_error!r}\n"
                        )
            raise
        finally:
            for _, entry in extensions:
                finalize = getattr(entry.extension, "finalize", None)
                if finalize:
                    finalize()
            self.updater.finalize()

        self._final_elapsed_time = self.elapsed_time
        self._done = True

    def serialize(self, serializer: Any) -> None:
        """Save or load the whole training state.

        Entries: ``updater/...`` (see ``StandardUpdater.serialize``), ``stop_trigger/...``,
        ``extensions/<name>/...`` and ``extension_triggers/<name>/...`` for every extension and
        trigger that has ``serialize``, and ``_snapshot_elapsed_time`` (seconds).

        Args:
            serializer: A serializer or deserializer.
        """
        self.updater.serialize(serializer["updater"])
        if hasattr(self.stop_trigger, "serialize"):
            self.stop_trigger.serialize(serializer["stop_trigger"])

        s = serializer["extensions"]
        t = serializer["extension_triggers"]
        for name, entry in self._extensions.items():
            if hasattr(entry.extension, "serialize"):
                entry.extension.serialize(s[name])
            if hasattr(entry.trigger, "serialize"):
                entry.trigger.serialize(t[name])

        if isinstance(serializer, serializer_module.Serializer):
            elapsed = self._snapshot_elapsed_time if self._start_at is None else self.elapsed_time
            serializer("_snapshot_elapsed_time", elapsed)
        else:
            self._snapshot_elapsed_time = float(serializer("_snapshot_elapsed_time", 0.0))
