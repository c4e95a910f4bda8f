"""Snapshots of the trainer or of any object (``snapshot``, ``snapshot_object``)."""

from __future__ import annotations

import os
import re
import string
from collections.abc import Callable
from typing import Any

from kusari.serializers import DictionarySerializer, load_npz, save_npz
from kusari.training import extension
from kusari.training.extensions import snapshot_writers

__all__ = ["snapshot", "snapshot_object"]


def _filename_regex(fmt: str) -> re.Pattern[str]:
    """Regex matching the names ``fmt.format(...)`` produces; one group per field."""
    parts = []
    for literal, field, _, _ in string.Formatter().parse(fmt):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append("(.+)")
    return re.compile("".join(parts))


def _find_snapshot_files(fmt: str, path: str) -> list[str]:
    """Return the files of ``path`` whose names match ``fmt``, oldest first.

    Names whose fields are all integers (e.g. the iteration in ``snapshot_iter_{...}``) are
    ordered by those numbers; the others by modification time, before the numbered ones.
    """
    if not os.path.isdir(path):
        return []
    pattern = _filename_regex(fmt)
    found = []
    for name in os.listdir(path):
        match = pattern.fullmatch(name)
        full = os.path.join(path, name)
        if match is None or name.startswith(".tmp_") or not os.path.isfile(full):
            continue
        fields = match.groups()
        numbers = tuple(int(f) for f in fields) if all(f.isdigit() for f in fields) else ()
        found.append((numbers, os.stat(full).st_mtime_ns, name))
    return [name for _, _, name in sorted(found)]


class _Snapshot(extension.Extension):
    """Trainer extension that serializes the trainer (or another object) to a file.

    Built by :func:`snapshot` and :func:`snapshot_object`; see there for the arguments.
    """

    trigger: Any = (1, "epoch")
    priority: int = -100

    def __init__(
        self,
        target: Any = None,
        condition: Callable[[], bool] | None = None,
        writer: Callable[[str, str, dict[str, Any]], None] | None = None,
        filename: str | Callable[[Any], str] = "snapshot_iter_{.updater.iteration}",
        snapshot_on_error: bool = False,
        n_retains: int = -1,
        autoload: bool = False,
    ) -> None:
        if not isinstance(filename, str) and not callable(filename):
            raise TypeError(
                f"snapshot: filename must be a format string or a callable, got "
                f"{type(filename).__name__}"
            )
        if callable(filename) and (autoload or n_retains > 0):
            raise ValueError(
                "snapshot: autoload and n_retains need filename to be a format string (to find "
                "the existing snapshots), got a callable"
            )
        self._target = target
        self.filename = filename
        self.condition = condition
        self.writer = snapshot_writers.SimpleWriter() if writer is None else writer
        self._snapshot_on_error = snapshot_on_error
        self.n_retains = n_retains
        self.autoload = autoload

    def initialize(self, trainer: Any) -> None:
        """With ``autoload``, load the latest snapshot in ``trainer.out`` into the target.

        Args:
            trainer (~kusari.training.Trainer): The trainer.
        """
        if not self.autoload:
            return
        files = _find_snapshot_files(self.filename, trainer.out)
        if files:
            target = trainer if self._target is None else self._target
            load_npz(os.path.join(trainer.out, files[-1]), target)

    def __call__(self, trainer: Any) -> None:
        """Take a snapshot unless ``condition()`` says no, then delete stale snapshots.

        Args:
            trainer (~kusari.training.Trainer): The trainer.
        """
        if self.condition is None or self.condition():
            self._make_snapshot(trainer)

    def on_error(self, trainer: Any, exc: BaseException, tb: Any) -> None:
        """With ``snapshot_on_error``, take a snapshot of the state at the failure."""
        if self._snapshot_on_error:
            self._make_snapshot(trainer)

    def finalize(self) -> None:
        """Finalize the writer."""
        finalize = getattr(self.writer, "finalize", None)
        if finalize is not None:
            finalize()

    def _make_snapshot(self, trainer: Any) -> None:
        target = trainer if self._target is None else self._target
        serializer = DictionarySerializer()
        serializer.save(target)
        if callable(self.filename):
            filename = self.filename(trainer)
        else:
            filename = self.filename.format(trainer)
        self.writer(filename, trainer.out, serializer.target)
        if self.n_retains > 0:
            files = _find_snapshot_files(self.filename, trainer.out)
            for name in files[: max(len(files) - self.n_retains, 0)]:
                os.remove(os.path.join(trainer.out, name))


def snapshot(
    savefun: Callable[..., None] | None = None,
    filename: str | Callable[[Any], str] = "snapshot_iter_{.updater.iteration}",
    *,
    target: Any = None,
    condition: Callable[[], bool] | None = None,
    writer: Callable[[str, str, dict[str, Any]], None] | None = None,
    snapshot_on_error: bool = False,
    n_retains: int = -1,
    autoload: bool = False,
) -> extension.Extension:
    """Return a trainer extension that saves the whole trainer, to resume training later.

    The trainer (or ``target``) is serialized in memory, then written to
    ``<trainer.out>/<filename>`` atomically: the save function writes a temporary file in a
    hidden folder of ``trainer.out`` that is renamed over the final name only once complete,
    so a crash never leaves a truncated snapshot and the previous snapshots stay intact.
    The key layout of a trainer snapshot is described in ``docs/result-format.md``.

    Resuming: build the same trainer, then either load a snapshot by hand
    (``kusari.serializers.load_npz(path, trainer)``) before ``trainer.run()``, or pass
    ``autoload=True`` so the extension loads the latest snapshot of ``trainer.out`` when the
    run starts: running the same script again continues where the last snapshot was taken.

    It is called once per epoch by default (pass ``trigger=`` to ``Trainer.extend``), with
    priority -100, after the other extensions.

    Args:
        savefun: ``savefun(path, target)`` writing the serialized target (a dict of arrays);
            :func:`kusari.serializers.save_npz` by default. Not with ``writer``.
        filename (str): File name, formatted with the trainer: ``filename.format(trainer)``
            (e.g. ``'snapshot_iter_{.updater.iteration}'``), or a callable taking the trainer.
        target: The object to save; the trainer by default.
        condition: A callable without arguments; the snapshot is skipped when it returns
            ``False``. Always taken by default.
        writer: A writer ``writer(filename, outdir, serialized_target)`` from
            :mod:`~kusari.training.extensions.snapshot_writers`; a
            :class:`~kusari.training.extensions.snapshot_writers.SimpleWriter` with ``savefun``
            by default.
        snapshot_on_error (bool): Also take a snapshot when the training loop raises.
        n_retains (int): If positive, keep only the newest ``n_retains`` files matching
            ``filename`` (ordered by the numbers in their names), deleting older ones after
            each snapshot.
        autoload (bool): Load the latest file matching ``filename`` in ``trainer.out`` into
            the target when training starts. The file must have been written by ``save_npz``.

    Returns:
        The extension.

    Raises:
        TypeError: Both ``savefun`` and ``writer`` are given, or ``filename`` is neither a
            string nor a callable.
        ValueError: ``autoload`` or ``n_retains`` with a callable ``filename``.

    Example:
        >>> trainer.extend(extensions.snapshot(n_retains=2, autoload=True),
        ...                trigger=(1, 'epoch'))
    """
    if savefun is not None and writer is not None:
        raise TypeError("snapshot: give savefun or writer, not both")
    if writer is None:
        writer = snapshot_writers.SimpleWriter(savefun=save_npz if savefun is None else savefun)
    return _Snapshot(
        target=target,
        condition=condition,
        writer=writer,
        filename=filename,
        snapshot_on_error=snapshot_on_error,
        n_retains=n_retains,
        autoload=autoload,
    )


def snapshot_object(
    target: Any,
    filename: str | Callable[[Any], str],
    savefun: Callable[..., None] | None = None,
    *,
    condition: Callable[[], bool] | None = None,
    writer: Callable[[str, str, dict[str, Any]], None] | None = None,
    snapshot_on_error: bool = False,
    n_retains: int = -1,
    autoload: bool = False,
) -> extension.Extension:
    """Return a trainer extension that saves one object (e.g. the model) to a file.

    The same as :func:`snapshot` with ``target`` given; ``filename`` is required and is
    formatted with the trainer, e.g. ``'model_epoch_{.updater.epoch}'``.

    Args:
        target: The object to save (anything with ``serialize``).
        filename (str): File name (format string) or a callable taking the trainer.
        savefun: The save function; :func:`kusari.serializers.save_npz` by default.
        condition: See :func:`snapshot`.
        writer: See :func:`snapshot`.
        snapshot_on_error (bool): See :func:`snapshot`.
        n_retains (int): See :func:`snapshot`.
        autoload (bool): See :func:`snapshot`.

    Returns:
        The extension.

    Example:
        >>> trainer.extend(extensions.snapshot_object(model, 'model_iter_{.updater.iteration}'),
        ...                trigger=(1, 'epoch'))
    """
    return snapshot(
        savefun,
        filename,
        target=target,
        condition=condition,
        writer=writer,
        snapshot_on_error=snapshot_on_error,
        n_retains=n_retains,
        autoload=autoload,
    )
