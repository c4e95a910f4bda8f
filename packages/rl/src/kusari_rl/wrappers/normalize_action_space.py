"""Presenting a ``Box`` action space as ``[-1, 1]``."""

from __future__ import annotations

import gymnasium
import numpy

__all__ = ["NormalizeActionSpace"]


class NormalizeActionSpace(gymnasium.ActionWrapper):
    """Expose a bounded ``Box`` action space as ``[-1, 1]`` of the same shape and dtype.

    An action ``a`` in ``[-1, 1]`` is mapped affinely onto the wrapped space:
    ``low + (a + 1) * (high - low) / 2``, so -1 becomes ``low`` and 1 becomes ``high``.
    Actions are not clipped.

    Args:
        env: The environment to wrap; its action space must be a ``Box`` with finite bounds.

    Raises:
        TypeError: If the action space is not a ``Box``.
        ValueError: If a bound is infinite.
    """

    def __init__(self, env: gymnasium.Env) -> None:
        super().__init__(env)
        space = env.action_space
        if not isinstance(space, gymnasium.spaces.Box):
            raise TypeError(
                "NormalizeActionSpace: the action space must be a gymnasium.spaces.Box, got "
                f"{space}"
            )
        if not (numpy.isfinite(space.low).all() and numpy.isfinite(space.high).all()):
            raise ValueError(
                f"NormalizeActionSpace: the action space must have finite bounds, got {space}"
            )
        self._low = space.low.astype(numpy.float64)
        self._half_range = (space.high.astype(numpy.float64) - self._low) / 2
        self._dtype = space.dtype
        self.action_space = gymnasium.spaces.Box(-1.0, 1.0, space.shape, dtype=space.dtype)

    def action(self, action: numpy.ndarray) -> numpy.ndarray:
        """Map ``action`` from ``[-1, 1]`` onto the wrapped action space."""
        scaled = self._low + (numpy.asarray(action, dtype=numpy.float64) + 1.0) * self._half_range
        return scaled.astype(self._dtype)
