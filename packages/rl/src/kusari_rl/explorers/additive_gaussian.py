"""Gaussian noise added to continuous actions (Fujimoto et al. 2018, TD3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from kusari.backend import get_array_module
from kusari_rl.explorer import Explorer


class AdditiveGaussian(Explorer):
    """Add ``N(0, scale^2)`` noise to the greedy action, then clip it to ``[low, high]``.

    Args:
        scale: The standard deviation, a float or an array broadcastable to the action shape.
        low: The lower bound of the action (float or array); ``None`` for no lower clipping.
        high: The upper bound of the action (float or array); ``None`` for no upper clipping.

    Raises:
        ValueError: If ``scale`` is negative.
    """

    def __init__(self, scale: Any, low: Any = None, high: Any = None) -> None:
        if numpy.any(numpy.asarray(scale) < 0):
            raise ValueError(f"AdditiveGaussian: scale must be >= 0, got {scale}")
        self.scale = scale
        self.low = low
        self.high = high

    def select_action(
        self, t: int, greedy_action_func: Callable[[], Any], action_value: Any = None
    ) -> Any:
        """Return the greedy action (an array) plus float32 Gaussian noise, clipped.

        Args:
            t: The current time step (unused).
            greedy_action_func: Returns the greedy action, a NumPy or CuPy array.
            action_value: Unused.

        Returns:
            The noisy action, an array of the greedy action's shape on its device.
        """
        action = greedy_action_func()
        xp = get_array_module(action)
        noise = numpy.random.normal(scale=self.scale, size=numpy.shape(action))
        noisy = action + xp.asarray(noise.astype(numpy.float32))
        if self.low is None and self.high is None:
            return noisy
        return xp.clip(noisy, self.low, self.high)

    def __repr__(self) -> str:
        return f"AdditiveGaussian(scale={self.scale}, low={self.low}, high={self.high})"
