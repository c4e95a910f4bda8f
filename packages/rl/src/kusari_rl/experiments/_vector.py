"""Episode ends in gymnasium vector environments, whatever their autoreset mode.

Gymnasium 1.x vector environments reset finished sub-environments in one of three ways
(``env.metadata['autoreset_mode']``):

- ``NEXT_STEP`` (the default): the step *after* an episode end resets that sub-environment and
  ignores its action, returning a pseudo-transition (reset observation, reward 0).
- ``SAME_STEP``: the step that ends an episode resets at once; it returns the reset observation
  and puts the final one in ``info['final_obs']``.
- ``DISABLED``: nothing is reset; the caller must reset with ``reset(options={'reset_mask': m})``.

The experiment loops need, at every step, the final observation of an ended episode (for the
agent to learn from) and then the first observation of the next one (for it to act on). They get
both in every mode: the final observation from the step (``SAME_STEP``: from ``final_obs``), and
the reset observation by resetting ended sub-environments themselves with ``reset_mask``, which
also clears a ``NEXT_STEP`` environment's pending autoreset, so its pseudo-transition never
happens and never reaches the agent.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import concatenate, create_empty_array, iterate


def autoreset_mode(env: gymnasium.vector.VectorEnv, where: str) -> AutoresetMode:
    """Return the autoreset mode of ``env`` (gymnasium's default ``NEXT_STEP`` if it names none).

    Args:
        env: The vector environment.
        where: The calling function's name, for the error message.

    Raises:
        ValueError: If ``env`` is an ``AsyncVectorEnv`` without shared memory in ``NEXT_STEP``
            mode: its workers keep the pending autoreset of a sub-environment reset through
            ``reset_mask`` (gymnasium 1.x), so that sub-environment's next action would be lost.
    """
    mode = AutoresetMode(env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP))
    base = env.unwrapped
    if (
        mode is AutoresetMode.NEXT_STEP
        and isinstance(base, gymnasium.vector.AsyncVectorEnv)
        and not base.shared_memory
    ):
        raise ValueError(
            f"{where}: an AsyncVectorEnv with shared_memory=False cannot reset single "
            "sub-environments in autoreset mode NEXT_STEP; use shared_memory=True or "
            "autoreset_mode=AutoresetMode.SAME_STEP"
        )
    return mode


def final_observations(
    env: gymnasium.vector.VectorEnv,
    mode: AutoresetMode,
    obs: Any,
    infos: dict[str, Any],
    env_ended: numpy.ndarray,
) -> Any:
    """Return the batch of observations the step ended in, before any reset.

    Only ``SAME_STEP`` differs from ``obs``: the sub-environments in ``env_ended`` (terminated or
    truncated) were already reset, and their final observations are taken from
    ``infos['final_obs']``.

    Args:
        env: The vector environment that returned ``obs``.
        mode: Its autoreset mode.
        obs: The batch of observations ``env.step`` returned.
        infos: The info dict ``env.step`` returned.
        env_ended: ``(B,)`` bool, ``terminated | truncated`` of the step.

    Returns:
        ``obs`` itself, or a new batch with the final observations put in.
    """
    if mode is not AutoresetMode.SAME_STEP or not env_ended.any():
        return obs
    final = infos["final_obs"]
    items = [
        final[i] if ended else item
        for i, (item, ended) in enumerate(
            zip(iterate(env.observation_space, obs), env_ended, strict=True)
        )
    ]
    out = create_empty_array(env.single_observation_space, n=env.num_envs)
    return concatenate(env.single_observation_space, items, out)


def reset_ended(
    env: gymnasium.vector.VectorEnv,
    mode: AutoresetMode,
    obs: Any,
    ended: numpy.ndarray,
    env_ended: numpy.ndarray,
) -> Any:
    """Start new episodes in the sub-environments in ``ended``; keep the others running.

    Args:
        env: The vector environment.
        mode: Its autoreset mode.
        obs: The batch of observations the last step returned.
        ended: ``(B,)`` bool, the episodes that end now (terminated, truncated or cut by the
            loop).
        env_ended: ``(B,)`` bool, those of them the environment itself ended (terminated or
            truncated); ``SAME_STEP`` has already reset these.

    Returns:
        The batch of observations to act on next.
    """
    mask = ended & ~env_ended if mode is AutoresetMode.SAME_STEP else ended
    if not mask.any():
        return obs
    new_obs, _ = env.reset(options={"reset_mask": numpy.asarray(mask, dtype=numpy.bool_)})
    return new_obs
