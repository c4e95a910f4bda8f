"""Scaling rewards by a constant."""

from __future__ import annotations

import gymnasium

__all__ = ["ScaleReward"]


class ScaleReward(gymnasium.RewardWrapper):
    """Multiply every reward by ``scale``.

    Args:
        env: The environment to wrap.
        scale: The factor.

    Attributes:
        original_reward: The last reward before scaling.
    """

    def __init__(self, env: gymnasium.Env, scale: float) -> None:
        super().__init__(env)
        self.scale = scale
        self.original_reward: float | None = None

    def reward(self, reward: float) -> float:
        """Return ``scale * reward``."""
        self.original_reward = reward
        return self.scale * reward
