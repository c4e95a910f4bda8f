"""The MNIST handwritten digits (Chainer v7's ``chainer.datasets.get_mnist``).

The four gzip files of the official distribution are downloaded into
``<dataset root>/mnist/``, checked against their published MD5 digests, parsed from the IDX
format, and cached there as ``train.npz`` and ``test.npz``. The environment variable
``KUSARI_MNIST_URL`` names a mirror (a base URL the file names are appended to) to use instead of
the default ones.
"""

from __future__ import annotations

import gzip
import math
import os
from typing import Any

import numpy

from kusari.configuration import config
from kusari.dataset.download import (
    _file_md5,
    cache_or_load_file,
    download_file,
    get_dataset_directory,
)
from kusari.datasets.tuple_dataset import TupleDataset

_DEFAULT_BASE_URLS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

_IMAGES_MAGIC = 2051
_LABELS_MAGIC = 2049


def get_mnist(
    withlabel: bool = True,
    ndim: int = 1,
    scale: float = 1.0,
    dtype: Any = None,
    label_dtype: Any = numpy.int32,
    rgb_format: bool = False,
) -> tuple[Any, Any]:
    """Return the MNIST training set (60000 images) and test set (10000 images).

    Each image is a 28x28 grey-scale handwritten digit with pixel values scaled to
    ``[0, scale]``; each label is the digit, 0 to 9. The data come from LeCun et al.,
    "Gradient-based learning applied to document recognition", Proc. IEEE 86(11), 1998. They
    are downloaded on first use (about 11 MB) and cached under ``<dataset root>/mnist/``.

    Args:
        withlabel: Return datasets of ``(image, label)`` pairs; with ``False``, return the image
            arrays alone.
        ndim: Shape of each image: ``1`` gives ``(784,)``, ``2`` gives ``(28, 28)``, ``3`` gives
            ``(1, 28, 28)`` (``(3, 28, 28)`` with ``rgb_format``).
        scale: Pixel values are scaled to ``[0, scale]``.
        dtype: Dtype of the images; ``None`` means ``kusari.config.dtype``.
        label_dtype: Dtype of the labels.
        rgb_format: With ``ndim=3``, repeat the grey channel three times (``C = 3``).

    Returns:
        ``(train, test)``: two :class:`TupleDataset` of ``(image, label)`` with ``withlabel``,
        else two arrays of shape ``(B, 784)``, ``(B, 28, 28)`` or ``(B, C, 28, 28)``.

    Raises:
        ValueError: ``ndim`` is not 1, 2 or 3.
        RuntimeError: The files could not be downloaded (the message says which files to put in
            which folder), or a file does not match its published checksum (it is deleted).
    """
    if ndim not in (1, 2, 3):
        raise ValueError(f"get_mnist: ndim must be 1, 2 or 3, got {ndim!r}")
    image_dtype = numpy.dtype(config.dtype if dtype is None else dtype)
    return tuple(
        _preprocess(_retrieve(split), withlabel, ndim, scale, image_dtype, label_dtype,
                    rgb_format)
        for split in ("train", "test")
    )


def _preprocess(
    raw: dict[str, numpy.ndarray],
    withlabel: bool,
    ndim: int,
    scale: float,
    image_dtype: numpy.dtype,
    label_dtype: Any,
    rgb_format: bool,
) -> Any:
    images = raw["x"]
    if ndim == 2:
        images = images.reshape(-1, 28, 28)
    elif ndim == 3:
        images = images.reshape(-1, 1, 28, 28)
        if rgb_format:
            images = numpy.broadcast_to(images, (len(images), 3, 28, 28))
    images = images.astype(image_dtype)
    images *= scale / 255.0
    if withlabel:
        return TupleDataset(images, raw["y"].astype(label_dtype))
    return images


def _retrieve(split: str) -> dict[str, numpy.ndarray]:
    directory = get_dataset_directory("mnist")
    return cache_or_load_file(
        os.path.join(directory, f"{split}.npz"),
        lambda path: _create_npz(path, split, directory),
        _load_npz,
    )


def _load_npz(path: str) -> dict[str, numpy.ndarray]:
    with numpy.load(path) as npz:
        return {"x": npz["x"], "y": npz["y"]}


def _create_npz(path: str, split: str, directory: str) -> dict[str, numpy.ndarray]:
    images_name, labels_name = _FILES[split]
    images = _read_idx(_fetch(images_name, directory), _IMAGES_MAGIC, 3)
    labels = _read_idx(_fetch(labels_name, directory), _LABELS_MAGIC, 1)
    if len(images) != len(labels):
        raise RuntimeError(
            f"get_mnist: {images_name} has {len(images)} images but {labels_name} has "
            f"{len(labels)} labels"
        )
    raw = {"x": images.reshape(len(images), -1), "y": labels}
    with open(path, "wb") as f:
        numpy.savez_compressed(f, **raw)
    return raw


def _base_urls() -> tuple[str, ...]:
    url = os.environ.get("KUSARI_MNIST_URL")
    return (url,) if url else _DEFAULT_BASE_URLS


def _fetch(name: str, directory: str) -> str:
    """Return the path of a verified copy of ``name`` in ``directory``, downloading it if needed."""
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        errors = []
        for base in _base_urls():
            url = base.rstrip("/") + "/" + name
            try:
                download_file(url, path, desc=name)
                break
            except OSError as e:
                errors.append(f"{url}: {e}")
        else:
            missing = [f for names in _FILES.values() for f in names
                       if not os.path.exists(os.path.join(directory, f))]
            raise RuntimeError(
                f"get_mnist: could not download {name} ({'; '.join(errors)}). Without network "
                f"access, get these files from {' or '.join(_base_urls())} on another machine "
                f"and put them in {directory}: {', '.join(missing)}. To use a mirror, set "
                "KUSARI_MNIST_URL to its base URL."
            )
    digest = _file_md5(path)
    if digest != _MD5[name]:
        os.remove(path)
        raise RuntimeError(
            f"get_mnist: {path} has MD5 {digest}, expected {_MD5[name]}; the file is corrupt or "
            "not the official one and was deleted. Call get_mnist again to download it again."
        )
    return path


def _read_idx(path: str, magic: int, ndim: int) -> numpy.ndarray:
    """Parse an IDX file of unsigned bytes (the format of the MNIST distribution)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    header_size = 4 + 4 * ndim
    if len(data) < header_size or int.from_bytes(data[:4], "big") != magic:
        raise RuntimeError(
            f"get_mnist: {path} is not an IDX file of unsigned bytes with {ndim} dimension(s) "
            f"(expected magic number {magic})"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim))
    body = numpy.frombuffer(data, dtype=numpy.uint8, offset=header_size)
    if body.size != math.prod(shape):
        raise RuntimeError(
            f"get_mnist: {path} holds {body.size} values, but its header says {shape}"
        )
    return body.reshape(shape)
