import json
import os
import statistics

import gymnasium
import numpy as np
import pytest
from _rl_recording_agents import (
    SCORES_HEADER,
    RecordingAgent,
    RecordingBatchAgent,
    read_scores,
    read_state,
)
from _rl_toy_envs import ChainEnv
from gymnasium.vector import AutoresetMode

from kusari_rl import experiments


class EpisodeEnv(gymnasium.Env):
    """Episodes of ``length`` steps; every step of the ``k``-th episode pays ``base + slope*k``.

    Observation: float32 ``(k, step in the episode)``; the episode terminates at its last step.
    """

    def __init__(self, length=1, base=0.0, slope=1.0):
        self.length = length
        self.base = base
        self.slope = slope
        self.observation_space = gymnasium.spaces.Box(-np.inf, np.inf, (2,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(2)
        self.episode = -1
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.episode += 1
        self.t = 0
        return np.array([self.episode, 0], dtype=np.float32), {}

    def step(self, action):
        self.t += 1
        obs = np.array([self.episode, self.t], dtype=np.float32)
        reward = self.base + self.slope * self.episode
        return obs, reward, self.t == self.length, False, {}


def episode_vector_env(lengths, bases, mode=AutoresetMode.NEXT_STEP, cls=None):
    cls = cls or gymnasium.vector.SyncVectorEnv
    fns = [lambda n=n, b=b: EpisodeEnv(n, b) for n, b in zip(lengths, bases, strict=True)]
    return cls(fns, autoreset_mode=mode)


def zero_policy(batch_obs, k):
    return np.zeros(len(batch_obs), dtype=np.int64)


# --- run_evaluation_episodes / eval_performance --------------------------------------------------


def test_eval_performance_statistics_match_numpy():
    agent = RecordingAgent(policy=lambda obs: 0)
    stats = experiments.eval_performance(EpisodeEnv(1), agent, None, 5)
    returns = np.arange(5.0)
    assert stats == pytest.approx(
        {
            "mean": np.mean(returns),
            "median": np.median(returns),
            "stdev": np.std(returns, ddof=1),
            "max": 4.0,
            "min": 0.0,
        }
    )
    assert all(type(v) is float for v in stats.values())
    assert agent.names() == ["act", "stop_episode"] * 5


def test_single_episode_has_zero_stdev():
    stats = experiments.eval_performance(EpisodeEnv(1, base=3.0), RecordingAgent(), None, 1)
    assert stats == {"mean": 3.0, "median": 3.0, "stdev": 0.0, "max": 3.0, "min": 3.0}


def test_run_evaluation_episodes_by_steps_drops_the_unfinished_episode():
    agent = RecordingAgent(policy=lambda obs: 1)
    scores = experiments.run_evaluation_episodes(ChainEnv(n=3), agent, 5, None)
    assert scores == [1.0, 1.0]
    assert agent.names().count("act") == 5
    assert agent.names().count("stop_episode") == 3


def test_run_evaluation_episodes_uses_the_unfinished_episode_when_none_ends():
    scores = experiments.run_evaluation_episodes(EpisodeEnv(4, base=2.0), RecordingAgent(), 3, None)
    assert scores == [6.0]


def test_run_evaluation_episodes_cuts_at_max_episode_len():
    agent = RecordingAgent(policy=lambda obs: 0)
    scores = experiments.run_evaluation_episodes(
        ChainEnv(n=3, max_steps=50), agent, None, 2, max_episode_len=3
    )
    assert scores == [0.0, 0.0]
    assert agent.names() == ["act"] * 3 + ["stop_episode"] + ["act"] * 3 + ["stop_episode"]


@pytest.mark.parametrize(
    "counts, message",
    [
        ((None, None), "exactly one of n_steps and n_episodes"),
        ((3, 3), "exactly one of n_steps and n_episodes"),
        ((None, 0), "n_episodes must be a positive integer"),
    ],
)
def test_run_evaluation_episodes_bad_counts(counts, message):
    with pytest.raises(ValueError, match=f"run_evaluation_episodes: {message}"):
        experiments.run_evaluation_episodes(ChainEnv(), RecordingAgent(), *counts)


# --- batch_run_evaluation_episodes ---------------------------------------------------------------


MODES = [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED]


@pytest.mark.parametrize("mode", MODES)
def test_batch_evaluation_counts_episodes_in_start_order(mode):
    lengths, bases = [1, 2, 3, 4], [0.0, 10.0, 20.0, 30.0]
    env = episode_vector_env(lengths, bases, mode)
    agent = RecordingBatchAgent(zero_policy)
    scores = experiments.batch_run_evaluation_episodes(env, agent, None, 4)
    # The first episode of each sub-environment, although env 0 finished 3 more meanwhile.
    assert scores == [0.0, 20.0, 60.0, 120.0]
    observed = [c for c in agent.calls if c[0] == "batch_observe"]
    assert len(observed) == 4
    for _, obs, _, done, _ in observed:
        # Ended episodes are observed in their final state (step == length), not after a reset.
        np.testing.assert_array_equal(obs[done, 1], np.asarray(lengths, dtype=np.float32)[done])
    assert observed[-1][4].all()
    # Every observation acted on is the current one: a new episode starts at step 0.
    acted = [c[1] for c in agent.calls if c[0] == "batch_act"]
    for k, obs in enumerate(acted):
        np.testing.assert_array_equal(obs[:, 1], k % np.asarray(lengths))
    env.close()


@pytest.mark.parametrize("mode", MODES)
def test_batch_evaluation_by_steps(mode):
    env = episode_vector_env([1, 2, 3, 4], [0.0, 10.0, 20.0, 30.0], mode)
    scores = experiments.batch_run_evaluation_episodes(
        env, RecordingBatchAgent(zero_policy), 8, None
    )
    assert scores == [0.0, 1.0, 20.0]


def test_batch_evaluation_by_steps_without_a_finished_episode():
    env = episode_vector_env([2, 3, 4, 5], [0.0, 10.0, 20.0, 30.0])
    scores = experiments.batch_run_evaluation_episodes(
        env, RecordingBatchAgent(zero_policy), 4, None
    )
    assert scores == [0.0, 10.0, 20.0, 30.0]


def test_batch_evaluation_cuts_at_max_episode_len():
    env = episode_vector_env([5, 5], [1.0, 2.0])
    agent = RecordingBatchAgent(zero_policy)
    scores = experiments.batch_run_evaluation_episodes(env, agent, None, 3, max_episode_len=2)
    assert scores == [2.0, 4.0, 2 * 2.0]  # ids 0, 1 (first episodes), 2 (env 0's second)
    observed = [c for c in agent.calls if c[0] == "batch_observe"]
    np.testing.assert_array_equal(observed[1][4], [True, True])
    np.testing.assert_array_equal(observed[1][3], [False, False])


def test_batch_evaluation_async():
    env = episode_vector_env(
        [1, 2, 3, 4],
        [0.0, 10.0, 20.0, 30.0],
        AutoresetMode.SAME_STEP,
        gymnasium.vector.AsyncVectorEnv,
    )
    try:
        stats = experiments.eval_performance(env, RecordingBatchAgent(zero_policy), None, 4)
    finally:
        env.close()
    assert stats["mean"] == pytest.approx(np.mean([0.0, 20.0, 60.0, 120.0]))


# --- Evaluator -----------------------------------------------------------------------------------


def test_evaluator_schedule_with_step_offset(tmp_path):
    evaluator = experiments.Evaluator(
        RecordingAgent(),
        EpisodeEnv(1),
        None,
        1,
        eval_interval=10,
        outdir=str(tmp_path),
        step_offset=25,
    )
    assert evaluator.prev_eval_t == 20
    assert evaluator.evaluate_if_necessary(29, 3) is None
    assert evaluator.evaluate_if_necessary(30, 3) == 0.0
    assert evaluator.evaluate_if_necessary(39, 4) is None
    assert evaluator.evaluate_if_necessary(41, 5) == 1.0
    assert evaluator.prev_eval_t == 40
    with open(tmp_path / "log") as f:
        assert [e["step"] for e in json.load(f)] == [30, 41]


def test_evaluator_files_and_best_agent(tmp_path):
    agent = RecordingAgent()
    env = EpisodeEnv(1, base=5.0, slope=-1.0)  # returns 5, 4, 3, ...
    evaluator = experiments.Evaluator(agent, env, None, 2, 100, str(tmp_path))
    with open(tmp_path / "log") as f:
        assert json.load(f) == []
    agent.version = 1
    evaluator.record_training_return(1.0)
    evaluator.record_training_return(np.float32(2.0))
    assert evaluator.evaluate_if_necessary(100, 7) == 4.5
    agent.version = 2
    assert evaluator.evaluate_and_update_max_score(150, 9) == 2.5
    assert evaluator.max_score == 4.5
    assert read_state(tmp_path / "best")["version"] == 1

    rows = read_scores(tmp_path)
    assert rows[0] == SCORES_HEADER
    assert len(rows) == 3
    row = rows[1]
    assert row[:2] == ["100", "7"]
    np.testing.assert_allclose(
        [float(x) for x in row[3:]], [4.5, 4.5, statistics.stdev([5.0, 4.0]), 5.0, 4.0, 1.0, 0.0]
    )
    with open(tmp_path / "log") as f:
        log = json.load(f)
    assert set(log[0]) == {
        "step",
        "episode",
        "iteration",
        "epoch",
        "elapsed_time",
        "eval/mean",
        "eval/median",
        "eval/stdev",
        "eval/max",
        "eval/min",
        "agent/average_q",
        "agent/n_updates",
        "train/return_mean",
    }
    assert (log[0]["iteration"], log[0]["epoch"], log[0]["train/return_mean"]) == (100, 7, 1.5)
    assert "train/return_mean" not in log[1]
    assert (log[1]["step"], log[1]["eval/mean"], log[1]["agent/average_q"]) == (150, 2.5, 2.0)
    assert log[0]["elapsed_time"] <= log[1]["elapsed_time"]
    assert sorted(os.listdir(tmp_path)) == ["best", "log", "scores.txt"]


def test_evaluator_without_saving_best(tmp_path):
    evaluator = experiments.Evaluator(
        RecordingAgent(), EpisodeEnv(1), 1, None, 1, str(tmp_path), save_best_so_far_agent=False
    )
    evaluator.evaluate_if_necessary(1, 1)
    assert sorted(os.listdir(tmp_path)) == ["log", "scores.txt"]


def test_evaluator_log_keeps_only_scalar_statistics(tmp_path):
    class Agent(RecordingAgent):
        def get_statistics(self):
            return [("q", np.float32(0.5)), ("hist", np.zeros(3)), ("flag", True)]

    evaluator = experiments.Evaluator(Agent(), EpisodeEnv(1), None, 1, 1, str(tmp_path))
    evaluator.evaluate_if_necessary(1, 1)
    with open(tmp_path / "log") as f:
        entry = json.load(f)[0]
    assert (entry["agent/q"], entry["agent/flag"]) == (0.5, 1)
    assert "agent/hist" not in entry
    with open(tmp_path / "scores.txt") as f:
        header, row = f.read().splitlines()
    assert header.split("\t")[-3:] == ["q", "hist", "flag"]
    assert row.split("\t")[-3:] == ["0.5", "[0. 0. 0.]", "True"]


def test_best_agent_is_replaced_whole(tmp_path):
    agent = RecordingAgent()
    evaluator = experiments.Evaluator(agent, EpisodeEnv(1), None, 1, 1, str(tmp_path))
    evaluator.evaluate_if_necessary(1, 1)
    (tmp_path / "best" / "stale.txt").write_text("from an older best")
    agent.version = 7
    evaluator.evaluate_if_necessary(2, 2)
    assert sorted(os.listdir(tmp_path / "best")) == ["state.json"]
    assert read_state(tmp_path / "best")["version"] == 7


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_steps": 1, "n_episodes": 1}, "Evaluator: exactly one of n_steps and n_episodes"),
        ({"n_steps": None, "n_episodes": 1, "eval_interval": 0}, "Evaluator: eval_interval"),
        ({"n_steps": None, "n_episodes": 1, "eval_interval": None}, "Evaluator: eval_interval"),
    ],
)
def test_evaluator_bad_input(tmp_path, kwargs, message):
    kwargs = {"eval_interval": 5, **kwargs}
    with pytest.raises(ValueError, match=message):
        experiments.Evaluator(RecordingAgent(), EpisodeEnv(), outdir=str(tmp_path), **kwargs)
