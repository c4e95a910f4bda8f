"""Pieces the fully connected policies share: hidden sizes and tanh bounds."""

from __future__ import annotations

from typing import Any

import numpy

import kusari.functions as F
from kusari import backend
from kusari.variable import Variable


def hidden_sizes(owner: str, n_hidden_layers: int, n_hidden_channels: int | None) -> list[int]:
    """``[n_hidden_channels] * n_hidden_layers`` after checking both.

    Raises:
        ValueError: ``n_hidden_layers`` is negative, or hidden layers are asked for without a
            positive ``n_hidden_channels``.
    """
    if isinstance(n_hidden_layers, bool) or not isinstance(n_hidden_layers, int):
        raise TypeError(f"{owner}: n_hidden_layers must be an int, got {n_hidden_layers!r}")
    if n_hidden_layers < 0:
        raise ValueError(f"{owner}: n_hidden_layers must be >= 0, got {n_hidden_layers}")
    if n_hidden_layers == 0:
        return []
    if (
        isinstance(n_hidden_channels, bool)
        or not isinstance(n_hidden_channels, int)
        or n_hidden_channels <= 0
    ):
        raise ValueError(
            f"{owner}: n_hidden_channels must be a positive int when n_hidden_layers > 0, got "
            f"{n_hidden_channels!r}"
        )
    return [n_hidden_channels] * n_hidden_layers


def var_size(owner: str, var_type: str, action_size: int) -> int:
    """The number of variance parameters: 1 for ``'spherical'``, ``action_size`` for ``'diagonal'``.

    Raises:
        ValueError: ``var_type`` is neither.
    """
    if var_type == "spherical":
        return 1
    if var_type == "diagonal":
        return action_size
    raise ValueError(f"{owner}: var_type must be 'spherical' or 'diagonal', got {var_type!r}")


class TanhBound:
    """``tanh(x) * (high - low) / 2 + (high + low) / 2``: squashes ``x`` into ``[low, high]``.

    ChainerRL's ``bound_by_tanh``, with the scale and center computed once.

    Args:
        owner: The policy's name, for error messages.
        low: The lower bounds, a scalar or shape ``(A,)``.
        high: The upper bounds, a scalar or shape ``(A,)``.
        size: The action size ``A``.

    Raises:
        ValueError: A bound is missing, does not broadcast to ``(A,)``, or ``high < low``.
    """

    def __init__(self, owner: str, low: Any, high: Any, size: int) -> None:
        if low is None or high is None:
            raise ValueError(f"{owner}: bounding needs both min_action and max_action")
        low = numpy.asarray(backend.CpuDevice().send(low), numpy.float32)
        high = numpy.asarray(backend.CpuDevice().send(high), numpy.float32)
        try:
            low = numpy.broadcast_to(low, (size,))
            high = numpy.broadcast_to(high, (size,))
        except ValueError:
            raise ValueError(
                f"{owner}: min_action {low.shape} and max_action {high.shape} must be scalars "
                f"or have shape ({size},) (action_size)"
            ) from None
        if (high < low).any():
            raise ValueError(
                f"{owner}: max_action must be >= min_action, got min_action={low}, "
                f"max_action={high}"
            )
        self._scale = (high - low) / 2
        self._center = (high + low) / 2

    def __call__(self, x: Variable) -> Variable:
        """Squash ``x`` of shape ``(B, A)`` into the bounds."""
        scale, center = self._scale, self._center
        xp = backend.get_array_module(x.array)
        if xp is not numpy:
            scale, center = xp.asarray(scale), xp.asarray(center)
        return F.tanh(x) * scale + center
