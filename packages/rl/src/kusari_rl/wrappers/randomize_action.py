"""Replacing a fraction of actions with random ones."""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy

__all__ = ["RandomizeAction"]


class RandomizeAction(gymnasium.ActionWrapper):
    """With probability ``random_fraction``, replace the agent's action with a uniform random one.

    Meant for making an environment stochastic, e.g. evaluating on Atari with a small fraction
    of random actions; for exploration use an explorer such as
    :class:`~kusari_rl.explorers.ConstantEpsilonGreedy` instead. The wrapper draws from its own
    generator, seeded by ``reset(seed=...)``.

    Args:
        env: The environment to wrap; its action space must be ``Discrete``.
        random_fraction: The probability of replacing an action, in ``[0, 1]``.

    Raises:
        TypeError: If the action space is not ``Discrete``.
        ValueError: If ``random_fraction`` is outside ``[0, 1]``.
    """

    def __init__(self, env: gymnasium.Env, random_fraction: float) -> None:
        super().__init__(env)
        if not isinstance(env.action_space, gymnasium.spaces.Discrete):
            raise TypeError(
                "RandomizeAction: the action space must be gymnasium.spaces.Discrete, got "
                f"{env.action_space}"
            )
        if not 0.0 <= random_fraction <= 1.0:
            raise ValueError(
                f"RandomizeAction: random_fraction must be in [0, 1], got {random_fraction}"
            )
        self.random_fraction = random_fraction
        self._rng = numpy.random.default_rng()

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Reset the environment; a ``seed`` also seeds the wrapper's generator."""
        if seed is not None:
            self._rng = numpy.random.default_rng(seed)
        return super().reset(seed=seed, options=options)

    def action(self, action: Any) -> Any:
        """Return ``action``, or with probability ``random_fraction`` a random action."""
        if self._rng.random() < self.random_fraction:
            space = self.env.action_space
            return space.start + int(self._rng.integers(space.n))
        return action
