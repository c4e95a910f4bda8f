"""What train_agent and train_agent_batch share: the start, saving on exit, the evaluator."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

from kusari_rl.experiments._checks import check_one_of
from kusari_rl.experiments.evaluator import Evaluator, save_agent
from kusari_rl.misc import NonFiniteError


def start_training(agent: Any, outdir: str, step_offset: int) -> None:
    """Create ``outdir`` and set the agent's step counter ``t`` (if it has one)."""
    os.makedirs(outdir, exist_ok=True)
    if hasattr(agent, "t"):
        agent.t = step_offset


@contextlib.contextmanager
def saving_agent(
    agent: Any, outdir: str, logger: logging.Logger, step: Callable[[], int]
) -> Iterator[None]:
    """Save the agent as ``<step>_finish`` at the end, or ``<step>_except`` on an error.

    A :class:`~kusari_rl.misc.NonFiniteError` saves nothing (the weights are suspect).
    """
    try:
        yield
    except NonFiniteError:
        raise
    except (Exception, KeyboardInterrupt):
        save_agent(agent, step(), outdir, logger, suffix="_except")
        raise
    save_agent(agent, step(), outdir, logger, suffix="_finish")


def training_evaluator(
    where: str,
    agent: Any,
    env: Any,
    outdir: str,
    eval_env: Any,
    eval_n_steps: int | None,
    eval_n_episodes: int | None,
    eval_max_episode_len: int | None,
    train_max_episode_len: int | None,
    **kwargs: Any,
) -> Evaluator:
    """The :class:`Evaluator` of a ``*_with_evaluation`` function, after checking its counts.

    ``eval_env`` defaults to ``env`` and ``eval_max_episode_len`` to the training one;
    ``kwargs`` go to :class:`Evaluator` as they are.
    """
    check_one_of(where, "eval_n_steps", eval_n_steps, "eval_n_episodes", eval_n_episodes)
    os.makedirs(outdir, exist_ok=True)
    return Evaluator(
        agent=agent,
        env=env if eval_env is None else eval_env,
        n_steps=eval_n_steps,
        n_episodes=eval_n_episodes,
        outdir=outdir,
        max_episode_len=(
            train_max_episode_len if eval_max_episode_len is None else eval_max_episode_len
        ),
        **kwargs,
    )
