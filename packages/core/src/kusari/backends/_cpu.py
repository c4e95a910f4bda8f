"""The host (NumPy) device."""

from __future__ import annotations

from typing import Any

import numpy

from kusari._backend import Device


def _array_to_cpu(array: Any) -> Any:
    if array is None or isinstance(array, numpy.ndarray):
        return array
    if isinstance(array, numpy.generic):
        return numpy.asarray(array)
    get = getattr(array, "get", None)
    if get is not None and type(array).__module__.startswith("cupy"):
        return get()
    return numpy.asarray(array)


class CpuDevice(Device):
    """The host: arrays are :class:`numpy.ndarray`."""

    xp = numpy
    name = "@numpy"

    def send_array(self, array: Any) -> Any:
        """Return ``array`` as a NumPy array (a CuPy array is copied to the host)."""
        return _array_to_cpu(array)

    def is_array_supported(self, array: Any) -> bool:
        """Whether ``array`` is a NumPy array."""
        return isinstance(array, numpy.ndarray)
