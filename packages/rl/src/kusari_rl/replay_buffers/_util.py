"""Helpers shared by the replay buffers: argument checks and pickle files."""

from __future__ import annotations

import numbers
import os
import pickle
import tempfile
from typing import Any


def check_capacity(capacity: Any, what: str) -> int | None:
    """Return ``capacity`` as an int (or ``None``) after checking it is a positive integer.

    Args:
        capacity: The capacity given by the user (``1e6`` is accepted as ``1000000``).
        what: The caller's name, for messages.

    Raises:
        TypeError: If ``capacity`` is not a number or ``None``.
        ValueError: If it is not a positive integer.
    """
    if capacity is None:
        return None
    if isinstance(capacity, bool) or not isinstance(capacity, numbers.Real):
        raise TypeError(f"{what}: capacity must be an int or None, got {capacity!r}")
    if int(capacity) != capacity or capacity < 1:
        raise ValueError(f"{what}: capacity must be an integer >= 1 or None, got {capacity}")
    return int(capacity)


def dump_atomic(obj: Any, filename: str, what: str) -> None:
    """Pickle ``obj`` into ``filename`` through a temporary file in the same folder.

    The file is replaced in one step (:func:`os.replace`), so a crash never leaves half a file.

    Args:
        obj: The object to write.
        filename: The destination path.
        what: The caller's name, for messages.

    Raises:
        FileNotFoundError: If the folder of ``filename`` does not exist.
    """
    filename = os.fspath(filename)
    folder = os.path.dirname(os.path.abspath(filename))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{what}: no folder {folder!r} to write {filename!r} into")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pkl")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, filename)
    except BaseException:
        os.unlink(tmp)
        raise


def load(filename: str, expected: type | tuple[type, ...], what: str) -> Any:
    """Unpickle the object in ``filename`` and check its type.

    Only load files you trust: unpickling runs code named in the file.

    Args:
        filename: The path written by :func:`dump_atomic`.
        expected: The type(s) the object must have.
        what: The caller's name, for messages.

    Raises:
        FileNotFoundError: If the file does not exist.
        TypeError: If the file holds an object of another type.
    """
    with open(os.fspath(filename), "rb") as f:
        obj = pickle.load(f)
    if not isinstance(obj, expected):
        names = (
            expected.__name__
            if isinstance(expected, type)
            else " or ".join(t.__name__ for t in expected)
        )
        raise TypeError(f"{what}: {filename!r} holds a {type(obj).__name__}, expected {names}")
    return obj
