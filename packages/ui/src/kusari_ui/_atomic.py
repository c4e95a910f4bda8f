"""Atomic file writes: a reader sees either the previous file or the new one, whole.

Used for every file kusari-ui writes into a result folder (``kusari_ui/status.json``, commands
and their responses). Standard library only, like :mod:`kusari_ui.protocol`.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from typing import Any

__all__ = ["write_bytes_atomically", "write_json_atomically"]


def write_bytes_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that no reader ever sees a partial file.

    The bytes go to a temporary file in the same folder whose name starts with ``.`` (readers
    skip such names), are flushed to disk with ``fsync``, and the file is then renamed over
    ``path`` with :func:`os.replace`, one step on the same file system. If anything fails, the
    temporary file is removed and a previous file at ``path`` is left as it was. The file is
    made readable by everyone (mode ``0o644``), as a plain ``open(path, 'w')`` would under the
    usual umask, so a dashboard running as another user can read it.

    Args:
        path: The final path; its folder must exist.
        data: The complete contents.

    Raises:
        TypeError: ``data`` is not ``bytes``.
        OSError: The folder is missing or not writable, the disk is full, ...
    """
    if not isinstance(data, bytes):
        raise TypeError(f"write_bytes_atomically: data must be bytes, got {type(data).__name__}")
    directory, name = os.path.split(os.path.abspath(path))
    fd, temp_path = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), 0o644)
            os.fsync(f.fileno())
        os.replace(temp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp_path)
        raise


def write_json_atomically(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as strict JSON (UTF-8, indented by 2 spaces) to ``path`` atomically.

    The text is built before anything is written, so an object that JSON cannot hold leaves
    ``path`` untouched. See :func:`write_bytes_atomically`.

    Args:
        path: The final path; its folder must exist.
        obj: A JSON-compatible value. NaN and infinities are refused, since browsers' strict
            JSON parsers cannot read them.

    Raises:
        TypeError: ``obj`` holds a value JSON cannot encode.
        ValueError: ``obj`` holds NaN or an infinity, or a circular reference.
        OSError: See :func:`write_bytes_atomically`.
    """
    text = json.dumps(obj, indent=2, allow_nan=False, ensure_ascii=False)
    write_bytes_atomically(path, (text + "\n").encode("utf-8"))
