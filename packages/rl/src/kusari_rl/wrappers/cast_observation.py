"""Casting observations to another dtype."""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy

__all__ = ["CastObservation", "CastObservationToFloat32"]


class CastObservation(gymnasium.ObservationWrapper):
    """Cast every observation to ``dtype`` (a ``Box`` observation space is cast along).

    Args:
        env: The environment to wrap.
        dtype: The NumPy dtype to cast to.

    Attributes:
        original_observation: The last observation before the cast.
    """

    def __init__(self, env: gymnasium.Env, dtype: Any) -> None:
        super().__init__(env)
        self.dtype = numpy.dtype(dtype)
        self.original_observation: Any = None
        space = env.observation_space
        if isinstance(space, gymnasium.spaces.Box):
            self.observation_space = gymnasium.spaces.Box(
                space.low.astype(self.dtype), space.high.astype(self.dtype), dtype=self.dtype
            )

    def observation(self, observation: Any) -> numpy.ndarray:
        """Return ``observation`` as an array of ``dtype`` (no copy if it has it already)."""
        self.original_observation = observation
        return numpy.asarray(observation).astype(self.dtype, copy=False)


class CastObservationToFloat32(CastObservation):
    """Cast every observation to float32, the dtype of Kusari's parameters.

    Args:
        env: The environment to wrap.
    """

    def __init__(self, env: gymnasium.Env) -> None:
        super().__init__(env, numpy.float32)
