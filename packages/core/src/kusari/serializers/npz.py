"""NPZ serialization (``chainer.serializers.npz``): a tree of objects as one flat NumPy archive.

Every value is stored under its path in the object tree, names joined with ``'/'``, e.g.
``'predictor/l1/W'``; a ``None`` is stored as a 0-d object array, as Chainer does, so files move
freely between Chainer and Kusari. Kusari reads such entries without enabling pickle for the
whole file: only NumPy's own array reconstruction may appear in them.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from collections.abc import Callable
from typing import Any

import numpy
from numpy.lib import format as npy_format

from kusari import backend
from kusari import serializer as serializer_module
from kusari.utils._atomic import atomic_path

__all__ = ["DictionarySerializer", "NpzDeserializer", "load_npz", "save_npz"]


def _is_array(value: Any) -> bool:
    return isinstance(value, numpy.ndarray) or type(value).__module__.startswith("cupy")


def _to_numpy(value: Any) -> numpy.ndarray:
    if value is None:
        return numpy.asarray(None)
    return numpy.asarray(backend.get_device("@numpy").send(value))


class DictionarySerializer(serializer_module.Serializer):
    """Serializer that collects the values of an object tree into a flat dictionary.

    It writes no file: :attr:`target` maps each path (``'predictor/l1/W'``) to a NumPy array,
    ready for :func:`numpy.savez`; :func:`save_npz` does that step. Arrays on a GPU are copied to
    the host, scalars and strings become 0-d arrays and ``None`` a 0-d object array.

    Args:
        target: The dictionary to fill; ``None`` creates a new one.
        path: The path prefix of this serializer, ending with ``'/'`` unless empty.

    Attributes:
        target (dict): The collected ``path -> numpy.ndarray`` entries.
        path (str): The path prefix of this serializer.

    Example:
        >>> s = kusari.serializers.DictionarySerializer()
        >>> s.save(model)
        >>> sorted(s.target)[:2]
        ['predictor/l1/W', 'predictor/l1/b']
    """

    def __init__(self, target: dict[str, Any] | None = None, path: str = "") -> None:
        self.target = {} if target is None else target
        self.path = path

    def __getitem__(self, key: str) -> DictionarySerializer:
        """Return the serializer of the child ``key`` (path ``self.path + key + '/'``)."""
        return DictionarySerializer(self.target, self.path + key.strip("/") + "/")

    def __call__(self, key: str, value: Any) -> Any:
        """Store ``value`` (an array, a scalar, a string or ``None``) under ``path + key``.

        Returns:
            ``value`` itself.
        """
        self.target[self.path + key.lstrip("/")] = _to_numpy(value)
        return value


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles NumPy object arrays of built-in values and refuses every other global."""

    _ALLOWED = frozenset(
        {
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(
                f"NpzDeserializer: refusing to unpickle {module}.{name}; the entry holds an "
                "arbitrary Python object (open the file with numpy.load(..., allow_pickle=True) "
                "and pass it to NpzDeserializer if you trust it)"
            )
        return super().find_class(module, name)


def _read_object_entry(npz: Any, key: str) -> numpy.ndarray:
    """Read an object-dtype entry of an NpzFile opened without pickle, e.g. a stored ``None``."""
    with npz.zip.open(key + ".npy") as f:
        version = npy_format.read_magic(f)
        if version == (1, 0):
            npy_format.read_array_header_1_0(f)
        elif version == (2, 0):
            npy_format.read_array_header_2_0(f)
        else:
            raise ValueError(f"NpzDeserializer: {key!r} has unsupported .npy version {version}")
        return _ArrayUnpickler(f).load()


def _get_entry(npz: Any, key: str) -> Any:
    try:
        return npz[key]
    except ValueError:
        # An object array in an NpzFile opened with allow_pickle=False.
        if not hasattr(npz, "zip"):
            raise
        return _read_object_entry(npz, key)


def _normalize_ignore_names(ignore_names: Any) -> list[Any]:
    if ignore_names is None:
        return []
    names = list(ignore_names) if isinstance(ignore_names, (list, tuple)) else [ignore_names]
    for name in names:
        if not (isinstance(name, str) or callable(name)):
            raise ValueError(
                "NpzDeserializer: ignore_names must be a string, a callable or a list of them, "
                f"got an element of type {type(name).__name__}"
            )
    return names


class NpzDeserializer(serializer_module.Deserializer):
    """Deserializer that reads an object tree from an NPZ archive written by :func:`save_npz`.

    Args:
        npz: The archive: what :func:`numpy.load` returns for an ``.npz`` file (or any mapping
            from path to array).
        path: The path prefix this deserializer reads under, e.g. ``'updater/model:main/'``.
        strict: If ``True``, an entry missing from the archive raises :class:`KeyError`;
            otherwise it is skipped and the value passed in is returned unchanged.
        ignore_names: Entries to skip: a full path (string), a predicate on the full path
            (callable), or a list of them.

    Raises:
        ValueError: ``ignore_names`` holds something that is neither a string nor a callable.
    """

    def __init__(
        self, npz: Any, path: str = "", strict: bool = True, ignore_names: Any = None
    ) -> None:
        self.npz = npz
        self.path = path
        self.strict = strict
        self.ignore_names = _normalize_ignore_names(ignore_names)

    def __getitem__(self, key: str) -> NpzDeserializer:
        """Return the deserializer of the child ``key`` (path ``self.path + key + '/'``)."""
        return NpzDeserializer(
            self.npz,
            self.path + key.strip("/") + "/",
            strict=self.strict,
            ignore_names=self.ignore_names,
        )

    def _ignored(self, key: str) -> bool:
        return any(name(key) if callable(name) else name == key for name in self.ignore_names)

    def __call__(self, key: str, value: Any) -> Any:
        """Load the entry ``path + key``.

        Args:
            key: Name of the entry under this deserializer's path.
            value: An array to copy the entry into (in place), a scalar or string whose type the
                entry is converted to, or ``None`` to get the stored array.

        Returns:
            ``value`` filled in (arrays), the converted scalar, the stored array (``value`` is
            ``None``), ``None`` if ``None`` was stored, or ``value`` unchanged if the entry is
            ignored or missing with ``strict=False``.

        Raises:
            KeyError: The entry is missing and ``strict`` is ``True``.
            ValueError: The stored array's shape differs from ``value``'s, or a scalar is
                requested from an array of more than one element.
            TypeError: The stored dtype cannot be cast safely to the type of scalar ``value``.
        """
        key = self.path + key.lstrip("/")
        if self._ignored(key):
            return value
        if key not in self.npz:
            if not self.strict:
                return value
            raise KeyError(
                f"NpzDeserializer: {key!r} is not in the file; load with strict=False to skip "
                "missing entries, or check the path= argument"
            )
        dataset = _get_entry(self.npz, key)
        if dataset.ndim == 0 and dataset.dtype.hasobject and dataset[()] is None:
            return None
        if value is None:
            return dataset
        if _is_array(value):
            if value.shape != dataset.shape:
                raise ValueError(
                    f"NpzDeserializer: {key!r} has shape {dataset.shape} in the file, but the "
                    f"array to load it into has shape {value.shape}"
                )
            backend.copyto(value, dataset)
            return value
        if dataset.size != 1:
            raise ValueError(
                f"NpzDeserializer: {key!r} holds an array of shape {dataset.shape}, but a "
                f"{type(value).__name__} scalar was asked for"
            )
        value_type = type(value)
        dtype = dataset.dtype
        # Python ints have unlimited precision, so any integer array converts to int safely.
        int_to_int = numpy.issubdtype(dtype, numpy.integer) and value_type is int
        if (
            numpy.issubdtype(dtype, numpy.number)
            and not int_to_int
            and not numpy.can_cast(dtype, value_type)
        ):
            raise TypeError(
                f"NpzDeserializer: cannot safely load {key!r} of dtype {dtype} into a value of "
                f"type {value_type.__name__}"
            )
        return value_type(dataset.reshape(()))


def _write_npz(file: Any, target: dict[str, Any], compression: bool) -> None:
    method = zipfile.ZIP_DEFLATED if compression else zipfile.ZIP_STORED
    with zipfile.ZipFile(file, mode="w", compression=method, allowZip64=True) as archive:
        for key, value in target.items():
            with archive.open(key + ".npy", mode="w", force_zip64=True) as member:
                npy_format.write_array(member, _to_numpy(value), allow_pickle=True)


def _write_atomically(path: str, write: Callable[[Any], None]) -> None:
    """Write a file through ``write(f)`` into a temporary file beside ``path``, then rename it.

    A crash or an exception part-way leaves any previous file at ``path`` untouched.
    """
    with atomic_path(path) as temp_path, open(temp_path, "wb") as f:
        write(f)


def save_npz(file: Any, obj: Any, compression: bool = True) -> None:
    """Save an object (or a dictionary of arrays) to an NPZ file.

    The whole object is serialized in memory first, and a file named by a path is written
    atomically (a temporary file in the same folder, then :func:`os.replace`), so an error or a
    crash never leaves a half-written file or destroys the previous one.

    Args:
        file: A path (``str`` or :class:`os.PathLike`; no ``.npz`` is appended) or a binary file
            object opened for writing.
        obj: An object with ``serialize(serializer)``, or a ``dict`` of arrays saved as it is.
        compression: Whether to deflate the archive members (:func:`numpy.savez_compressed`).

    Example:
        >>> kusari.serializers.save_npz('model.npz', model)
        >>> kusari.serializers.load_npz('model.npz', model)
    """
    if isinstance(obj, dict):
        target = obj
    else:
        s = DictionarySerializer()
        s.save(obj)
        target = s.target
    if isinstance(file, (str, os.PathLike)):
        _write_atomically(os.fspath(file), lambda f: _write_npz(f, target, compression))
    else:
        _write_npz(file, target, compression)


def load_npz(
    file: Any, obj: Any, path: str = "", strict: bool = True, ignore_names: Any = None
) -> None:
    """Load an object from an NPZ file written by :func:`save_npz` (or by Chainer).

    Args:
        file: A path or a binary file object opened for reading.
        obj: An object with ``serialize(serializer)``; its arrays are filled in place.
        path: The sub-tree to read, e.g. ``'updater/model:main/'`` to load a model from a
            trainer snapshot; ``''`` reads from the root.
        strict: If ``True``, an entry missing from the file raises :class:`KeyError`; otherwise
            it is skipped.
        ignore_names: Entries to skip: a full path (string), a predicate on the full path
            (callable), or a list of them.

    Raises:
        KeyError: An entry is missing and ``strict`` is ``True``.
        ValueError: ``file`` is not an NPZ archive, or a stored shape differs from the object's.

    Example:
        >>> kusari.serializers.load_npz('snapshot_iter_1000', model, path='updater/model:main/')
    """
    loaded = numpy.load(file, allow_pickle=False)
    if not isinstance(loaded, numpy.lib.npyio.NpzFile):
        raise ValueError(f"load_npz: {file!r} is a single .npy array, not an NPZ archive")
    with loaded:
        NpzDeserializer(loaded, path=path, strict=strict, ignore_names=ignore_names).load(obj)
