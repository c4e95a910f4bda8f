"""Devices and array modules (Chainer v7's ``chainer.backend``).

A device spec is ``'@numpy'``, ``'@cupy:N'``, an integer (negative: the host; ``N >= 0``: GPU
``N``), the ``numpy`` module, a :class:`Device`, or ``None`` (the host).
"""

from __future__ import annotations

from typing import Any

import numpy

from kusari._backend import Device
from kusari.backends._cpu import CpuDevice
from kusari.backends.cuda import GpuDevice, get_array_module

__all__ = [
    "CpuDevice",
    "Device",
    "GpuDevice",
    "copyto",
    "get_array_module",
    "get_device",
    "get_device_from_array",
]

_CPU = CpuDevice()


def get_device(device_spec: Any) -> Device:
    """Return the :class:`Device` a spec names.

    Args:
        device_spec: ``'@numpy'``, ``'@cupy:N'``, an ``int`` or a string holding one (negative
            for the host; Chainer's examples pass ``'-1'``), the ``numpy`` module, a
            :class:`Device`, or ``None`` (the host).

    Raises:
        ValueError: The spec is not one of the forms above.
        RuntimeError: A GPU was asked for and CuPy or CUDA is unavailable.
    """
    if isinstance(device_spec, Device):
        return device_spec
    if device_spec is None or device_spec is numpy:
        return _CPU
    if isinstance(device_spec, (int, numpy.integer)) and not isinstance(device_spec, bool):
        return _CPU if device_spec < 0 else GpuDevice(int(device_spec))
    if isinstance(device_spec, str):
        if device_spec == "@numpy":
            return _CPU
        if device_spec.startswith("@cupy:") and device_spec[6:].isdigit():
            return GpuDevice(int(device_spec[6:]))
        if device_spec == "@cupy":
            return GpuDevice(0)
        if device_spec.lstrip("-").isdigit():
            return get_device(int(device_spec))
    if getattr(device_spec, "__name__", None) == "cupy":
        return GpuDevice(device_spec.cuda.Device().id)
    raise ValueError(
        f"get_device: expected '@numpy', '@cupy:N', an int, numpy or a Device, "
        f"got {device_spec!r}"
    )


def get_device_from_array(array: Any) -> Device:
    """Return the :class:`Device` holding ``array`` (a NumPy/CuPy array or a Variable)."""
    data = getattr(array, "array", array)
    if type(data).__module__.startswith("cupy"):
        return GpuDevice(data.device.id)
    return _CPU


def copyto(dst: Any, src: Any) -> None:
    """Copy the elements of ``src`` into ``dst`` in place, across devices if needed."""
    dst_xp = get_array_module(dst)
    dst_xp.copyto(dst, get_device_from_array(dst).send(src))
