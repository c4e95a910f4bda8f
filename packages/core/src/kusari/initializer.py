"""The base class of weight initializers, and the fans they use (``chainer.initializer``).

An initializer is a callable that fills an existing array in place; the concrete ones live in
:mod:`kusari.initializers`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

__all__ = ["Initializer", "get_fans"]


class Initializer:
    """Fills an array in place.

    Subclasses implement :meth:`__call__`. When ``dtype`` is given, :meth:`__call__` only accepts
    arrays of that dtype, and :func:`kusari.initializers.generate_array` creates arrays of it.

    Args:
        dtype: Data type specifier of the arrays this initializer fills (``None``: any; new arrays
            get ``kusari.config.dtype``).

    Attributes:
        dtype: The data type specifier given at construction.
    """

    def __init__(self, dtype: Any = None) -> None:
        self.dtype = dtype

    def __call__(self, array: Any) -> None:
        """Fill ``array`` in place.

        Args:
            array: The NumPy or CuPy array ``(...)`` to fill.
        """
        raise NotImplementedError

    def _check_array(self, array: Any, floating: bool) -> None:
        """Raise TypeError when ``array`` has the wrong dtype for this initializer.

        Args:
            array: The array about to be filled.
            floating: Whether the initializer only makes sense for floating-point arrays.
        """
        name = type(self).__name__
        if self.dtype is not None and array.dtype != numpy.dtype(self.dtype):
            raise TypeError(
                f"{name}: expected an array of dtype {numpy.dtype(self.dtype)} (the initializer's "
                f"dtype), got {array.dtype}"
            )
        if floating and array.dtype.kind != "f":
            raise TypeError(f"{name}: expected a floating-point array, got dtype {array.dtype}")


def get_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Return the numbers of input and output units of a weight of the given shape.

    The first axis counts output channels and the second input channels; the remaining axes
    (the receptive field of a convolution kernel) multiply both.

    Args:
        shape: The weight's shape: ``(out_size, in_size)`` for a linear layer,
            ``(C_out, C_in, kH, kW)`` for a 2-D convolution.

    Returns:
        ``(fan_in, fan_out)``: ``shape[1] * prod(shape[2:])`` and ``shape[0] * prod(shape[2:])``.

    Raises:
        ValueError: ``shape`` is not a tuple, or has fewer than two axes.

    Example:
        >>> kusari.initializer.get_fans((64, 3, 3, 3))
        (27, 576)
    """
    if not isinstance(shape, tuple):
        raise ValueError(f"get_fans: shape must be a tuple, got {type(shape).__name__}")
    if len(shape) < 2:
        raise ValueError(f"get_fans: shape must have at least 2 axes, got {shape}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field
