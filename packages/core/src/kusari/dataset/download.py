"""Where datasets are downloaded and cached (Chainer v7's ``chainer.dataset.download``).

The dataset root is, in order of precedence, the path given to :func:`set_dataset_root`, the
environment variable ``KUSARI_DATASET_ROOT`` (read at each call), or ``~/.kusari/dataset``.
Every file is written to a temporary name in its final folder and then renamed, so a crash or a
concurrent process never leaves a half-written file under the final name.
"""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.request
from collections.abc import Callable
from typing import TypeVar

from tqdm import tqdm

from kusari.utils._atomic import atomic_path

_T = TypeVar("_T")

_dataset_root: str | None = None

_CHUNK_SIZE = 1 << 16
_TIMEOUT_S = 60


def get_dataset_root() -> str:
    """Return the root directory in which datasets are downloaded and cached.

    Returns:
        The path set by :func:`set_dataset_root`, else ``$KUSARI_DATASET_ROOT``, else
        ``~/.kusari/dataset``.
    """
    if _dataset_root is not None:
        return _dataset_root
    env = os.environ.get("KUSARI_DATASET_ROOT")
    if env:
        return env
    return os.path.join(os.path.expanduser("~"), ".kusari", "dataset")


def set_dataset_root(path: str | os.PathLike[str]) -> None:
    """Set the root directory in which datasets are downloaded and cached.

    A path set here takes precedence over the environment variable ``KUSARI_DATASET_ROOT``.

    Args:
        path: The new dataset root.
    """
    global _dataset_root
    _dataset_root = os.fspath(path)


def get_dataset_directory(dataset_name: str, create_directory: bool = True) -> str:
    """Return the directory of one dataset under the dataset root.

    Args:
        dataset_name: Name of the dataset, a path relative to the root (e.g. ``'mnist'``).
        create_directory: Create the directory (and its parents) when it does not exist.

    Returns:
        ``<dataset root>/<dataset_name>``.
    """
    path = os.path.join(get_dataset_root(), dataset_name)
    if create_directory:
        os.makedirs(path, exist_ok=True)
    return path


def cached_download(url: str) -> str:
    """Download a file once and return the path of the local copy.

    The file is stored in ``<dataset root>/_dl_cache/`` under the hex MD5 digest of ``url``; a
    second call with the same URL returns that path without using the network. A progress bar
    is shown on standard error while downloading.

    Args:
        url: URL of the file (any scheme :mod:`urllib.request` opens, e.g. ``https``).

    Returns:
        Path of the cached file.

    Raises:
        urllib.error.URLError: The file could not be downloaded (an ``OSError``).
    """
    cache_root = os.path.join(get_dataset_root(), "_dl_cache")
    os.makedirs(cache_root, exist_ok=True)
    cache_path = os.path.join(cache_root, hashlib.md5(url.encode("utf-8")).hexdigest())
    if not os.path.exists(cache_path):
        download_file(url, cache_path)
    return cache_path


def cache_or_load_file(
    path: str | os.PathLike[str],
    creator: Callable[[str], _T],
    loader: Callable[[str], _T],
) -> _T:
    """Load a cached file, or create it first when it does not exist yet.

    When ``path`` exists, returns ``loader(path)``. Otherwise calls ``creator(temp_path)``, which
    must write the file at ``temp_path`` and return its content; the file is then renamed to
    ``path`` (atomically) and the creator's return value is returned.

    Args:
        path: Path of the cached file.
        creator: Function that writes the file at the path it is given and returns its content.
        loader: Function that reads the file at the path it is given and returns its content.

    Returns:
        The content, from ``loader`` or from ``creator``.

    Raises:
        FileNotFoundError: ``creator`` returned without writing its file.
    """
    path = os.fspath(path)
    if os.path.exists(path):
        return loader(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_path(path) as temp_path:
        content = creator(temp_path)
        if not os.path.exists(temp_path):
            raise FileNotFoundError(
                f"cache_or_load_file: creator {creator!r} returned without writing {temp_path}"
            )
    return content


def download_file(
    url: str, path: str, desc: str | None = None, check: Callable[[str], None] | None = None
) -> None:
    """Download ``url`` to ``path`` atomically, with a progress bar on standard error.

    The file is written to a temporary file beside ``path`` and renamed over it only when
    complete (and accepted by ``check``), so ``path`` never holds a partial or rejected file.
    Kusari's own helper; :func:`cached_download` and the add-ons' model downloads use it.

    Args:
        url: URL of the file (any scheme :mod:`urllib.request` opens).
        path: Where to store the file; its folder must exist.
        desc: Label of the progress bar (default ``'Downloading <url>'``).
        check: Called with the temporary file's path before the rename; raising rejects the
            download (e.g. a checksum mismatch) and nothing is left at ``path``.

    Raises:
        urllib.error.URLError: The download failed (an ``OSError``; nothing is left at
            ``path``).
    """
    with atomic_path(path) as temp_path:
        with (
            open(temp_path, "wb") as out,
            urllib.request.urlopen(url, timeout=_TIMEOUT_S) as res,
        ):
            total = res.headers.get("Content-Length")
            with tqdm(
                total=int(total) if total else None,
                unit="B",
                unit_scale=True,
                desc=desc or f"Downloading {url}",
                file=sys.stderr,
            ) as bar:
                while chunk := res.read(_CHUNK_SIZE):
                    out.write(chunk)
                    bar.update(len(chunk))
        if check is not None:
            check(temp_path)


def _file_md5(path: str) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()
