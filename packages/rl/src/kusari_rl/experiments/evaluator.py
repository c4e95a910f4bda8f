"""Evaluating an agent: evaluation episodes, their statistics, and the periodic :class:`Evaluator`.

An evaluation runs the agent greedily (:meth:`~kusari_rl.agent.Agent.act`, no learning) for a
number of episodes or of steps and summarizes the returns. :class:`Evaluator` does it every
``eval_interval`` training steps and records the results in the result folder: ChainerRL's
``scores.txt`` and Kusari's ``log`` (see ``docs/result-format.md``, "RL runs"), and the best
agent so far in ``best/``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import statistics
import tempfile
import time
from typing import Any

import gymnasium
import numpy

from kusari.utils import write_text_atomically
from kusari_rl.experiments._checks import check_one_of, check_positive
from kusari_rl.experiments._vector import autoreset_mode, final_observations, reset_ended

__all__ = [
    "Evaluator",
    "batch_run_evaluation_episodes",
    "eval_performance",
    "run_evaluation_episodes",
    "save_agent",
]

# The columns of scores.txt before the agent's statistics: training steps and episodes so far,
# seconds since the evaluator was made, and statistics of the evaluation returns.
_BASIC_COLUMNS = ("steps", "episodes", "elapsed", "mean", "median", "stdev", "max", "min")


def run_evaluation_episodes(
    env: gymnasium.Env,
    agent: Any,
    n_steps: int | None,
    n_episodes: int | None,
    max_episode_len: int | None = None,
    logger: logging.Logger | None = None,
) -> list[float]:
    """Run evaluation episodes in one environment and return their returns.

    The agent acts with :meth:`~kusari_rl.agent.Agent.act` and ends each episode with
    :meth:`~kusari_rl.agent.Agent.stop_episode`. An episode ends when the environment
    terminates or truncates it, or after ``max_episode_len`` steps.

    Args:
        env: A gymnasium environment.
        agent: The agent to evaluate.
        n_steps: Evaluate for this many steps in all; only the episodes that end within them
            count, except when none does: then the return of the unfinished one is used.
        n_episodes: Evaluate for this many episodes. Give exactly one of ``n_steps`` and
            ``n_episodes``.
        max_episode_len: Cut episodes after this many steps (``None``: no cut).
        logger: Where the return of each episode is logged (default: this module's logger).

    Returns:
        The return of each counted episode, as Python floats, in order.

    Raises:
        ValueError: If not exactly one of ``n_steps`` and ``n_episodes`` is given, or it is
            below 1.
    """
    check_one_of("run_evaluation_episodes", "n_steps", n_steps, "n_episodes", n_episodes)
    logger = logger or logging.getLogger(__name__)
    scores: list[float] = []
    timestep = 0
    while True:
        obs, _ = env.reset()
        episode_r = 0.0
        episode_len = 0
        ended = False
        out_of_steps = False
        while not (ended or out_of_steps):
            obs, r, terminated, truncated, _ = env.step(agent.act(obs))
            episode_r += float(r)
            episode_len += 1
            timestep += 1
            ended = terminated or truncated or episode_len == max_episode_len
            out_of_steps = n_steps is not None and timestep >= n_steps
        agent.stop_episode()
        if ended:
            logger.info("evaluation episode %s length:%s R:%s", len(scores), episode_len, episode_r)
            scores.append(episode_r)
        if out_of_steps or (n_episodes is not None and len(scores) >= n_episodes):
            break
    if not scores:
        logger.info("evaluation episode 0 (unfinished) length:%s R:%s", episode_len, episode_r)
        scores.append(episode_r)
    return scores


def batch_run_evaluation_episodes(
    env: gymnasium.vector.VectorEnv,
    agent: Any,
    n_steps: int | None,
    n_episodes: int | None,
    max_episode_len: int | None = None,
    logger: logging.Logger | None = None,
) -> list[float]:
    """Run evaluation episodes in a gymnasium vector environment and return their returns.

    The agent acts with :meth:`~kusari_rl.agent.BatchAgent.batch_act` and observes with
    :meth:`~kusari_rl.agent.BatchAgent.batch_observe` (``batch_done=terminated``,
    ``batch_reset=truncated`` or cut). Episodes are numbered in the order they start; with
    ``n_episodes`` the returns of episodes ``0 .. n_episodes - 1`` count (so short episodes are
    not favoured by finishing first), the other sub-environments run on until those have ended.
    Every autoreset mode of gymnasium is supported.

    Args:
        env: A gymnasium vector environment of ``B`` sub-environments.
        agent: The batch agent to evaluate.
        n_steps: Evaluate for this many steps in all (``B`` per vector step); the episodes that
            end within them count, in the order they end. If none ends, the unfinished returns
            of all ``B`` sub-environments are used.
        n_episodes: Evaluate for this many episodes. Give exactly one of ``n_steps`` and
            ``n_episodes``.
        max_episode_len: Cut episodes after this many steps (``None``: no cut).
        logger: Where the return of each episode is logged (default: this module's logger).

    Returns:
        The returns of the counted episodes, as Python floats.

    Raises:
        ValueError: If not exactly one of ``n_steps`` and ``n_episodes`` is given, or it is
            below 1; or for an ``AsyncVectorEnv(shared_memory=False)`` in ``NEXT_STEP`` mode
            (see :func:`~kusari_rl.experiments.train_agent_batch`).
    """
    check_one_of("batch_run_evaluation_episodes", "n_steps", n_steps, "n_episodes", n_episodes)
    logger = logger or logging.getLogger(__name__)
    num_envs = env.num_envs
    mode = autoreset_mode(env, "batch_run_evaluation_episodes")
    episode_ids = numpy.arange(num_envs)
    next_id = num_envs
    episode_r = numpy.zeros(num_envs)
    episode_len = numpy.zeros(num_envs, dtype=numpy.int64)
    no_cut = numpy.zeros(num_envs, dtype=bool)
    returns: dict[int, float] = {}
    timestep = 0
    obs, _ = env.reset()
    while True:
        obs, rewards, terminated, truncated, infos = env.step(agent.batch_act(obs))
        episode_r += rewards
        episode_len += 1
        timestep += num_envs
        env_ended = terminated | truncated
        cut = no_cut if max_episode_len is None else episode_len == max_episode_len
        ended = env_ended | cut
        for i in numpy.flatnonzero(ended):
            returns[int(episode_ids[i])] = float(episode_r[i])
            logger.info(
                "evaluation episode %s length:%s R:%s", episode_ids[i], episode_len[i], episode_r[i]
            )
            episode_ids[i] = next_id
            next_id += 1
        if n_episodes is None:
            finished = timestep >= n_steps
        else:
            finished = sum(1 for k in returns if k < n_episodes) >= n_episodes
        agent.batch_observe(
            final_observations(env, mode, obs, infos, env_ended),
            rewards,
            terminated,
            truncated | cut | finished,
        )
        if finished:
            break
        obs = reset_ended(env, mode, obs, ended, env_ended)
        episode_r[ended] = 0.0
        episode_len[ended] = 0
    if n_episodes is not None:
        return [returns[k] for k in range(n_episodes)]
    if not returns:
        return [float(r) for r in episode_r]
    return list(returns.values())


def eval_performance(
    env: gymnasium.Env | gymnasium.vector.VectorEnv,
    agent: Any,
    n_steps: int | None,
    n_episodes: int | None,
    max_episode_len: int | None = None,
    logger: logging.Logger | None = None,
) -> dict[str, float]:
    """Run evaluation episodes and return statistics of their returns.

    A vector environment is evaluated with :func:`batch_run_evaluation_episodes`, any other with
    :func:`run_evaluation_episodes`; the arguments are theirs.

    Returns:
        ``{'mean', 'median', 'stdev', 'max', 'min'}`` of the returns, as Python floats
        (``stdev`` is the sample standard deviation, ``0.0`` for a single episode).

    Raises:
        ValueError: If not exactly one of ``n_steps`` and ``n_episodes`` is given, or it is
            below 1.
    """
    run = (
        batch_run_evaluation_episodes
        if isinstance(env, gymnasium.vector.VectorEnv)
        else run_evaluation_episodes
    )
    scores = run(env, agent, n_steps, n_episodes, max_episode_len=max_episode_len, logger=logger)
    return {
        "mean": statistics.mean(scores),
        "median": statistics.median(scores),
        "stdev": statistics.stdev(scores) if len(scores) >= 2 else 0.0,
        "max": max(scores),
        "min": min(scores),
    }


def save_agent(
    agent: Any, t: int | str, outdir: str, logger: logging.Logger, suffix: str = ""
) -> str:
    """Save ``agent`` into the folder ``<outdir>/<t><suffix>``, replacing any folder there.

    The agent is saved into a hidden temporary folder beside the target first and moved into
    place once complete, so the target never holds a half-written or mixed agent.

    Args:
        agent: The agent (anything with ``save(dirname)``).
        t: The step (or a name such as ``'best'``).
        outdir: The result folder.
        logger: Where the save is logged.
        suffix: Appended to the name, e.g. ``'_checkpoint'``, ``'_finish'``, ``'_except'``.

    Returns:
        The path of the saved folder.
    """
    os.makedirs(outdir, exist_ok=True)
    dirname = os.path.join(outdir, f"{t}{suffix}")
    name = os.path.basename(dirname)
    temp_dir = tempfile.mkdtemp(prefix=f".tmp_{name}.", dir=outdir)
    try:
        staged = os.path.join(temp_dir, name)
        os.makedirs(staged)
        agent.save(staged)
        if os.path.isdir(dirname):
            os.replace(dirname, os.path.join(temp_dir, "previous"))
        os.replace(staged, dirname)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    logger.info("Saved the agent to %s", dirname)
    return dirname


def _scalar(value: Any) -> int | float | None:
    if isinstance(value, numpy.generic) or (isinstance(value, numpy.ndarray) and value.ndim == 0):
        value = value.item()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    return None


class Evaluator:
    """Evaluate an agent every ``eval_interval`` training steps and record the results.

    Each evaluation (:meth:`evaluate_and_update_max_score`) runs :func:`eval_performance` and
    rewrites, atomically, two files in ``outdir``:

    - ``scores.txt`` (ChainerRL's): a tab-separated header ``steps episodes elapsed mean median
      stdev max min`` followed by the names of the agent's statistics, then one row per
      evaluation;
    - ``log`` (Kusari's result format, which kusari-ui reads): a JSON list with one object per
      evaluation holding ``step``, ``episode``, ``iteration`` (= step), ``epoch`` (= episode),
      ``elapsed_time``, ``eval/mean``, ``eval/median``, ``eval/stdev``, ``eval/max``,
      ``eval/min``, the agent's scalar statistics as ``agent/<name>`` and, when training
      episodes ended since the previous evaluation (reported by the training loop with
      :meth:`record_training_return`), their mean return ``train/return_mean``.

    Both files are started afresh when the evaluator is made. When the mean return beats the
    best so far and ``save_best_so_far_agent`` is set, the agent is saved as ``outdir/best``.

    Args:
        agent: The agent to evaluate.
        env: The evaluation environment (a gymnasium environment or vector environment).
        n_steps: Steps per evaluation (see :func:`run_evaluation_episodes`).
        n_episodes: Episodes per evaluation. Give exactly one of ``n_steps`` and
            ``n_episodes``.
        eval_interval: Training steps between evaluations.
        outdir: The result folder (created if missing).
        max_episode_len: Cut evaluation episodes after this many steps.
        step_offset: The training step the run starts from (a resumed run); evaluations are
            scheduled at multiples of ``eval_interval`` after it.
        save_best_so_far_agent: Whether to save the best agent as ``outdir/best``.
        logger: Where results are logged (default: this module's logger).

    Attributes:
        max_score: The best mean evaluation return so far (``-inf`` before the first).
        prev_eval_t: The step of the last evaluation, rounded down to ``eval_interval``.

    Raises:
        ValueError: If not exactly one of ``n_steps`` and ``n_episodes`` is given, or
            ``eval_interval`` is not a positive integer.
    """

    def __init__(
        self,
        agent: Any,
        env: gymnasium.Env | gymnasium.vector.VectorEnv,
        n_steps: int | None,
        n_episodes: int | None,
        eval_interval: int,
        outdir: str,
        max_episode_len: int | None = None,
        step_offset: int = 0,
        save_best_so_far_agent: bool = True,
        logger: logging.Logger | None = None,
    ) -> None:
        check_one_of("Evaluator", "n_steps", n_steps, "n_episodes", n_episodes)
        if eval_interval is None:
            raise ValueError("Evaluator: eval_interval must be a positive integer, got None")
        check_positive("Evaluator", "eval_interval", eval_interval)
        check_positive("Evaluator", "max_episode_len", max_episode_len)
        self.agent = agent
        self.env = env
        self.n_steps = n_steps
        self.n_episodes = n_episodes
        self.eval_interval = eval_interval
        self.outdir = outdir
        self.max_episode_len = max_episode_len
        self.step_offset = step_offset
        self.save_best_so_far_agent = save_best_so_far_agent
        self.logger = logger or logging.getLogger(__name__)
        self.max_score = -math.inf
        self.prev_eval_t = step_offset - step_offset % eval_interval
        self.start_time = time.time()
        self._training_returns: list[float] = []
        custom_columns = tuple(name for name, _ in agent.get_statistics())
        self._scores_lines = ["\t".join(_BASIC_COLUMNS + custom_columns)]
        self._log: list[dict[str, Any]] = []
        os.makedirs(outdir, exist_ok=True)
        self._write_files()

    def record_training_return(self, episode_return: float) -> None:
        """Note the return of a training episode that just ended (for ``train/return_mean``)."""
        self._training_returns.append(float(episode_return))

    def evaluate_and_update_max_score(self, t: int, episodes: int) -> float:
        """Evaluate now, record the results and save the agent if it is the best so far.

        Args:
            t: Training steps so far.
            episodes: Training episodes so far.

        Returns:
            The mean evaluation return.
        """
        stats = eval_performance(
            self.env,
            self.agent,
            self.n_steps,
            self.n_episodes,
            max_episode_len=self.max_episode_len,
            logger=self.logger,
        )
        elapsed = time.time() - self.start_time
        t, episodes = int(t), int(episodes)
        agent_stats = self.agent.get_statistics()
        row = (t, episodes, elapsed, *(stats[c] for c in _BASIC_COLUMNS[3:]))
        row += tuple(value for _, value in agent_stats)
        self._scores_lines.append("\t".join(str(value) for value in row))
        entry: dict[str, Any] = {
            "step": t,
            "episode": episodes,
            "iteration": t,
            "epoch": episodes,
            "elapsed_time": elapsed,
        }
        entry.update({f"eval/{name}": value for name, value in stats.items()})
        for name, value in agent_stats:
            scalar = _scalar(value)
            if scalar is not None:
                entry[f"agent/{name}"] = scalar
        if self._training_returns:
            entry["train/return_mean"] = statistics.mean(self._training_returns)
            self._training_returns.clear()
        self._log.append(entry)
        self._write_files()
        mean = stats["mean"]
        self.logger.info("evaluation at step %s: %s", t, stats)
        if mean > self.max_score:
            self.logger.info("The best score is updated %s -> %s", self.max_score, mean)
            self.max_score = mean
            if self.save_best_so_far_agent:
                save_agent(self.agent, "best", self.outdir, self.logger)
        return mean

    def evaluate_if_necessary(self, t: int, episodes: int) -> float | None:
        """Evaluate if ``eval_interval`` steps have passed since the last evaluation.

        Args:
            t: Training steps so far.
            episodes: Training episodes so far.

        Returns:
            The mean evaluation return, or ``None`` if no evaluation was due.
        """
        if t < self.prev_eval_t + self.eval_interval:
            return None
        score = self.evaluate_and_update_max_score(t, episodes)
        self.prev_eval_t = t - t % self.eval_interval
        return score

    def _write_files(self) -> None:
        write_text_atomically(
            os.path.join(self.outdir, "scores.txt"), "\n".join(self._scores_lines) + "\n"
        )
        write_text_atomically(os.path.join(self.outdir, "log"), json.dumps(self._log, indent=4))
