"""Filling an array with random samples from ``xp.random`` or a given generator."""

from __future__ import annotations

from typing import Any

import numpy

from kusari import backend


def fill_random(array: Any, rng: Any, method: str, **params: float) -> None:
    """Fill ``array`` in place with ``<random module>.<method>(size=array.shape, **params)``.

    Without ``rng`` the samples come from ``xp.random`` of the array's device, so
    ``numpy.random.seed`` (or ``cupy.random.seed``) makes them reproducible, as in Chainer. On the
    GPU the samples are drawn in float32 for float16/float32 arrays (cuRAND has no float16).

    Args:
        array: The NumPy or CuPy array ``(...)`` to fill.
        rng: A ``RandomState``-like generator, or ``None`` for the global ``xp.random``.
        method: Name of the sampling method, e.g. ``'normal'`` or ``'uniform'``.
        **params: Parameters of the distribution (``loc``/``scale``, ``low``/``high``).
    """
    device = backend.get_device_from_array(array)
    with device:
        if rng is not None:
            sample = getattr(rng, method)(size=array.shape, **params)
        elif device.xp is numpy:
            sample = getattr(numpy.random, method)(size=array.shape, **params)
        else:
            dtype = numpy.float64 if array.dtype == numpy.float64 else numpy.float32
            sample = getattr(device.xp.random, method)(size=array.shape, dtype=dtype, **params)
        backend.copyto(array, sample)
