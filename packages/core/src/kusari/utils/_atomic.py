"""Atomic file writes: a reader never sees a half-written file, a crash keeps the old one."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield a temporary path to write; on success it replaces ``path`` in one step.

    The temporary file lives in a fresh hidden directory beside ``path`` (same file system, so
    :func:`os.replace` is atomic) and keeps ``path``'s base name, so a writer that derives other
    names from it still works. Whatever happens, the temporary directory is removed: an exception
    leaves any previous file at ``path`` as it was, and a reader never sees a partial file.

    Args:
        path: The final path of the file.
    """
    directory, name = os.path.split(os.path.abspath(path))
    temp_dir = tempfile.mkdtemp(prefix=f".tmp_{name}.", dir=directory)
    try:
        temp_path = os.path.join(temp_dir, name)
        yield temp_path
        if os.path.isfile(temp_path):
            # Make the contents durable before the rename publishes them.
            with open(temp_path, "rb") as f:
                os.fsync(f.fileno())
        os.replace(temp_path, path)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)


def write_text_atomically(path: str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, as :func:`atomic_path` describes."""
    with atomic_path(path) as temp_path, open(temp_path, "w", encoding="utf-8") as f:
        f.write(text)
