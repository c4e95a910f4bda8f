"""Training an agent in one gymnasium environment (ChainerRL's ``train_agent``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium

from kusari_rl.experiments._checks import check_positive
from kusari_rl.experiments._training import saving_agent, start_training, training_evaluator
from kusari_rl.experiments.evaluator import Evaluator, save_agent
from kusari_rl.misc import check_finite

__all__ = ["train_agent", "train_agent_with_evaluation"]


def train_agent(
    agent: Any,
    env: gymnasium.Env,
    steps: int,
    outdir: str,
    checkpoint_freq: int | None = None,
    max_episode_len: int | None = None,
    step_offset: int = 0,
    evaluator: Any = None,
    successful_score: float | None = None,
    step_hooks: Sequence[Callable[[Any, Any, int], None]] = (),
    logger: logging.Logger | None = None,
) -> None:
    """Train ``agent`` in ``env`` until ``steps`` steps have been taken.

    Every step calls ``agent.act_and_train(obs, reward)``; an episode ends when the environment
    terminates or truncates it, or after ``max_episode_len`` steps, and then
    ``agent.stop_episode_and_train(obs, reward, done=terminated)`` is called: a truncated or cut
    episode passes ``done=False``, so the agent bootstraps from the last observation. The last
    step of training also ends the episode running then.

    The agent is saved into ``outdir`` as ``<step>_checkpoint`` every ``checkpoint_freq`` steps
    and as ``<step>_finish`` at the end. If an exception (or ``KeyboardInterrupt``) stops
    training, the agent is saved as ``<step>_except`` and the exception re-raised, except for
    :class:`~kusari_rl.misc.NonFiniteError`: the agent's weights are then suspect, nothing is
    saved, and the last checkpoint stays the newest agent.

    Args:
        agent: The agent (:class:`~kusari_rl.agent.Agent`). If it has an attribute ``t``, it is
            set to ``step_offset``.
        env: A gymnasium environment (not a vector one: see :func:`train_agent_batch`).
        steps: The step count to train up to (including ``step_offset``).
        outdir: The result folder.
        checkpoint_freq: Save a checkpoint every this many steps (``None``: never).
        max_episode_len: Cut episodes after this many steps (``None``: no cut).
        step_offset: The step to start from when resuming a run.
        evaluator: An :class:`~kusari_rl.experiments.Evaluator` (or anything with
            ``evaluate_if_necessary(t, episodes)`` and ``max_score``), asked after every episode.
        successful_score: Stop once the evaluator's best mean return reaches this.
        step_hooks: Callables ``hook(env, agent, step)`` called after every step.
        logger: Where progress is logged (default: this module's logger).

    Raises:
        TypeError: If ``env`` is a vector environment.
        ValueError: If ``checkpoint_freq`` or ``max_episode_len`` is not a positive integer.
        NonFiniteError: If an observation or a reward is NaN or infinite (the message names the
            step), or the agent raises it.
    """
    if isinstance(env, gymnasium.vector.VectorEnv):
        raise TypeError("train_agent: env is a gymnasium vector environment; use train_agent_batch")
    check_positive("train_agent", "checkpoint_freq", checkpoint_freq)
    check_positive("train_agent", "max_episode_len", max_episode_len)
    logger = logger or logging.getLogger(__name__)
    start_training(agent, outdir, step_offset)
    t = step_offset
    episode_idx = 0
    with saving_agent(agent, outdir, logger, lambda: t):
        obs, r = _start_episode(env, t)
        episode_r = 0.0
        episode_len = 0
        while t < steps:
            action = agent.act_and_train(obs, r)
            obs, r, terminated, truncated, _ = env.step(action)
            t += 1
            check_finite(obs, f"train_agent: observation at step {t}")
            check_finite(r, f"train_agent: reward at step {t}")
            episode_r += r
            episode_len += 1
            for hook in step_hooks:
                hook(env, agent, t)
            ended = terminated or truncated or episode_len == max_episode_len
            if ended or t == steps:
                agent.stop_episode_and_train(obs, r, done=terminated)
                logger.info("outdir:%s step:%s episode:%s R:%s", outdir, t, episode_idx, episode_r)
                logger.info("statistics:%s", agent.get_statistics())
                if ended and isinstance(evaluator, Evaluator):
                    evaluator.record_training_return(episode_r)
                if evaluator is not None:
                    evaluator.evaluate_if_necessary(t=t, episodes=episode_idx + 1)
                    if successful_score is not None and evaluator.max_score >= successful_score:
                        break
                if t == steps:
                    break
                episode_idx += 1
                obs, r = _start_episode(env, t)
                episode_r = 0.0
                episode_len = 0
            if checkpoint_freq and t % checkpoint_freq == 0:
                save_agent(agent, t, outdir, logger, suffix="_checkpoint")


def _start_episode(env: gymnasium.Env, t: int) -> tuple[Any, float]:
    obs, _ = env.reset()
    check_finite(obs, f"train_agent: observation after the reset at step {t}")
    return obs, 0.0


def train_agent_with_evaluation(
    agent: Any,
    env: gymnasium.Env,
    steps: int,
    eval_n_steps: int | None,
    eval_n_episodes: int | None,
    eval_interval: int,
    outdir: str,
    checkpoint_freq: int | None = None,
    train_max_episode_len: int | None = None,
    step_offset: int = 0,
    eval_max_episode_len: int | None = None,
    eval_env: gymnasium.Env | gymnasium.vector.VectorEnv | None = None,
    successful_score: float | None = None,
    step_hooks: Sequence[Callable[[Any, Any, int], None]] = (),
    save_best_so_far_agent: bool = True,
    logger: logging.Logger | None = None,
) -> None:
    """Train ``agent`` in ``env`` with :func:`train_agent`, evaluating it periodically.

    An :class:`~kusari_rl.experiments.Evaluator` evaluates the agent after the first episode
    that ends ``eval_interval`` steps or more after the previous evaluation, and records
    ``scores.txt``, ``log`` and ``best/`` in ``outdir`` (see its documentation).

    Args:
        agent: The agent to train.
        env: The training environment (a gymnasium environment).
        steps: The step count to train up to.
        eval_n_steps: Steps per evaluation.
        eval_n_episodes: Episodes per evaluation. Give exactly one of ``eval_n_steps`` and
            ``eval_n_episodes``.
        eval_interval: Training steps between evaluations.
        outdir: The result folder (created if missing).
        checkpoint_freq: Save a checkpoint every this many steps (``None``: never).
        train_max_episode_len: Cut training episodes after this many steps.
        step_offset: The step to start from when resuming a run.
        eval_max_episode_len: Cut evaluation episodes after this many steps (``None``: use
            ``train_max_episode_len``).
        eval_env: The evaluation environment (``None``: ``env``, evaluated between training
            episodes).
        successful_score: Stop once the best mean evaluation return reaches this.
        step_hooks: Callables ``hook(env, agent, step)`` called after every step.
        save_best_so_far_agent: Save the best agent as ``outdir/best``.
        logger: Where progress is logged (default: this module's logger).

    Raises:
        ValueError: If not exactly one of ``eval_n_steps`` and ``eval_n_episodes`` is given.
    """
    logger = logger or logging.getLogger(__name__)
    evaluator = training_evaluator(
        "train_agent_with_evaluation",
        agent,
        env,
        outdir,
        eval_env,
        eval_n_steps,
        eval_n_episodes,
        eval_max_episode_len,
        train_max_episode_len,
        eval_interval=eval_interval,
        step_offset=step_offset,
        save_best_so_far_agent=save_best_so_far_agent,
        logger=logger,
    )
    train_agent(
        agent,
        env,
        steps,
        outdir,
        checkpoint_freq=checkpoint_freq,
        max_episode_len=train_max_episode_len,
        step_offset=step_offset,
        evaluator=evaluator,
        successful_score=successful_score,
        step_hooks=step_hooks,
        logger=logger,
    )
