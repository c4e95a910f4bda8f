"""Training a batch agent in a gymnasium vector environment (ChainerRL's ``train_agent_batch``)."""

from __future__ import annotations

import logging
import statistics
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium
import numpy

from kusari_rl.experiments._checks import check_positive
from kusari_rl.experiments._training import saving_agent, start_training, training_evaluator
from kusari_rl.experiments._vector import autoreset_mode, final_observations, reset_ended
from kusari_rl.experiments.evaluator import Evaluator, save_agent
from kusari_rl.misc import check_finite

__all__ = ["train_agent_batch", "train_agent_batch_with_evaluation"]


def train_agent_batch(
    agent: Any,
    env: gymnasium.vector.VectorEnv,
    steps: int,
    outdir: str,
    checkpoint_freq: int | None = None,
    log_interval: int | None = None,
    max_episode_len: int | None = None,
    eval_interval: int | None = None,
    step_offset: int = 0,
    evaluator: Any = None,
    successful_score: float | None = None,
    step_hooks: Sequence[Callable[[Any, Any, int], None]] = (),
    return_window_size: int = 100,
    logger: logging.Logger | None = None,
) -> None:
    """Train a batch agent in a vector environment until ``steps`` steps have been taken.

    Each vector step of ``B`` sub-environments counts ``B`` steps. The agent acts with
    ``agent.batch_act_and_train(obs)`` and learns from
    ``agent.batch_observe_and_train(obs, rewards, terminated, truncated | cut)``, where ``cut``
    marks episodes that reached ``max_episode_len`` steps: ``batch_done`` is gymnasium's
    ``terminated`` (nothing to bootstrap) and ``batch_reset`` marks episodes cut although not
    terminal (the agent bootstraps from their last observation). The observations passed are
    the ones each episode ended in (``SAME_STEP`` mode: from ``info['final_obs']``); the loop
    then starts new episodes in the sub-environments whose episode ended with
    ``env.reset(options={'reset_mask': ended})``, leaving the others running. All three
    gymnasium autoreset modes (``env.metadata['autoreset_mode']``: ``NEXT_STEP``,
    ``SAME_STEP``, ``DISABLED``) are supported, for ``SyncVectorEnv`` and ``AsyncVectorEnv``
    alike; as the loop resets ended sub-environments itself, the pseudo-transition that
    ``NEXT_STEP`` would return on the next step never happens and never reaches the agent.

    If the evaluator evaluates in ``env`` itself, the episodes running when an evaluation is
    due are cut (``batch_reset``) and all sub-environments start new episodes after it.

    Checkpoints (``<step>_checkpoint``) and step hooks run for every one of the ``B`` steps of a
    vector step; saving on the end and on errors is as in :func:`train_agent`.

    Args:
        agent: The batch agent (:class:`~kusari_rl.agent.BatchAgent`). If it has an attribute
            ``t``, it is set to ``step_offset``.
        env: A gymnasium vector environment of ``B`` sub-environments.
        steps: The step count to train up to (including ``step_offset``).
        outdir: The result folder.
        checkpoint_freq: Save a checkpoint every this many steps (``None``: never).
        log_interval: Log the mean return of the recent training episodes every this many
            steps (``None``: never).
        max_episode_len: Cut episodes after this many steps (``None``: no cut).
        eval_interval: Not used (the evaluator has its own interval); kept for ChainerRL's
            signature.
        step_offset: The step to start from when resuming a run.
        evaluator: An :class:`~kusari_rl.experiments.Evaluator` (or anything with
            ``evaluate_if_necessary(t, episodes)`` and ``max_score``), asked after every
            vector step.
        successful_score: Stop once the evaluator's best mean return reaches this.
        step_hooks: Callables ``hook(env, agent, step)`` called after every step.
        return_window_size: How many recent training episodes the logged mean return covers.
        logger: Where progress is logged (default: this module's logger).

    Raises:
        TypeError: If ``env`` is not a gymnasium vector environment.
        ValueError: If ``checkpoint_freq``, ``log_interval`` or ``max_episode_len`` is not a
            positive integer.
            Also for an ``AsyncVectorEnv(shared_memory=False)`` in ``NEXT_STEP`` mode, which
            cannot reset single sub-environments correctly (a gymnasium 1.x limitation).
        NonFiniteError: If an observation or a reward is NaN or infinite (the message names the
            step), or the agent raises it.
    """
    if not isinstance(env, gymnasium.vector.VectorEnv):
        raise TypeError(
            "train_agent_batch: env must be a gymnasium vector environment (e.g. "
            f"gymnasium.vector.SyncVectorEnv), got {type(env).__name__}; use train_agent"
        )
    for name, value in (
        ("checkpoint_freq", checkpoint_freq),
        ("log_interval", log_interval),
        ("max_episode_len", max_episode_len),
    ):
        check_positive("train_agent_batch", name, value)
    logger = logger or logging.getLogger(__name__)
    start_training(agent, outdir, step_offset)
    num_envs = env.num_envs
    mode = autoreset_mode(env, "train_agent_batch")
    shares_env = isinstance(evaluator, Evaluator) and evaluator.env is env
    recent_returns: deque[float] = deque(maxlen=return_window_size)
    episode_r = numpy.zeros(num_envs)
    episode_len = numpy.zeros(num_envs, dtype=numpy.int64)
    episode_count = 0
    no_cut = numpy.zeros(num_envs, dtype=bool)
    everyone = numpy.ones(num_envs, dtype=bool)
    t = step_offset
    with saving_agent(agent, outdir, logger, lambda: t):
        obs = _reset_all(env, t)
        while t < steps:
            obs, rewards, terminated, truncated, infos = env.step(agent.batch_act_and_train(obs))
            t_next = t + num_envs
            episode_r += rewards
            episode_len += 1
            env_ended = terminated | truncated
            cut = no_cut if max_episode_len is None else episode_len == max_episode_len
            ended = env_ended | cut
            last_obs = final_observations(env, mode, obs, infos, env_ended)
            check_finite(last_obs, f"train_agent_batch: observations at step {t_next}")
            check_finite(rewards, f"train_agent_batch: rewards at step {t_next}")
            evaluating = shares_env and t_next >= evaluator.prev_eval_t + evaluator.eval_interval
            agent.batch_observe_and_train(
                last_obs, rewards, terminated, truncated | cut | evaluating
            )
            for i in numpy.flatnonzero(ended):
                recent_returns.append(float(episode_r[i]))
                if isinstance(evaluator, Evaluator):
                    evaluator.record_training_return(episode_r[i])
            restart = everyone if evaluating else ended
            episode_count += int(restart.sum())
            while t < t_next:
                t += 1
                if checkpoint_freq and t % checkpoint_freq == 0:
                    save_agent(agent, t, outdir, logger, suffix="_checkpoint")
                for hook in step_hooks:
                    hook(env, agent, t)
            if log_interval is not None and t >= log_interval and t % log_interval < num_envs:
                logger.info(
                    "outdir:%s step:%s episode:%s average_R:%s",
                    outdir,
                    t,
                    episode_count,
                    statistics.mean(recent_returns) if recent_returns else float("nan"),
                )
                logger.info("statistics:%s", agent.get_statistics())
            if (
                evaluator is not None
                and evaluator.evaluate_if_necessary(t=t, episodes=episode_count) is not None
                and successful_score is not None
                and evaluator.max_score >= successful_score
            ):
                break
            if t >= steps:
                break
            if evaluating:
                obs = _reset_all(env, t)
            elif ended.any():
                obs = reset_ended(env, mode, obs, ended, env_ended)
                check_finite(obs, f"train_agent_batch: observations after the resets at step {t}")
            episode_r[restart] = 0.0
            episode_len[restart] = 0


def _reset_all(env: gymnasium.vector.VectorEnv, t: int) -> Any:
    obs, _ = env.reset()
    check_finite(obs, f"train_agent_batch: observations after the reset at step {t}")
    return obs


def train_agent_batch_with_evaluation(
    agent: Any,
    env: gymnasium.vector.VectorEnv,
    steps: int,
    eval_n_steps: int | None,
    eval_n_episodes: int | None,
    eval_interval: int,
    outdir: str,
    checkpoint_freq: int | None = None,
    max_episode_len: int | None = None,
    step_offset: int = 0,
    eval_max_episode_len: int | None = None,
    return_window_size: int = 100,
    eval_env: gymnasium.Env | gymnasium.vector.VectorEnv | None = None,
    log_interval: int | None = None,
    successful_score: float | None = None,
    step_hooks: Sequence[Callable[[Any, Any, int], None]] = (),
    save_best_so_far_agent: bool = True,
    logger: logging.Logger | None = None,
) -> None:
    """Train a batch agent with :func:`train_agent_batch`, evaluating it periodically.

    An :class:`~kusari_rl.experiments.Evaluator` evaluates the agent after the first vector step
    that ends ``eval_interval`` steps or more after the previous evaluation, and records
    ``scores.txt``, ``log`` and ``best/`` in ``outdir`` (see its documentation).

    Args:
        agent: The batch agent to train.
        env: The training vector environment.
        steps: The step count to train up to.
        eval_n_steps: Steps per evaluation.
        eval_n_episodes: Episodes per evaluation. Give exactly one of ``eval_n_steps`` and
            ``eval_n_episodes``.
        eval_interval: Training steps between evaluations.
        outdir: The result folder (created if missing).
        checkpoint_freq: Save a checkpoint every this many steps (``None``: never).
        max_episode_len: Cut training episodes after this many steps.
        step_offset: The step to start from when resuming a run.
        eval_max_episode_len: Cut evaluation episodes after this many steps (``None``: use
            ``max_episode_len``).
        return_window_size: How many recent training episodes the logged mean return covers.
        eval_env: The evaluation environment, a vector one or not (``None``: ``env``; the
            training episodes running at each evaluation are then cut).
        log_interval: Log training progress every this many steps (``None``: never).
        successful_score: Stop once the best mean evaluation return reaches this.
        step_hooks: Callables ``hook(env, agent, step)`` called after every step.
        save_best_so_far_agent: Save the best agent as ``outdir/best``.
        logger: Where progress is logged (default: this module's logger).

    Raises:
        ValueError: If not exactly one of ``eval_n_steps`` and ``eval_n_episodes`` is given.
    """
    logger = logger or logging.getLogger(__name__)
    evaluator = training_evaluator(
        "train_agent_batch_with_evaluation",
        agent,
        env,
        outdir,
        eval_env,
        eval_n_steps,
        eval_n_episodes,
        eval_max_episode_len,
        max_episode_len,
        eval_interval=eval_interval,
        step_offset=step_offset,
        save_best_so_far_agent=save_best_so_far_agent,
        logger=logger,
    )
    train_agent_batch(
        agent,
        env,
        steps,
        outdir,
        checkpoint_freq=checkpoint_freq,
        log_interval=log_interval,
        max_episode_len=max_episode_len,
        step_offset=step_offset,
        evaluator=evaluator,
        successful_score=successful_score,
        step_hooks=step_hooks,
        return_window_size=return_window_size,
        logger=logger,
    )
