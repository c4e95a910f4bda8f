"""Downloading, caching and extracting data files (ChainerCV's ``chainercv.utils.download``).

Files are kept under the dataset root of :func:`kusari.dataset.get_dataset_root` (the path given
to :func:`kusari.dataset.set_dataset_root`, else ``$KUSARI_DATASET_ROOT``, else
``~/.kusari/dataset``). A download is written to a temporary file in its final folder, checked,
and only then renamed to its final name, so an interrupted or corrupt download never leaves a
file where a later call would trust it.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import urllib.parse
import zipfile

from kusari.dataset import download_file, get_dataset_root

_CHUNK_SIZE = 1 << 16
_TAR_MODES = {".tar": "r:", ".gz": "r:gz", ".tgz": "r:gz"}


def cached_download(url: str, sha256: str | None = None) -> str:
    """Download a file once and return the path of the local copy.

    The file is stored as ``<dataset root>/_dl_cache/<MD5 hex digest of url>``; a later call with
    the same URL returns that path without using the network. A progress bar is shown on standard
    error while downloading. Without network access, place the file by hand at the path named in
    the error.

    Args:
        url: URL of the file (any scheme :mod:`urllib.request` opens, e.g. ``https``).
        sha256: Expected SHA-256 hex digest of the file, or ``None`` to skip the check. When
            given, it is checked on the downloaded file and on a file already in the cache.

    Returns:
        Path of the cached file.

    Raises:
        OSError: The download failed; the message names the URL and the cache path where the
            file can be placed by hand. Nothing is left at the cache path.
        ValueError: The file's SHA-256 digest differs from ``sha256`` (a bad download is removed;
            a file already in the cache is left for the user to inspect).
    """
    cache_root = os.path.join(get_dataset_root(), "_dl_cache")
    os.makedirs(cache_root, exist_ok=True)
    url_hash = hashlib.md5(url.encode("utf-8"), usedforsecurity=False).hexdigest()
    cache_path = os.path.join(cache_root, url_hash)
    if os.path.exists(cache_path):
        if sha256 is not None:
            _check_sha256(cache_path, sha256, url, remove_on_mismatch=False)
        return cache_path
    _download_atomically(url, cache_path, sha256)
    return cache_path


def download_model(url: str, sha256: str | None = None) -> str:
    """Download a model's weight file once into the models folder and return its path.

    The file is saved as ``<dataset root>/models/<base name of url>``; e.g. for
    ``https://example.com/ssd300_voc0712.npz`` it is ``<dataset root>/models/ssd300_voc0712.npz``.
    When that file exists, its path is returned without using the network.

    Args:
        url: URL of the weight file; the last component of its path names the local file.
        sha256: Expected SHA-256 hex digest of the file, or ``None`` to skip the check.

    Returns:
        Path of the weight file.

    Raises:
        ValueError: ``url`` has no file name, or the SHA-256 digest differs from ``sha256``.
        OSError: The download failed; the message names the URL and the path where the file can
            be placed by hand.
    """
    basename = os.path.basename(urllib.parse.urlparse(url).path)
    if not basename:
        raise ValueError(f"download_model: expected a URL ending in a file name, got {url!r}")
    root = os.path.join(get_dataset_root(), "models")
    os.makedirs(root, exist_ok=True)
    path = os.path.join(root, basename)
    if os.path.exists(path):
        if sha256 is not None:
            _check_sha256(path, sha256, url, remove_on_mismatch=False)
        return path
    _download_atomically(url, path, sha256)
    return path


def extractall(
    file_path: str | os.PathLike[str], destination: str | os.PathLike[str], ext: str
) -> None:
    """Extract a zip or tar archive into a directory.

    Members whose paths would leave ``destination`` (absolute paths, ``..``) are refused by the
    standard library's safe extraction filter for tar files and by :mod:`zipfile` for zip files.

    Args:
        file_path: Path of the archive.
        destination: Directory to extract into; created when missing.
        ext: The archive's extension, which selects the format: ``'.zip'``, ``'.tar'``, or
            ``'.gz'``/``'.tgz'`` for a gzip-compressed tar file (``os.path.splitext`` of
            ``'x.tar.gz'`` gives ``'.gz'``).

    Raises:
        ValueError: ``ext`` is not one of the formats above.
    """
    if ext == ".zip":
        with zipfile.ZipFile(file_path) as archive:
            archive.extractall(destination)
    elif ext in _TAR_MODES:
        with tarfile.open(file_path, _TAR_MODES[ext]) as archive:
            archive.extractall(destination, filter="data")
    else:
        raise ValueError(
            f"extractall: expected ext in ('.zip', '.tar', '.gz', '.tgz'), got {ext!r}"
        )


def _download_atomically(url: str, path: str, sha256: str | None) -> None:
    """Download ``url`` to ``path`` through core's atomic downloader, checking it first."""

    def check(temp_path: str) -> None:
        if sha256 is not None:
            _check_sha256(temp_path, sha256, url, remove_on_mismatch=True)

    try:
        download_file(url, path, check=check)
    except OSError as e:
        raise OSError(
            f"download: could not download {url} ({e}); to work offline, download it "
            f"elsewhere and place the file at {path}"
        ) from e


def _check_sha256(path: str, sha256: str, url: str, remove_on_mismatch: bool) -> None:
    """Raise ``ValueError`` when the SHA-256 digest of the file at ``path`` is not ``sha256``."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK_SIZE):
            digest.update(chunk)
    actual = digest.hexdigest()
    if actual == sha256.lower():
        return
    if remove_on_mismatch:
        os.remove(path)
        raise ValueError(
            f"download: SHA-256 of the file downloaded from {url} is {actual}, expected "
            f"{sha256}; the file was discarded"
        )
    raise ValueError(
        f"download: SHA-256 of {path} (for {url}) is {actual}, expected {sha256}; delete the "
        "file to download it again"
    )
