"""Recording an agent's behaviour as demonstrations (ChainerRL's ``collect_demonstrations``)."""

from __future__ import annotations

import logging
import os
import pickle
from typing import Any

import gymnasium

from kusari.utils import atomic_path
from kusari_rl.experiments._checks import check_one_of, check_positive

__all__ = ["collect_demonstrations"]


def collect_demonstrations(
    agent: Any,
    env: gymnasium.Env,
    steps: int | None,
    episodes: int | None,
    outdir: str,
    max_episode_len: int | None = None,
    logger: logging.Logger | None = None,
) -> None:
    """Run ``agent`` greedily in ``env`` and save every transition to ``outdir/demos.pickle``.

    The file holds one pickled tuple per step, one after another (read them with repeated
    :func:`pickle.load` until :class:`EOFError`), as Chainer's pickle dataset writer wrote them:
    ``(obs, action, reward, next_obs, terminated, info)``. ``terminated`` is gymnasium's flag; a
    step where the episode was cut instead (truncated, or ``max_episode_len`` reached) has
    ``info['needs_reset'] = True`` (ChainerRL's convention) in a copy of the environment's
    info. The file is written atomically, when collection ends.

    Args:
        agent: The demonstrator; it acts with ``act`` and ends episodes with ``stop_episode``.
        env: A gymnasium environment.
        steps: Collect this many steps.
        episodes: Collect this many episodes. Give exactly one of ``steps`` and ``episodes``.
        outdir: The folder to write ``demos.pickle`` into (created if missing).
        max_episode_len: Cut episodes after this many steps (``None``: no cut).
        logger: Where each episode's return is logged (default: this module's logger).

    Raises:
        ValueError: If not exactly one of ``steps`` and ``episodes`` is given, or a count is not
            a positive integer.
    """
    check_one_of("collect_demonstrations", "steps", steps, "episodes", episodes)
    check_positive("collect_demonstrations", "max_episode_len", max_episode_len)
    logger = logger or logging.getLogger(__name__)
    os.makedirs(outdir, exist_ok=True)
    with atomic_path(os.path.join(outdir, "demos.pickle")) as temp_path, open(temp_path, "wb") as f:
        timestep = 0
        episode_num = 0
        done_collecting = False
        while not done_collecting:
            obs, _ = env.reset()
            episode_r = 0.0
            episode_len = 0
            episode_over = False
            while not (episode_over or done_collecting):
                action = agent.act(obs)
                next_obs, r, terminated, truncated, info = env.step(action)
                timestep += 1
                episode_len += 1
                episode_r += float(r)
                episode_over = terminated or truncated or episode_len == max_episode_len
                if episode_over and not terminated:
                    info = {**info, "needs_reset": True}
                pickle.dump((obs, action, r, next_obs, terminated, info), f)
                obs = next_obs
                done_collecting = episodes is None and timestep >= steps
            agent.stop_episode()
            if episode_over:
                episode_num += 1
            logger.info(
                "demonstration episode %s length:%s R:%s", episode_num, episode_len, episode_r
            )
            if episodes is not None:
                done_collecting = episode_num >= episodes
