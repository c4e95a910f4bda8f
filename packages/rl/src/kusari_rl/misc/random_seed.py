"""Seeding every random number generator an experiment uses."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy


def set_random_seed(seed: int, gpus: Sequence[int] = ()) -> None:
    """Seed Python's :mod:`random`, NumPy's global generator and, for ``gpus``, CuPy's.

    Args:
        seed: A non-negative integer below ``2**32``.
        gpus: GPU ids whose CuPy generators are seeded too (negative ids are skipped).

    Raises:
        ValueError: If ``seed`` is out of range.
    """
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"set_random_seed: seed must be in [0, 2**32), got {seed}")
    random.seed(seed)
    numpy.random.seed(seed)
    for gpu in gpus:
        if gpu >= 0:
            import cupy

            with cupy.cuda.Device(gpu):
                cupy.random.seed(seed)
