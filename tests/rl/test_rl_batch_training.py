import json
import logging

import gymnasium
import numpy as np
import pytest
from _rl_recording_agents import NaNObservationAt, RecordingBatchAgent, read_state, saved_names
from _rl_toy_envs import ChainEnv
from gymnasium.vector import AutoresetMode

from kusari_rl import experiments
from kusari_rl.misc import NonFiniteError

MODES = [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED]
VECTOR_CLASSES = [gymnasium.vector.SyncVectorEnv, gymnasium.vector.AsyncVectorEnv]

# Sub-environments 0 and 2 are truncated after 3 steps; 1 and 3 are cut by max_episode_len=4.
ENV_PARAMS = [
    {"n": 4, "max_steps": 3},
    {"n": 4, "max_steps": 6},
    {"n": 4, "max_steps": 3},
    {"n": 4, "max_steps": 6},
]


def make_env(params, mode=AutoresetMode.NEXT_STEP, cls=gymnasium.vector.SyncVectorEnv):
    return cls([lambda p=p: ChainEnv(**p) for p in params], autoreset_mode=mode)


def random_policy(seed, p_right=0.7):
    """Random training actions; evaluation (``k == -1``) always goes right."""
    rng = np.random.default_rng(seed)

    def policy(batch_obs, k):
        if k < 0:
            return np.ones(len(batch_obs), dtype=np.int64)
        return (rng.random(len(batch_obs)) < p_right).astype(np.int64)

    return policy


def right_policy(batch_obs, k):
    return np.ones(len(batch_obs), dtype=np.int64)


def training_calls(agent):
    acts = [c for c in agent.calls if c[0] == "batch_act_and_train"]
    observes = [c for c in agent.calls if c[0] == "batch_observe_and_train"]
    return acts, observes


def check_against_reference(agent, params, max_episode_len):
    """Replays every sub-environment alone with the agent's actions and compares what it saw."""
    acts, observes = training_calls(agent)
    assert len(acts) == len(observes)
    counts = {"terminated": 0, "truncated": 0, "cut": 0}
    for i, p in enumerate(params):
        ref = ChainEnv(**p)
        ref_obs, _ = ref.reset()
        length = 0
        for (_, acted, actions), (_, obs, rewards, done, reset) in zip(acts, observes, strict=True):
            np.testing.assert_array_equal(acted[i], ref_obs)
            ref_next, ref_r, terminated, truncated, _ = ref.step(actions[i])
            length += 1
            cut = length == max_episode_len
            np.testing.assert_array_equal(obs[i], ref_next)
            assert rewards[i] == ref_r
            assert done[i] == terminated
            assert reset[i] == (truncated or cut)
            counts["terminated"] += terminated
            counts["truncated"] += truncated
            counts["cut"] += cut and not truncated
            if terminated or truncated or cut:
                ref_obs, _ = ref.reset()
                length = 0
            else:
                ref_obs = ref_next
    return counts


@pytest.mark.parametrize("cls", VECTOR_CLASSES, ids=["sync", "async"])
@pytest.mark.parametrize("mode", MODES, ids=[m.value for m in MODES])
def test_agent_sees_exact_transitions_in_every_autoreset_mode(tmp_path, mode, cls):
    env = make_env(ENV_PARAMS, mode, cls)
    agent = RecordingBatchAgent(random_policy(0))
    try:
        experiments.train_agent_batch(
            agent, env, steps=120, outdir=str(tmp_path), max_episode_len=4
        )
    finally:
        env.close()
    names = [c[0] for c in agent.calls]
    assert names == ["batch_act_and_train", "batch_observe_and_train"] * 30
    counts = check_against_reference(agent, ENV_PARAMS, max_episode_len=4)
    assert min(counts.values()) > 0, counts
    assert saved_names(tmp_path) == ["120_finish"]


def test_steps_checkpoints_and_hooks(tmp_path):
    agent = RecordingBatchAgent(random_policy(1))
    agent.t = -1
    hook_steps = []
    experiments.train_agent_batch(
        agent,
        make_env(ENV_PARAMS),
        steps=20,
        outdir=str(tmp_path),
        checkpoint_freq=6,
        step_hooks=[lambda env, a, t: hook_steps.append((t, a.n_train_calls))],
    )
    assert agent.t == 0
    assert [t for t, _ in hook_steps] == list(range(1, 21))
    # Hooks run after the agent observed the vector step the step belongs to.
    assert [n for _, n in hook_steps] == [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4 + [5] * 4
    assert saved_names(tmp_path) == ["12_checkpoint", "18_checkpoint", "20_finish", "6_checkpoint"]
    assert read_state(tmp_path / "6_checkpoint")["n_train_calls"] == 2
    assert read_state(tmp_path / "12_checkpoint")["n_train_calls"] == 3
    assert read_state(tmp_path / "18_checkpoint")["n_train_calls"] == 5


def test_resume_with_step_offset(tmp_path):
    agent = RecordingBatchAgent(random_policy(2))
    agent.t = 0
    hook_steps = []
    experiments.train_agent_batch(
        agent,
        make_env(ENV_PARAMS),
        steps=20,
        outdir=str(tmp_path),
        step_offset=8,
        checkpoint_freq=10,
        step_hooks=[lambda env, a, t: hook_steps.append(t)],
    )
    assert agent.t == 8
    assert hook_steps == list(range(9, 21))
    assert agent.n_train_calls == 3
    # As in ChainerRL, a checkpoint due at the last step is saved besides the final agent.
    assert saved_names(tmp_path) == ["10_checkpoint", "20_checkpoint", "20_finish"]


def test_last_vector_step_may_pass_steps(tmp_path):
    agent = RecordingBatchAgent(random_policy(3))
    experiments.train_agent_batch(agent, make_env(ENV_PARAMS), steps=10, outdir=str(tmp_path))
    assert agent.n_train_calls == 3
    assert saved_names(tmp_path) == ["12_finish"]


@pytest.mark.parametrize("mode", MODES, ids=[m.value for m in MODES])
def test_nan_final_observation_keeps_last_checkpoint(tmp_path, mode):
    # Episodes end every 2 steps; the 6th step of sub-environment 1 ends an episode with a NaN.
    fns = [lambda: ChainEnv(n=3), lambda: NaNObservationAt(ChainEnv(n=3), 6)]
    env = gymnasium.vector.SyncVectorEnv(fns, autoreset_mode=mode)
    agent = RecordingBatchAgent(right_policy)
    with pytest.raises(NonFiniteError, match="train_agent_batch: observations at step 12"):
        experiments.train_agent_batch(agent, env, 40, str(tmp_path), checkpoint_freq=4)
    assert saved_names(tmp_path) == ["4_checkpoint", "8_checkpoint"]
    assert agent.n_train_calls == 5
    assert all(np.isfinite(c[1]).all() for c in agent.calls)


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_exception_saves_except_agent(tmp_path, error):
    agent = RecordingBatchAgent(random_policy(4), fail_at=2, error=error)
    with pytest.raises(type(error)):
        experiments.train_agent_batch(agent, make_env(ENV_PARAMS), 40, str(tmp_path))
    assert saved_names(tmp_path) == ["8_except"]
    assert read_state(tmp_path / "8_except")["n_train_calls"] == 2


def test_single_env_is_rejected(tmp_path):
    with pytest.raises(TypeError, match="train_agent_batch: env must be a gymnasium vector"):
        experiments.train_agent_batch(
            RecordingBatchAgent(right_policy), ChainEnv(), 8, str(tmp_path)
        )


def test_async_env_without_shared_memory_in_next_step_mode_is_rejected(tmp_path):
    env = gymnasium.vector.AsyncVectorEnv([lambda: ChainEnv()] * 2, shared_memory=False)
    try:
        with pytest.raises(ValueError, match="train_agent_batch: an AsyncVectorEnv with shared_me"):
            experiments.train_agent_batch(RecordingBatchAgent(right_policy), env, 8, str(tmp_path))
    finally:
        env.close()


def test_async_env_without_shared_memory_in_same_step_mode(tmp_path):
    env = gymnasium.vector.AsyncVectorEnv(
        [lambda p=p: ChainEnv(**p) for p in ENV_PARAMS],
        shared_memory=False,
        autoreset_mode=AutoresetMode.SAME_STEP,
    )
    agent = RecordingBatchAgent(random_policy(6))
    try:
        experiments.train_agent_batch(agent, env, 40, str(tmp_path), max_episode_len=4)
    finally:
        env.close()
    check_against_reference(agent, ENV_PARAMS, max_episode_len=4)


def test_batch_with_evaluation_needs_exactly_one_count(tmp_path):
    with pytest.raises(
        ValueError,
        match="train_agent_batch_with_evaluation: exactly one of eval_n_steps and eval_n_episodes",
    ):
        experiments.train_agent_batch_with_evaluation(
            RecordingBatchAgent(right_policy), make_env(ENV_PARAMS), 8, 5, 5, 4, str(tmp_path)
        )


def test_batch_with_evaluation_log(tmp_path):
    agent = RecordingBatchAgent(random_policy(5))
    experiments.train_agent_batch_with_evaluation(
        agent,
        make_env(ENV_PARAMS),
        steps=48,
        eval_n_steps=None,
        eval_n_episodes=3,
        eval_interval=16,
        outdir=str(tmp_path),
        max_episode_len=4,
        eval_env=make_env([{"n": 3}] * 2),
    )
    with open(tmp_path / "log") as f:
        log = json.load(f)
    assert [e["step"] for e in log] == [16, 32, 48]
    assert [e["iteration"] for e in log] == [16, 32, 48]
    # Training returns and episode counts from what the agent observed.
    _, observes = training_calls(agent)
    returns, episode_r, episodes = [], np.zeros(4), 0
    for k, (_, _, rewards, done, reset) in enumerate(observes, start=1):
        episode_r += rewards
        ended = done | reset
        returns.extend(episode_r[ended])
        episodes += int(ended.sum())
        episode_r[ended] = 0.0
        if k % 4 == 0:
            entry = log[k // 4 - 1]
            assert entry["episode"] == entry["epoch"] == episodes
            assert entry["train/return_mean"] == pytest.approx(np.mean(returns))
            returns = []
    assert all(e["eval/mean"] == 1.0 for e in log)
    assert read_state(tmp_path / "best")["n_train_calls"] == 4
    assert "48_finish" in saved_names(tmp_path)
    with open(tmp_path / "scores.txt") as f:
        assert len(f.read().splitlines()) == 4


def test_evaluation_in_the_training_env_cuts_running_episodes(tmp_path):
    env = make_env([{"n": 50, "max_steps": 100}] * 2, AutoresetMode.SAME_STEP)
    agent = RecordingBatchAgent(right_policy)
    experiments.train_agent_batch_with_evaluation(
        agent,
        env,
        steps=12,
        eval_n_steps=None,
        eval_n_episodes=1,
        eval_interval=4,
        outdir=str(tmp_path),
        eval_max_episode_len=3,
    )
    names = [c[0] for c in agent.calls]
    train_names = ["batch_act_and_train", "batch_observe_and_train"]
    assert names == (train_names * 2 + ["batch_act", "batch_observe"] * 3) * 3
    observes = [c for c in agent.calls if c[0] == "batch_observe_and_train"]
    np.testing.assert_array_equal([c[4] for c in observes], [[False] * 2, [True] * 2] * 3)
    acted = [c[1] for c in agent.calls if c[0] == "batch_act_and_train"]
    # After every evaluation the training episodes start again from position 0.
    positions = [obs.argmax(axis=1).tolist() for obs in acted]
    assert positions == [[0, 0], [1, 1]] * 3


def test_successful_score_stops_batch_training(tmp_path):
    agent = RecordingBatchAgent(right_policy)
    experiments.train_agent_batch_with_evaluation(
        agent,
        make_env([{"n": 3}] * 2),
        steps=100,
        eval_n_steps=None,
        eval_n_episodes=2,
        eval_interval=4,
        outdir=str(tmp_path),
        eval_env=ChainEnv(n=3),
        successful_score=1.0,
    )
    assert saved_names(tmp_path) == ["4_finish", "best", "log", "scores.txt"]


def test_log_interval(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="kusari_rl.experiments.train_agent_batch"):
        experiments.train_agent_batch(
            RecordingBatchAgent(right_policy),
            make_env([{"n": 3}] * 2),
            8,
            str(tmp_path),
            log_interval=4,
        )
    lines = [r.getMessage() for r in caplog.records if "average_R" in r.getMessage()]
    assert len(lines) == 2
    assert lines[-1].endswith("step:8 episode:4 average_R:1.0")
