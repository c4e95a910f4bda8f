"""Scripted agents that record the experiment loops' calls, and readers of their files (tests)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import gymnasium
import numpy as np

from kusari_rl.agent import Agent, BatchAgent


def _copy(x: Any) -> Any:
    return np.array(x, copy=True)


class RecordingAgent(Agent):
    """Acts with ``policy(obs)`` and records ``(name, ...)`` tuples in ``calls``.

    ``save`` writes ``state.json`` holding the number of training calls so far and ``version``
    (a number tests change to tell saved agents apart); ``load`` reads them back.
    """

    def __init__(
        self,
        policy: Callable[[Any], Any] = lambda obs: 1,
        fail_at: int | None = None,
        error: BaseException | None = None,
    ) -> None:
        self.policy = policy
        self.calls: list[tuple] = []
        self.n_train_calls = 0
        self.version = 0
        self.fail_at = fail_at
        self.error = error

    def act_and_train(self, obs, reward):
        if self.fail_at is not None and self.n_train_calls == self.fail_at:
            raise self.error
        self.n_train_calls += 1
        self.calls.append(("act_and_train", _copy(obs), float(reward)))
        return self.policy(obs)

    def stop_episode_and_train(self, state, reward, done=False):
        self.n_train_calls += 1
        self.calls.append(("stop_episode_and_train", _copy(state), float(reward), done))

    def act(self, obs):
        self.calls.append(("act", _copy(obs)))
        return self.policy(obs)

    def stop_episode(self):
        self.calls.append(("stop_episode",))

    def save(self, dirname):
        os.makedirs(dirname, exist_ok=True)
        with open(os.path.join(dirname, "state.json"), "w") as f:
            json.dump({"n_train_calls": self.n_train_calls, "version": self.version}, f)

    def load(self, dirname):
        with open(os.path.join(dirname, "state.json")) as f:
            state = json.load(f)
        self.n_train_calls = state["n_train_calls"]
        self.version = state["version"]

    def get_statistics(self):
        return [("average_q", float(self.version)), ("n_updates", self.n_train_calls)]

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]


def read_state(dirname: str) -> dict:
    with open(os.path.join(dirname, "state.json")) as f:
        return json.load(f)


def saved_names(outdir) -> list[str]:
    """The sorted names in ``outdir``, hidden ones left out."""
    return sorted(name for name in os.listdir(outdir) if not name.startswith("."))


# The columns of ``scores.txt`` for an agent whose statistics are ``average_q`` and ``n_updates``.
SCORES_HEADER = [
    "steps",
    "episodes",
    "elapsed",
    "mean",
    "median",
    "stdev",
    "max",
    "min",
    "average_q",
    "n_updates",
]


def read_scores(outdir) -> list[list[str]]:
    """The rows of ``outdir/scores.txt``, header first, each split at its tabs."""
    with open(os.path.join(outdir, "scores.txt")) as f:
        return [line.rstrip("\n").split("\t") for line in f]


class NaNObservationAt(gymnasium.Wrapper):
    """Returns a NaN observation at the ``k``-th step (counted over all episodes)."""

    def __init__(self, env, k):
        super().__init__(env)
        self.k = k
        self.count = 0

    def step(self, action):
        obs, r, terminated, truncated, info = self.env.step(action)
        self.count += 1
        if self.count == self.k:
            obs = np.full_like(obs, np.nan)
        return obs, r, terminated, truncated, info


class RecordingBatchAgent(BatchAgent, RecordingAgent):
    """A batch agent whose actions come from ``batch_policy(batch_obs, k)`` (``k``: call index).

    Records ``('batch_act_and_train', obs)``, ``('batch_observe_and_train', obs, r, done,
    reset)``, ``('batch_act', obs)`` and ``('batch_observe', obs, r, done, reset)``, each with
    its actions or arrays copied.
    """

    def __init__(
        self,
        batch_policy: Callable[[Any, int], Any],
        fail_at: int | None = None,
        error: BaseException | None = None,
    ) -> None:
        RecordingAgent.__init__(self, fail_at=fail_at, error=error)
        self.batch_policy = batch_policy
        self.actions: list[np.ndarray] = []

    def batch_act_and_train(self, batch_obs):
        if self.fail_at is not None and self.n_train_calls == self.fail_at:
            raise self.error
        actions = np.asarray(self.batch_policy(batch_obs, len(self.actions)))
        self.actions.append(actions)
        self.calls.append(("batch_act_and_train", _copy(batch_obs), actions))
        return actions

    def batch_observe_and_train(self, batch_obs, batch_reward, batch_done, batch_reset):
        self.n_train_calls += 1
        self.calls.append(
            (
                "batch_observe_and_train",
                _copy(batch_obs),
                _copy(batch_reward),
                np.array(batch_done, dtype=bool),
                np.array(batch_reset, dtype=bool),
            )
        )

    def batch_act(self, batch_obs):
        self.calls.append(("batch_act", _copy(batch_obs)))
        return np.asarray(self.batch_policy(batch_obs, -1))

    def batch_observe(self, batch_obs, batch_reward, batch_done, batch_reset):
        self.calls.append(
            (
                "batch_observe",
                _copy(batch_obs),
                _copy(batch_reward),
                np.array(batch_done, dtype=bool),
                np.array(batch_reset, dtype=bool),
            )
        )
