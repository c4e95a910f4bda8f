"""A time limit that truncates episodes without ever terminating them."""

from __future__ import annotations

from typing import Any

import gymnasium

__all__ = ["ContinuingTimeLimit"]


class ContinuingTimeLimit(gymnasium.Wrapper):
    """End episodes after ``max_episode_steps`` steps as truncated, never as terminated.

    ChainerRL's wrapper for continuing tasks set ``info['needs_reset']`` at the limit instead
    of ``done``, so agents bootstrap from the last state. In gymnasium's terms the limit is a
    truncation: from the ``max_episode_steps``-th step of an episode on, ``truncated`` is
    ``True``; ``terminated`` is the wrapped environment's own flag, unchanged.

    Args:
        env: The environment to wrap.
        max_episode_steps: The number of steps after which the episode is truncated.

    Raises:
        ValueError: If ``max_episode_steps`` is not a positive integer.
    """

    def __init__(self, env: gymnasium.Env, max_episode_steps: int) -> None:
        super().__init__(env)
        if (
            isinstance(max_episode_steps, bool)
            or not isinstance(max_episode_steps, int)
            or max_episode_steps < 1
        ):
            raise ValueError(
                "ContinuingTimeLimit: max_episode_steps must be a positive integer, got "
                f"{max_episode_steps!r}"
            )
        self.max_episode_steps = max_episode_steps
        self._elapsed_steps: int | None = None

    def step(self, action: Any) -> tuple[Any, Any, bool, bool, dict[str, Any]]:
        """Step the environment; ``truncated`` is set once the limit is reached.

        Raises:
            RuntimeError: If called before :meth:`reset`.
        """
        if self._elapsed_steps is None:
            raise RuntimeError("ContinuingTimeLimit: call reset() before step()")
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._elapsed_steps += 1
        truncated = truncated or self._elapsed_steps >= self.max_episode_steps
        return obs, reward, terminated, truncated, info

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Reset the environment and the step count."""
        self._elapsed_steps = 0
        return self.env.reset(seed=seed, options=options)
