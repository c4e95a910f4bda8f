"""Find the results in a project folder and bring the database in line with them.

A project is a registered folder. Every folder inside it (recursively, the project folder
included) that holds a regular file named ``log`` is a result; names starting with ``.``
(temporary folders of atomic writes, hidden folders) are skipped and symbolic links to folders
are not followed, so a crawl never leaves the project. The crawl only lists folders and stats
files: a log is parsed again only when its size or modification time changed, and then only
its new entries (one :class:`~kusari_ui.logs.LogReader` per log, kept in a
:class:`ReaderCache`). A result whose folder vanished is flagged ``is_missing``, never deleted,
and un-flagged when it comes back.
"""

import concurrent.futures
import json
import os
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kusari_ui.db.models import Project, Result, utc_now
from kusari_ui.logs import LogReader, summarize

__all__ = [
    "ARGS_NAME",
    "LOG_NAME",
    "ProjectExistsError",
    "ReaderCache",
    "find_results",
    "register_project",
    "result_args",
    "result_folder",
    "result_summary",
    "sync_project",
    "sync_result",
]

LOG_NAME = "log"
ARGS_NAME = "args"

# An ``args`` file larger than this is not read (it is a few hundred bytes in practice).
_MAX_ARGS_BYTES = 4 * 1024 * 1024
_MAX_NAME_LENGTH = 1024


class ProjectExistsError(ValueError):
    """The folder is registered already.

    Attributes:
        project (Project): The project that holds the folder.
    """

    def __init__(self, project: Project) -> None:
        super().__init__(f"register_project: {project.path} is registered already "
                         f"(project {project.id}, {project.name!r})")
        self.project = project


class ReaderCache:
    """Thread-safe cache of one :class:`~kusari_ui.logs.LogReader` per log file.

    A reader keeps the entries parsed so far, so later reads of the same log only parse what
    was appended. Each reader has its own lock, held by :meth:`open` while the caller updates
    and reads it; the least recently used readers are dropped beyond ``max_readers``.
    :meth:`read_later` reads and summarizes a log in a background thread, so that a request
    can stop waiting for a long first read (seconds for a million entries) and answer with
    what it has.

    Args:
        max_readers (int): How many readers to keep.
    """

    def __init__(self, max_readers: int = 128) -> None:
        if not isinstance(max_readers, int) or max_readers < 1:
            raise ValueError(f"ReaderCache: max_readers must be an int >= 1 ({max_readers!r})")
        self.max_readers = max_readers
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[LogReader, threading.Lock]] = OrderedDict()
        self._reads: dict[str, concurrent.futures.Future] = {}
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="kusari-ui-log"
        )

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @contextmanager
    def open(self, path: str | os.PathLike[str]) -> Iterator[LogReader]:
        """Yield the reader of ``path`` (created on first use), holding its lock.

        The reader is not updated here: call ``reader.update()`` inside the block.

        Args:
            path (str or os.PathLike): The log file; the key is its absolute path.

        Yields:
            kusari_ui.logs.LogReader: The reader, locked against other threads.
        """
        key = os.path.abspath(path)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = (LogReader(key), threading.Lock())
                self._entries[key] = entry
                while len(self._entries) > self.max_readers:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(key)
        reader, reader_lock = entry
        with reader_lock:
            yield reader


    def read_later(self, path: str | os.PathLike[str]) -> concurrent.futures.Future:
        """Read what is new in a log and summarize it, in a background thread.

        A read of the same log still running is shared rather than started twice.

        Args:
            path (str or os.PathLike): The log file.

        Returns:
            concurrent.futures.Future: Resolves to ``(summary, size, mtime)``: the
            :func:`~kusari_ui.logs.summarize` dict and the log's size (bytes) and modification
            time (unix seconds) as stat'ed before the read; raises ``OSError`` when the log
            cannot be stat'ed.
        """
        key = os.path.abspath(path)
        with self._lock:
            future = self._reads.get(key)
            if future is None or future.done():
                future = self._executor.submit(self._read, key)
                self._reads[key] = future
        return future

    def is_reading(self, path: str | os.PathLike[str]) -> bool:
        """Whether a :meth:`read_later` of ``path`` is still running."""
        with self._lock:
            future = self._reads.get(os.path.abspath(path))
        return future is not None and not future.done()

    def _read(self, key: str) -> tuple[dict[str, Any], int, float]:
        info = os.stat(key)
        with self.open(key) as reader:
            reader.update()
            return summarize(reader.table), info.st_size, info.st_mtime


def _encodable(text: str) -> bool:
    """Return whether ``text`` can be stored as UTF-8 (no lone surrogates from odd names)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def find_results(project_dir: str | os.PathLike[str]) -> list[str]:
    """List the result folders inside a project folder.

    Args:
        project_dir (str or os.PathLike): The project folder.

    Returns:
        list[str]: Paths relative to ``project_dir`` with ``/`` separators, ``"."`` for the
        folder itself, sorted. Folders that cannot be read, names starting with ``.``, names
        that are not valid UTF-8, and symbolic links to folders are skipped.
    """
    found: list[str] = []
    pending = [(os.fspath(project_dir), ".")]
    while pending:
        folder, relative = pending.pop()
        try:
            with os.scandir(folder) as entries:
                children = list(entries)
        except OSError:
            continue
        for entry in children:
            if entry.name.startswith(".") or not _encodable(entry.name):
                continue
            try:
                if entry.name == LOG_NAME and entry.is_file(follow_symlinks=False):
                    found.append(relative)
                elif entry.is_dir(follow_symlinks=False):
                    child = entry.name if relative == "." else f"{relative}/{entry.name}"
                    pending.append((entry.path, child))
            except OSError:
                continue
    return sorted(found)


def result_folder(project: Project, result: Result) -> Path:
    """Return the folder of ``result`` (absolute, not resolved)."""
    if result.path == ".":
        return Path(project.path)
    return Path(project.path, *result.path.split("/"))


def register_project(session: Session, path: str | os.PathLike[str],
                     name: str | None = None) -> Project:
    """Register a folder as a project and commit.

    Args:
        session (sqlalchemy.orm.Session): The session to use; committed here.
        path (str or os.PathLike): An existing folder; ``~`` is expanded, a relative path is
            taken from the current directory, and symbolic links are resolved.
        name (str or None): Display name; ``None`` uses the folder's name.

    Returns:
        Project: The new project.

    Raises:
        ValueError: ``path`` is not an existing folder, or ``name`` is empty or too long.
        ProjectExistsError: The folder is registered already.
    """
    text = os.fspath(path)
    if not isinstance(text, str) or "\0" in text or not _encodable(text) or not text:
        raise ValueError(f"register_project: path must be a folder path ({text!r})")
    real = os.path.realpath(os.path.expanduser(text))
    if not os.path.isdir(real) or not _encodable(real):
        raise ValueError(f"register_project: path must be an existing folder ({text!r})")
    if name is None:
        name = os.path.basename(real) or real
    if (not isinstance(name, str) or not name or len(name) > _MAX_NAME_LENGTH
            or not _encodable(name)):
        raise ValueError(
            f"register_project: name must be a string of 1 to {_MAX_NAME_LENGTH} characters "
            f"({name!r:.80})"
        )
    existing = session.scalar(select(Project).where(Project.path == real))
    if existing is not None:
        raise ProjectExistsError(existing)
    project = Project(name=name, path=real, created_at=utc_now())
    session.add(project)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = session.scalar(select(Project).where(Project.path == real))
        if existing is None:
            raise
        raise ProjectExistsError(existing) from None
    return project


def _plain(value: Any) -> Any:
    """Turn NumPy scalars and arrays inside ``value`` into plain Python for ``json.dumps``."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _read_args(path: Path) -> str | None:
    """Return the ``args`` file as canonical JSON text of an object, or ``None`` if unusable."""
    try:
        with open(path, "rb") as file:
            data = file.read(_MAX_ARGS_BYTES + 1)
    except OSError:
        return None
    if len(data) > _MAX_ARGS_BYTES:
        return None
    try:
        args = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(args, dict):
        return None
    return json.dumps(args)


def _stat_file(path: Path) -> os.stat_result | None:
    """Return the stat of a regular file (symbolic links not followed), else ``None``."""
    try:
        info = os.stat(path, follow_symlinks=False)
    except (OSError, ValueError):
        return None
    return info if stat.S_ISREG(info.st_mode) else None


def sync_result(project: Project, result: Result, readers: ReaderCache,
                deadline: float | None = None) -> bool:
    """Bring one result row in line with its folder (the session is not committed).

    Stats ``log`` and ``args``; reads the new part of the log and summarizes it only when the
    log's size or modification time changed, and re-reads ``args`` only when its modification
    time changed. A result whose ``log`` is gone is flagged missing. A log read still running
    at ``deadline`` goes on in the background and leaves the row's summary as it was
    (``readers.is_reading`` tells); a later sync stores its outcome.

    Args:
        project (Project): The project of ``result``.
        result (Result): The row to update in place.
        readers (ReaderCache): Where the log's reader is kept.
        deadline (float or None): ``time.monotonic()`` value after which to stop waiting for
            the log read; ``None`` waits until it is done.

    Returns:
        bool: Whether the row changed.
    """
    folder = result_folder(project, result)
    log_stat = _stat_file(folder / LOG_NAME)
    changed = False
    if log_stat is None:
        if not result.is_missing:
            result.is_missing = True
            changed = True
        return changed
    if result.is_missing:
        result.is_missing = False
        changed = True
    if (result.summary is None or result.log_size != log_stat.st_size
            or result.log_mtime != log_stat.st_mtime):
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            summary, size, mtime = readers.read_later(folder / LOG_NAME).result(timeout)
        except (concurrent.futures.TimeoutError, OSError):
            pass  # still reading, or the log vanished meanwhile: the next sync sees it
        else:
            result.summary = json.dumps(_plain(summary))
            result.log_size = size
            result.log_mtime = mtime
            changed = True
    args_stat = _stat_file(folder / ARGS_NAME)
    args_mtime = None if args_stat is None else args_stat.st_mtime
    if args_mtime != result.args_mtime:
        result.args = None if args_stat is None else _read_args(folder / ARGS_NAME)
        result.args_mtime = args_mtime
        changed = True
    return changed


def sync_project(session: Session, project: Project, readers: ReaderCache,
                 deadline: float | None = None) -> list[Result]:
    """Crawl a project folder and bring its result rows in line; commits when anything changed.

    New result folders get rows, vanished ones are flagged missing (and un-flagged when they
    come back), and present ones are refreshed by :func:`sync_result`. Callers running in
    several threads should hold one lock around this call (two crawls would add the same new
    rows); a race with another process is retried once.

    Args:
        session (sqlalchemy.orm.Session): The session ``project`` belongs to.
        project (Project): The project to crawl.
        readers (ReaderCache): Where the logs' readers are kept.
        deadline (float or None): When to stop waiting for log reads (see
            :func:`sync_result`).

    Returns:
        list[Result]: Every result of the project, missing ones included, sorted by path.
    """
    try:
        return _sync_project_once(session, project, readers, deadline)
    except IntegrityError:
        session.rollback()
        return _sync_project_once(session, project, readers, deadline)


def _sync_project_once(session: Session, project: Project, readers: ReaderCache,
                       deadline: float | None) -> list[Result]:
    """Do the work of :func:`sync_project` once."""
    rows = {result.path: result
            for result in session.scalars(select(Result).where(Result.project_id == project.id))}
    found = set(find_results(project.path)) if os.path.isdir(project.path) else set()
    changed = False
    for path in sorted(found - rows.keys()):
        now = utc_now()
        result = Result(project_id=project.id, path=path, is_hidden=False, is_missing=False,
                        created_at=now, updated_at=now)
        session.add(result)
        rows[path] = result
        changed = True
    for path, result in rows.items():
        if path in found:
            changed |= sync_result(project, result, readers, deadline)
        elif not result.is_missing:
            result.is_missing = True
            changed = True
    if changed:
        session.commit()
    return [rows[path] for path in sorted(rows)]


def result_summary(result: Result) -> dict[str, Any]:
    """Return the stored summary of a result's log (an empty one before the first read)."""
    if result.summary is None:
        return {"n_entries": 0, "keys": [], "x_keys": [], "last": {}, "best": {}}
    return json.loads(result.summary)


def result_args(result: Result) -> dict[str, Any]:
    """Return the stored ``args`` of a result, ``{}`` when it has none."""
    return {} if result.args is None else json.loads(result.args)
