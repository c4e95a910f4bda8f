"""Deterministic initializers: a constant, zeros, ones, NaN and the identity matrix."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend
from kusari.initializer import Initializer

__all__ = ["Constant", "Identity", "NaN", "One", "Zero"]


def _is_array(value: Any) -> bool:
    return isinstance(value, numpy.ndarray) or type(value).__module__.startswith("cupy")


class Identity(Initializer):
    """Fills a square matrix with a multiple of the identity matrix.

    Args:
        scale: The value put on the diagonal.
        dtype: Data type specifier.

    Attributes:
        scale (scalar): The value put on the diagonal.
    """

    def __init__(self, scale: float = 1.0, dtype: Any = None) -> None:
        self.scale = scale
        super().__init__(dtype)

    def __call__(self, array: Any) -> None:
        """Fill ``array`` with ``scale`` times the identity matrix.

        Args:
            array: A square matrix ``(N, N)``, NumPy or CuPy.

        Raises:
            ValueError: ``array`` is not a square matrix.
            TypeError: ``array.dtype`` differs from the initializer's ``dtype``.
        """
        self._check_array(array, floating=False)
        if array.ndim != 2 or array.shape[0] != array.shape[1]:
            raise ValueError(
                f"Identity: expected a square matrix (N, N), got an array of shape {array.shape}"
            )
        xp = backend.get_array_module(array)
        array[...] = 0
        xp.fill_diagonal(array, self.scale)


class _Constant(Initializer):
    """Fills an array with :attr:`fill_value` (broadcast); subclasses set :attr:`fill_value`."""

    fill_value: Any = None

    def __init__(self, dtype: Any = None) -> None:
        if not (_is_array(self.fill_value) or numpy.isscalar(self.fill_value)):
            raise ValueError(
                f"{type(self).__name__}: fill_value must be a scalar, numpy.ndarray or "
                f"cupy.ndarray, got {type(self.fill_value).__name__}"
            )
        super().__init__(dtype)

    def __call__(self, array: Any) -> None:
        """Fill ``array`` with the constant, broadcasting an array constant to its shape.

        Args:
            array: The NumPy or CuPy array ``(...)`` to fill.

        Raises:
            TypeError: ``array.dtype`` differs from the initializer's ``dtype``.
            ValueError: An array constant cannot be broadcast to ``array.shape``.
        """
        self._check_array(array, floating=False)
        device = backend.get_device_from_array(array)
        with device:
            array[...] = device.send(self.fill_value)


class Constant(_Constant):
    """Fills an array with a constant value.

    Args:
        fill_value: A scalar, or an array broadcast to the shape of the filled array.
        dtype: Data type specifier.

    Attributes:
        fill_value (scalar, numpy.ndarray or cupy.ndarray): The value to fill with.

    Raises:
        ValueError: ``fill_value`` is neither a scalar nor an array.
    """

    def __init__(self, fill_value: Any, dtype: Any = None) -> None:
        self.fill_value = fill_value
        super().__init__(dtype)


class Zero(_Constant):
    """Fills an array with zeros.

    Args:
        dtype: Data type specifier.
    """

    fill_value = 0.0


class One(_Constant):
    """Fills an array with ones.

    Args:
        dtype: Data type specifier.
    """

    fill_value = 1.0


class NaN(_Constant):
    """Fills an array with NaN (the marker of a parameter that has not been set).

    Args:
        dtype: Data type specifier.
    """

    fill_value = numpy.nan
