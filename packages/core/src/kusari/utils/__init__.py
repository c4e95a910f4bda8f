"""Small utilities shared by functions and links (Chainer's ``chainer.utils``).

``atomic_path`` and ``write_text_atomically`` (Kusari's own) write files so that a crash never
leaves a half-written one; the add-on packages use them too.
"""

from __future__ import annotations

from typing import Any

import numpy

from kusari.utils import conv, type_check
from kusari.utils._atomic import atomic_path, write_text_atomically
from kusari.utils.conv import get_conv_outsize, get_deconv_outsize

__all__ = [
    "atomic_path",
    "conv",
    "force_array",
    "force_type",
    "get_conv_outsize",
    "get_deconv_outsize",
    "size_of_shape",
    "type_check",
    "write_text_atomically",
]


def force_array(x: Any, dtype: Any = None) -> Any:
    """Return ``x`` as an array; NumPy reductions on 0-d input give scalars, this undoes that.

    Args:
        x: An array or a NumPy scalar.
        dtype: If given, the array is cast to this dtype.
    """
    if type(x) is numpy.ndarray and dtype is None:
        return x
    if isinstance(x, (numpy.generic, int, float, bool)):
        return numpy.asarray(x, dtype=dtype)
    if dtype is not None and x.dtype != dtype:
        return x.astype(dtype, copy=False)
    return x


def force_type(dtype: Any, value: Any) -> Any:
    """Cast a scalar or an array ``value`` to ``dtype`` (arrays keep their device)."""
    if numpy.isscalar(value):
        return dtype.type(value)
    if value.dtype != dtype:
        return value.astype(dtype, copy=False)
    return value


def size_of_shape(shape: tuple[int, ...]) -> int:
    """Number of elements of an array of ``shape`` (1 for ``()``)."""
    size = 1
    for s in shape:
        size *= s
    return int(size)
