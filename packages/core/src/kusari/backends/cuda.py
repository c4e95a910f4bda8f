"""CuPy backend. CuPy is optional and imported the first time it is needed.

``kusari.backends.cuda.cupy`` is the CuPy module, or ``None`` when CuPy cannot be imported, and
``available`` tells whether a GPU can be used (Chainer v7's ``chainer.backends.cuda``).
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy

from kusari._backend import Device
from kusari.backends._cpu import _array_to_cpu

_state: dict[str, Any] = {}


def _load() -> Any:
    if "cupy" not in _state:
        try:
            module = importlib.import_module("cupy")
        except Exception:  # CuPy missing, or present without a usable CUDA runtime
            module = None
        _state["cupy"] = module
        try:
            _state["available"] = module is not None and module.cuda.runtime.getDeviceCount() > 0
        except Exception:  # the driver says no device
            _state["available"] = False
    return _state["cupy"]


def __getattr__(name: str) -> Any:
    if name == "cupy":
        return _load()
    if name == "available":
        _load()
        return _state["available"]
    raise AttributeError(f"module 'kusari.backends.cuda' has no attribute {name!r}")


def check_cuda_available() -> None:
    """Raise :class:`RuntimeError` saying how to install CuPy when no GPU can be used."""
    _load()
    if not _state["available"]:
        raise RuntimeError(
            "CUDA environment is not correctly set up: install CuPy matching your CUDA "
            "(e.g. `pip install cupy-cuda12x`) and check that a GPU is visible."
        )


def _is_cupy_array(array: Any) -> bool:
    return type(array).__module__.startswith("cupy")


class GpuDevice(Device):
    """One CUDA GPU: arrays are ``cupy.ndarray``.

    Args:
        device_id: The GPU's index (``0``, ``1``, ...).
    """

    def __init__(self, device_id: int) -> None:
        check_cuda_available()
        self.device_id = int(device_id)
        self.name = f"@cupy:{self.device_id}"
        self.xp = _load()
        self.device = self.xp.cuda.Device(self.device_id)

    def send_array(self, array: Any) -> Any:
        """Return ``array`` on this GPU (copied if it lives on the host or another GPU)."""
        if _is_cupy_array(array) and array.device.id == self.device_id:
            return array
        with self.device:
            return self.xp.asarray(array)

    def use(self) -> None:
        """Make this GPU the current CUDA device."""
        self.device.use()

    def __enter__(self) -> GpuDevice:
        self.device.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.device.__exit__(*exc)

    def is_array_supported(self, array: Any) -> bool:
        """Whether ``array`` is a CuPy array on this GPU."""
        return _is_cupy_array(array) and array.device.id == self.device_id


def get_device_from_id(device_id: int | None) -> Any:
    """Return the ``cupy.cuda.Device`` of ``device_id`` (the current one when ``None``)."""
    check_cuda_available()
    cp = _load()
    return cp.cuda.Device(device_id) if device_id is not None else cp.cuda.Device()


def get_device_from_array(array: Any) -> Any:
    """Return the ``cupy.cuda.Device`` that holds ``array``."""
    return get_device_from_id(array.device.id)


def get_array_module(*args: Any) -> Any:
    """Return ``cupy`` when any argument is (or holds) a CuPy array, else ``numpy``.

    Args:
        *args: Arrays, Variables or anything else.

    Example:
        >>> xp = kusari.backend.get_array_module(x)
        >>> y = xp.exp(x)
    """
    for arg in args:
        data = getattr(arg, "array", arg)
        if _is_cupy_array(data):
            return _load()
    return numpy


def to_cpu(array: Any, stream: Any = None) -> Any:
    """Copy an array, or a (nested) list/tuple of arrays, to the host as NumPy arrays."""
    if isinstance(array, (list, tuple)):
        return type(array)(to_cpu(a, stream) for a in array)
    return _array_to_cpu(array)


def to_gpu(array: Any, device: Any = None, stream: Any = None) -> Any:
    """Copy an array, or a (nested) list/tuple of arrays, to a GPU.

    Args:
        array: NumPy/CuPy array(s).
        device: GPU id, ``cupy.cuda.Device``, or ``None`` for the current GPU.
        stream: Unused; kept for Chainer compatibility.
    """
    if isinstance(array, (list, tuple)):
        return type(array)(to_gpu(a, device, stream) for a in array)
    check_cuda_available()
    cp = _load()
    dev_id = getattr(device, "id", device)
    if dev_id is None:
        dev_id = cp.cuda.Device().id
    return GpuDevice(dev_id).send_array(array)
