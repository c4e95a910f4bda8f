"""Averaging the reported values and writing them to the JSON ``log`` file (``LogReport``)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from kusari import serializer as serializer_module
from kusari.reporter import DictSummary
from kusari.training import extension
from kusari.training.util import get_trigger
from kusari.utils._atomic import write_text_atomically

__all__ = ["LogReport"]

_UNSET: Any = object()


class LogReport(extension.Extension):
    """Trainer extension that averages the observations and appends them to a JSON log.

    The extension runs at every iteration and adds the scalar values of
    ``trainer.observation`` to a :class:`~kusari.DictSummary`. Each time its own ``trigger``
    fires it appends one entry to :attr:`log`: the mean of every value since the previous entry,
    plus ``'epoch'``, ``'iteration'`` and ``'elapsed_time'`` (seconds, from
    ``trainer.elapsed_time``). It then rewrites the whole log to ``<trainer.out>/<filename>``
    as a JSON list (indent 4), atomically, and restarts the averages. The file format is
    described in ``docs/result-format.md``.

    The log and the running averages are saved in snapshots, so a resumed run continues the
    same log.

    Args:
        keys (iterable of str): The observation keys to average; ``None`` for all of them.
        trigger: When to emit an entry: a trigger or a ``(period, unit)`` pair.
        postprocess: A function called with each entry (a dict) before it is stored; it may
            edit the entry in place.
        filename (str): Name of the log file in ``trainer.out``, or ``None`` to write no file.
            It may be a format string filled with the entry's values, e.g. ``'log_{epoch}'``.
        log_name (str): Chainer's former name of ``filename``; when given it is used instead.

    Example:
        >>> trainer.extend(extensions.LogReport(trigger=(100, 'iteration')))
        >>> trainer.extend(extensions.PrintReport(['epoch', 'main/loss']))
    """

    trigger: Any = (1, "iteration")
    priority: int = extension.PRIORITY_READER

    def __init__(
        self,
        keys: Iterable[str] | None = None,
        trigger: Any = (1, "epoch"),
        postprocess: Callable[[dict[str, Any]], None] | None = None,
        filename: str | None = "log",
        *,
        log_name: str | None = _UNSET,
    ) -> None:
        self._keys = None if keys is None else list(keys)
        self._trigger = get_trigger(trigger)
        self._postprocess = postprocess
        self._log_name = filename if log_name is _UNSET else log_name
        self._log: list[dict[str, Any]] = []
        self._summary = DictSummary()

    @property
    def log(self) -> list[dict[str, Any]]:
        """The entries emitted so far (a list of dicts; the list itself, not a copy)."""
        return self._log

    def __call__(self, trainer: Any) -> None:
        """Add the current observation to the averages and emit an entry if the trigger fires.

        Args:
            trainer (~kusari.training.Trainer): The trainer.
        """
        observation = trainer.observation
        if self._keys is None:
            self._summary.add(observation)
        else:
            self._summary.add({k: observation[k] for k in self._keys if k in observation})

        if not self._trigger(trainer):
            return
        entry: dict[str, Any] = dict(self._summary.compute_mean())
        updater = trainer.updater
        entry["epoch"] = updater.epoch
        entry["iteration"] = updater.iteration
        entry["elapsed_time"] = trainer.elapsed_time
        if self._postprocess is not None:
            self._postprocess(entry)
        self._log.append(entry)

        if self._log_name is not None:
            name = self._log_name.format(**entry)
            text = json.dumps(self._log, indent=4)
            write_text_atomically(os.path.join(trainer.out, name), text)
        self._summary = DictSummary()

    def serialize(self, serializer: Any) -> None:
        """Save or load the emit trigger, the running averages and the log.

        Entries: ``_trigger/...`` (if the trigger has state), ``_summary/...`` and ``_log``
        (the log as a JSON string).

        Args:
            serializer: A serializer or deserializer.
        """
        if hasattr(self._trigger, "serialize"):
            self._trigger.serialize(serializer["_trigger"])
        self._summary.serialize(serializer["_summary"])
        if isinstance(serializer, serializer_module.Serializer):
            serializer("_log", json.dumps(self._log))
            return
        text = serializer("_log", "")
        if text:
            self._log = json.loads(text)
