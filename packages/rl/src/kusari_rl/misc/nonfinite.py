"""Stopping training when a loss, an observation or a reward stops being a finite number."""

from __future__ import annotations

from typing import Any

import numpy


class NonFiniteError(FloatingPointError):
    """A loss, observation or reward was NaN or infinite; training stops without saving."""


def check_finite(value: Any, what: str) -> None:
    """Raise :class:`NonFiniteError` if ``value`` holds a NaN or an infinity.

    Args:
        value: A number, an array (NumPy or CuPy) or a :class:`kusari.Variable`.
        what: What ``value`` is, for the message, e.g. ``'DQN loss at update 120'``.

    Raises:
        NonFiniteError: If any element is NaN or infinite.
    """
    array = getattr(value, "array", value)
    if hasattr(array, "get"):
        array = array.get()
    array = numpy.asarray(array)
    if array.dtype.kind in "fc" and not numpy.isfinite(array).all():
        raise NonFiniteError(f"{what} is not finite: {_describe(array)}")


def _describe(array: numpy.ndarray) -> str:
    if array.size == 1:
        return str(array.reshape(()).item())
    bad = int(array.size - numpy.isfinite(array).sum())
    return f"{bad} of {array.size} values are NaN or infinite"
