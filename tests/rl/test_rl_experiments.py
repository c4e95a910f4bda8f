import json
import os
import pickle
import subprocess

import gymnasium
import numpy as np
import pytest
from _rl_recording_agents import (
    SCORES_HEADER,
    NaNObservationAt,
    RecordingAgent,
    read_scores,
    read_state,
    saved_names,
)
from _rl_toy_envs import ChainEnv, make_chain_vector_env

from kusari_rl import experiments
from kusari_rl.misc import NonFiniteError


def one_hot(i, n):
    x = np.zeros(n, dtype=np.float32)
    x[i] = 1.0
    return x


# --- done / reset flags ---------------------------------------------------------------------


def test_terminated_episode_passes_done_true(tmp_path):
    agent = RecordingAgent(policy=lambda obs: 1)
    experiments.train_agent(agent, ChainEnv(n=3, max_steps=10), steps=4, outdir=str(tmp_path))
    names = agent.names()
    assert names == ["act_and_train", "act_and_train", "stop_episode_and_train"] * 2
    first_stop = agent.calls[2]
    np.testing.assert_array_equal(first_stop[1], one_hot(2, 3))
    assert first_stop[2] == 1.0
    assert first_stop[3] is True
    # After the reset the agent acts on the start observation with reward 0.
    np.testing.assert_array_equal(agent.calls[3][1], one_hot(0, 3))
    assert agent.calls[3][2] == 0.0


def test_truncated_episode_passes_done_false(tmp_path):
    agent = RecordingAgent(policy=lambda obs: 0)
    experiments.train_agent(agent, ChainEnv(n=3, max_steps=3), steps=3, outdir=str(tmp_path))
    assert agent.names() == ["act_and_train"] * 3 + ["stop_episode_and_train"]
    assert agent.calls[-1][3] is False


def test_max_episode_len_cut_passes_done_false_and_resets(tmp_path):
    agent = RecordingAgent(policy=lambda obs: 0)
    experiments.train_agent(
        agent, ChainEnv(n=3, max_steps=50), steps=5, outdir=str(tmp_path), max_episode_len=2
    )
    expected = ["act_and_train", "act_and_train", "stop_episode_and_train"] * 2
    expected += ["act_and_train", "stop_episode_and_train"]  # the last step ends training
    assert agent.names() == expected
    stops = [c for c in agent.calls if c[0] == "stop_episode_and_train"]
    assert [s[3] for s in stops] == [False, False, False]


def test_last_step_ends_a_terminated_episode_with_done_true(tmp_path):
    agent = RecordingAgent(policy=lambda obs: 1)
    experiments.train_agent(agent, ChainEnv(n=3), steps=2, outdir=str(tmp_path))
    assert agent.calls[-1][0] == "stop_episode_and_train"
    assert agent.calls[-1][3] is True


# --- step counts, checkpoints, resume -----------------------------------------------------------


def test_checkpoints_and_finish(tmp_path):
    agent = RecordingAgent(policy=lambda obs: 0)
    agent.t = -1
    experiments.train_agent(
        agent, ChainEnv(n=3, max_steps=4), steps=12, outdir=str(tmp_path), checkpoint_freq=5
    )
    assert agent.t == 0
    assert saved_names(tmp_path) == ["10_checkpoint", "12_finish", "5_checkpoint"]
    act_calls = agent.names().count("act_and_train")
    assert act_calls == 12
    # 5 steps: 5 act_and_train + 1 stop (episode of 4 steps) = 6 training calls.
    assert read_state(tmp_path / "5_checkpoint")["n_train_calls"] == 6
    assert read_state(tmp_path / "12_finish")["n_train_calls"] == agent.n_train_calls


def test_resume_with_step_offset(tmp_path):
    first = RecordingAgent(policy=lambda obs: 0)
    experiments.train_agent(first, ChainEnv(n=3, max_steps=50), steps=10, outdir=str(tmp_path))
    resumed = RecordingAgent(policy=lambda obs: 0)
    resumed.load(str(tmp_path / "10_finish"))
    resumed.t = 0
    experiments.train_agent(
        resumed,
        ChainEnv(n=3, max_steps=50),
        steps=17,
        outdir=str(tmp_path),
        checkpoint_freq=5,
        step_offset=10,
    )
    assert resumed.t == 10
    assert resumed.names().count("act_and_train") == 7
    assert saved_names(tmp_path) == ["10_finish", "15_checkpoint", "17_finish"]
    # 11 training calls of the first run, then 5 steps, then 2 steps and the final stop.
    assert read_state(tmp_path / "15_checkpoint")["n_train_calls"] == 11 + 5
    assert read_state(tmp_path / "17_finish")["n_train_calls"] == 11 + 7 + 1


def test_step_offset_at_steps_trains_nothing(tmp_path):
    agent = RecordingAgent()
    experiments.train_agent(agent, ChainEnv(), steps=5, outdir=str(tmp_path), step_offset=5)
    assert agent.calls == []
    assert saved_names(tmp_path) == ["5_finish"]


# --- errors --------------------------------------------------------------------------------------


def test_nan_observation_keeps_last_checkpoint_and_saves_nothing(tmp_path):
    agent = RecordingAgent(policy=lambda obs: 0)
    env = NaNObservationAt(ChainEnv(n=3, max_steps=50), k=7)
    with pytest.raises(NonFiniteError, match="train_agent: observation at step 7"):
        experiments.train_agent(agent, env, steps=20, outdir=str(tmp_path), checkpoint_freq=5)
    assert saved_names(tmp_path) == ["5_checkpoint"]
    # The agent never saw the NaN.
    assert all(np.isfinite(c[1]).all() for c in agent.calls)


def test_nan_reward_is_caught(tmp_path):
    class NaNReward(gymnasium.RewardWrapper):
        def reward(self, reward):
            return float("nan")

    with pytest.raises(NonFiniteError, match="reward at step 1"):
        experiments.train_agent(
            RecordingAgent(), NaNReward(ChainEnv()), steps=5, outdir=str(tmp_path)
        )
    assert saved_names(tmp_path) == []


def test_nonfinite_error_from_agent_saves_nothing(tmp_path):
    agent = RecordingAgent(fail_at=3, error=NonFiniteError("DQN loss is not finite: nan"))
    with pytest.raises(NonFiniteError, match="DQN loss"):
        experiments.train_agent(agent, ChainEnv(), steps=10, outdir=str(tmp_path))
    assert saved_names(tmp_path) == []


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_exception_saves_except_agent_and_reraises(tmp_path, error):
    agent = RecordingAgent(policy=lambda obs: 0, fail_at=3, error=error)
    with pytest.raises(type(error)):
        experiments.train_agent(agent, ChainEnv(n=3, max_steps=50), steps=10, outdir=str(tmp_path))
    assert saved_names(tmp_path) == ["3_except"]
    assert read_state(tmp_path / "3_except")["n_train_calls"] == 3


def test_vector_env_is_rejected(tmp_path):
    with pytest.raises(TypeError, match="train_agent: env is a gymnasium vector environment"):
        experiments.train_agent(RecordingAgent(), make_chain_vector_env(2), 5, str(tmp_path))


@pytest.mark.parametrize("name", ["checkpoint_freq", "max_episode_len"])
def test_bad_counts_are_rejected(tmp_path, name):
    with pytest.raises(ValueError, match=f"train_agent: {name} must be a positive integer"):
        experiments.train_agent(RecordingAgent(), ChainEnv(), 5, str(tmp_path), **{name: 0})


# --- hooks ---------------------------------------------------------------------------------------


def test_linear_interpolation_hook_values(tmp_path):
    values = []

    def setter(env, agent, value):
        values.append((agent.names().count("act_and_train"), value))

    hook = experiments.LinearInterpolationHook(5, 1.0, 0.2, setter)
    experiments.train_agent(
        RecordingAgent(policy=lambda obs: 0),
        ChainEnv(n=3, max_steps=3),
        steps=7,
        outdir=str(tmp_path),
        step_hooks=[hook],
    )
    steps = np.arange(1, 8)
    expected = np.interp(steps, [1, 5], [1.0, 0.2])
    assert [v[0] for v in values] == list(steps)
    np.testing.assert_allclose([v[1] for v in values], expected)
    assert all(isinstance(v[1], float) for v in values)


def test_linear_interpolation_hook_rejects_bad_total_steps():
    with pytest.raises(ValueError, match="LinearInterpolationHook: total_steps"):
        experiments.LinearInterpolationHook(0, 1.0, 0.0, lambda env, agent, value: None)


def test_step_hook_is_abstract():
    with pytest.raises(TypeError):
        experiments.StepHook()


# --- training with evaluation ------------------------------------------------------------------


def test_train_agent_with_evaluation_writes_scores_log_and_best(tmp_path):
    agent = RecordingAgent(policy=lambda obs: 1)
    experiments.train_agent_with_evaluation(
        agent,
        ChainEnv(n=3),
        steps=10,
        eval_n_steps=None,
        eval_n_episodes=2,
        eval_interval=4,
        outdir=str(tmp_path),
        eval_env=ChainEnv(n=3),
    )
    # Episodes of 2 steps end at 2, 4, ..., 10: evaluations after the episodes ending at 4 and 8.
    rows = read_scores(tmp_path)
    assert rows[0] == SCORES_HEADER
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [("4", "2", "1.0"), ("8", "4", "1.0")]
    with open(tmp_path / "log") as f:
        log = json.load(f)
    assert [(e["step"], e["iteration"], e["episode"], e["epoch"]) for e in log] == [
        (4, 4, 2, 2),
        (8, 8, 4, 4),
    ]
    assert log[0]["eval/mean"] == 1.0 and log[0]["train/return_mean"] == 1.0
    assert log[1]["agent/n_updates"] == 12
    # The best is saved at the first evaluation only (the second does not beat it).
    assert read_state(tmp_path / "best")["n_train_calls"] == 6
    assert "10_finish" in saved_names(tmp_path)


def test_successful_score_stops_training(tmp_path):
    agent = RecordingAgent(policy=lambda obs: 1)
    experiments.train_agent_with_evaluation(
        agent,
        ChainEnv(n=3),
        steps=100,
        eval_n_steps=None,
        eval_n_episodes=1,
        eval_interval=2,
        outdir=str(tmp_path),
        successful_score=1.0,
    )
    assert "2_finish" in saved_names(tmp_path)


@pytest.mark.parametrize("counts", [(None, None), (10, 2)])
def test_train_agent_with_evaluation_needs_exactly_one_count(tmp_path, counts):
    with pytest.raises(ValueError, match="exactly one of eval_n_steps and eval_n_episodes"):
        experiments.train_agent_with_evaluation(
            RecordingAgent(), ChainEnv(), 10, counts[0], counts[1], 5, str(tmp_path)
        )


# --- prepare_output_dir --------------------------------------------------------------------------


def _git(cwd, *args):
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_prepare_output_dir_outside_git(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    args = {"lr": 0.1, "env": "ChainEnv", "path": tmp_path}
    outdir = experiments.prepare_output_dir(
        args, str(tmp_path / "results"), argv=["train.py", "--lr", "0.1"], time_format="%Y"
    )
    assert os.path.dirname(outdir) == str(tmp_path / "results")
    assert sorted(os.listdir(outdir)) == ["args", "args.txt", "command.txt"]
    with open(os.path.join(outdir, "args.txt")) as f:
        assert json.load(f) == {"lr": 0.1, "env": "ChainEnv", "path": str(tmp_path)}
    with open(os.path.join(outdir, "args")) as f:
        assert json.load(f) == {"lr": 0.1, "env": "ChainEnv", "path": str(tmp_path)}
    with open(os.path.join(outdir, "command.txt")) as f:
        assert f.read() == "train.py --lr 0.1"
    assert not experiments.is_under_git_control()
    with pytest.raises(FileExistsError, match="exists already"):
        experiments.prepare_output_dir(args, str(tmp_path / "results"), time_format="%Y")


def test_prepare_output_dir_inside_git(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "a.txt").write_text("one\n")
    _git(repo, "add", "a.txt")
    _git(repo, "commit", "-q", "-m", "first")
    (repo / "a.txt").write_text("two\n")
    monkeypatch.chdir(repo)
    outdir = experiments.prepare_output_dir({"seed": 0}, str(tmp_path / "results"), argv=["x"])
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    with open(os.path.join(outdir, "git-head.txt")) as f:
        assert f.read() == head
    with open(os.path.join(outdir, "git-diff.txt")) as f:
        diff = f.read()
    assert "-one" in diff and "+two" in diff
    with open(os.path.join(outdir, "git-status.txt")) as f:
        assert "a.txt" in f.read()


def test_prepare_output_dir_in_a_fresh_repo_skips_head(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    monkeypatch.chdir(repo)
    outdir = experiments.prepare_output_dir({}, str(tmp_path / "results"), argv=["x"])
    names = sorted(os.listdir(outdir))
    assert "git-head.txt" not in names and "git-status.txt" in names


def test_prepare_output_dir_without_user_dir_and_with_namespace(tmp_path):
    import argparse

    outdir = experiments.prepare_output_dir(argparse.Namespace(a=1), argv=["x"])
    try:
        with open(os.path.join(outdir, "args")) as f:
            assert json.load(f) == {"a": 1}
    finally:
        import shutil

        shutil.rmtree(outdir)


def test_prepare_output_dir_bad_input(tmp_path):
    with pytest.raises(TypeError, match="prepare_output_dir: args must be"):
        experiments.prepare_output_dir([1, 2], str(tmp_path))
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        experiments.prepare_output_dir({}, str(tmp_path / "file"))


# --- collect_demonstrations ----------------------------------------------------------------------


def read_demos(path):
    records = []
    with open(path, "rb") as f:
        while True:
            try:
                records.append(pickle.load(f))
            except EOFError:
                return records


def test_collect_demonstrations_by_episodes(tmp_path):
    agent = RecordingAgent(policy=lambda obs: 1)
    experiments.collect_demonstrations(agent, ChainEnv(n=3), None, 2, str(tmp_path / "demos"))
    records = read_demos(tmp_path / "demos" / "demos.pickle")
    assert len(records) == 4
    obs, action, reward, next_obs, terminated, info = records[1]
    np.testing.assert_array_equal(obs, one_hot(1, 3))
    np.testing.assert_array_equal(next_obs, one_hot(2, 3))
    assert (action, reward, terminated, info) == (1, 1.0, True, {})
    assert agent.names().count("stop_episode") == 2
    assert [n for n in os.listdir(tmp_path / "demos")] == ["demos.pickle"]


def test_collect_demonstrations_by_steps_marks_cuts(tmp_path):
    agent = RecordingAgent(policy=lambda obs: 0)
    experiments.collect_demonstrations(
        agent, ChainEnv(n=3, max_steps=50), 5, None, str(tmp_path), max_episode_len=2
    )
    records = read_demos(tmp_path / "demos.pickle")
    assert len(records) == 5
    assert [r[5].get("needs_reset", False) for r in records] == [False, True, False, True, False]
    assert [r[4] for r in records] == [False] * 5


def test_collect_demonstrations_needs_exactly_one_count(tmp_path):
    with pytest.raises(ValueError, match="collect_demonstrations: exactly one of steps"):
        experiments.collect_demonstrations(RecordingAgent(), ChainEnv(), 5, 5, str(tmp_path))
