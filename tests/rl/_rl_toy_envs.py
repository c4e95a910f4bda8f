"""Tiny deterministic gymnasium environments that agents learn in seconds (tests only)."""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np


class ChainEnv(gymnasium.Env):
    """Walk right along a chain of ``n`` cells; the last cell pays 1 and terminates.

    Observation: one-hot float32 ``(n,)``. Actions: 0 left, 1 right. Truncated after
    ``max_steps``. The optimal return is 1, reached in ``n - 1`` steps.
    """

    def __init__(self, n: int = 5, max_steps: int = 20) -> None:
        self.n = n
        self.max_steps = max_steps
        self.observation_space = gymnasium.spaces.Box(0.0, 1.0, (n,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(2)
        self._pos = 0
        self._t = 0

    def _obs(self) -> np.ndarray:
        obs = np.zeros(self.n, dtype=np.float32)
        obs[self._pos] = 1.0
        return obs

    def reset(self, *, seed: int | None = None, options: Any = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._pos = 0
        self._t = 0
        return self._obs(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        self._t += 1
        self._pos = max(0, self._pos - 1) if int(action) == 0 else self._pos + 1
        terminated = self._pos == self.n - 1
        truncated = not terminated and self._t >= self.max_steps
        return self._obs(), float(terminated), terminated, truncated, {}


class PointEnv(gymnasium.Env):
    """Steer a point on ``[-1, 1]`` to the origin; reward ``-x**2``; only truncation ends it.

    Observation: float32 ``(x, 0.5)``. Action: ``Box(-1, 1, (1,))``, moving ``x`` by ``0.2 a``.
    A random policy returns about -6.5 over 20 steps, a good one about -1.5.
    """

    def __init__(self, max_steps: int = 20) -> None:
        self.max_steps = max_steps
        self.observation_space = gymnasium.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.action_space = gymnasium.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self._x = 0.0
        self._t = 0

    def _obs(self) -> np.ndarray:
        return np.array([self._x, 0.5], dtype=np.float32)

    def reset(self, *, seed: int | None = None, options: Any = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._x = float(self.np_random.uniform(-1.0, 1.0))
        self._t = 0
        return self._obs(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        self._t += 1
        a = float(np.clip(np.asarray(action, dtype=np.float64).reshape(-1)[0], -1.0, 1.0))
        self._x = float(np.clip(self._x + 0.2 * a, -1.0, 1.0))
        return self._obs(), -(self._x**2), False, self._t >= self.max_steps, {}


def make_chain_vector_env(num_envs: int = 4, **kwargs: Any) -> gymnasium.vector.SyncVectorEnv:
    """A ``SyncVectorEnv`` of ``num_envs`` :class:`ChainEnv`."""
    return gymnasium.vector.SyncVectorEnv([lambda: ChainEnv(**kwargs) for _ in range(num_envs)])


def make_point_vector_env(num_envs: int = 4, **kwargs: Any) -> gymnasium.vector.SyncVectorEnv:
    """A ``SyncVectorEnv`` of ``num_envs`` :class:`PointEnv`."""
    return gymnasium.vector.SyncVectorEnv([lambda: PointEnv(**kwargs) for _ in range(num_envs)])
