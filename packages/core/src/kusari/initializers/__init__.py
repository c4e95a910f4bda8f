"""Weight initializers (``chainer.initializers``) and array creation through them.

An initializer fills an existing array in place; :func:`generate_array` creates the array first.
Random initializers draw from ``xp.random`` of the array's device, so ``numpy.random.seed`` makes
them reproducible, as in Chainer.

Example:
    >>> W = kusari.initializers.generate_array(
    ...     kusari.initializers.HeNormal(), (64, 3, 3, 3), numpy)
    >>> W.dtype
    dtype('float32')
"""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend
from kusari.configuration import config
from kusari.initializers.constant import Constant, Identity, NaN, One, Zero
from kusari.initializers.normal import GlorotNormal, HeNormal, LeCunNormal, Normal
from kusari.initializers.orthogonal import Orthogonal
from kusari.initializers.uniform import GlorotUniform, HeUniform, LeCunUniform, Uniform

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "LeCunNormal",
    "LeCunUniform",
    "NaN",
    "Normal",
    "One",
    "Orthogonal",
    "Uniform",
    "Zero",
    "generate_array",
]


def generate_array(
    initializer: Any, shape: Any, xp: Any, dtype: Any = None, device: Any = None
) -> Any:
    """Create an array and fill it with ``initializer``.

    The dtype is ``dtype``, else ``initializer.dtype``, else ``kusari.config.dtype``.

    Args:
        initializer: A callable that fills an array in place (usually an
            :class:`~kusari.initializer.Initializer`).
        shape: Shape of the new array: an int or a tuple of ints.
        xp: The array module, ``numpy`` or ``cupy``.
        dtype: Data type specifier; ``None`` takes the initializer's or the configured one.
        device: Where to create the array: a :class:`~kusari.backend.Device` or a device spec
            (``'@cupy:0'``, a GPU id, ...); ``None`` is the host for NumPy and the current GPU for
            CuPy.

    Returns:
        The new NumPy or CuPy array ``shape``.

    Raises:
        ValueError: ``dtype`` contradicts ``initializer.dtype``, or ``device`` does not hold
            ``xp`` arrays.

    Example:
        >>> b = kusari.initializers.generate_array(kusari.initializers.Zero(), 3, numpy)
        >>> b
        array([0., 0., 0.], dtype=float32)
    """
    dtype_attr = getattr(initializer, "dtype", None)
    if (
        dtype is not None
        and dtype_attr is not None
        and numpy.dtype(dtype) != numpy.dtype(dtype_attr)
    ):
        raise ValueError(
            f"generate_array: dtype {numpy.dtype(dtype)} != the initializer's dtype "
            f"{numpy.dtype(dtype_attr)}"
        )
    if dtype is None:
        dtype = dtype_attr
    dtype = numpy.dtype(config.dtype if dtype is None else dtype)
    if device is not None:
        target = backend.get_device(device)
    elif xp is numpy:
        target = backend.get_device(numpy)
    else:
        target = backend.GpuDevice(xp.cuda.Device().id)
    if target.xp is not xp:
        raise ValueError(
            f"generate_array: device {target.name} does not hold {xp.__name__} arrays; pass the "
            f"device's xp ({target.xp.__name__})"
        )
    with target:
        array = xp.empty(shape, dtype=dtype)
        initializer(array)
    return array


def _get_initializer(initializer: Any) -> Any:
    """Turn the ``initialW``/``initial_bias`` argument of a link into a callable initializer.

    ``None`` gives :class:`LeCunNormal`, a scalar or an array gives :class:`Constant`, and a
    callable (an :class:`~kusari.initializer.Initializer` or a function filling an array) is
    returned as it is.

    Raises:
        TypeError: ``initializer`` is none of the above.
    """
    if initializer is None:
        return LeCunNormal()
    if (
        numpy.isscalar(initializer)
        or isinstance(initializer, numpy.ndarray)
        or type(initializer).__module__.startswith("cupy")
    ):
        return Constant(initializer)
    if not callable(initializer):
        raise TypeError(
            "initializer: expected an Initializer, a callable, a scalar, an array or None, got "
            f"{type(initializer).__name__}"
        )
    return initializer
