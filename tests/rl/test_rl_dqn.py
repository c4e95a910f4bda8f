import _rl_value_agents as V
import numpy as np
import pytest

import kusari
from kusari_rl import replay_buffers
from kusari_rl.agents import DQN
from kusari_rl.agents.dqn import compute_q_target, compute_value_loss, compute_weighted_value_loss
from kusari_rl.misc import NonFiniteError


def _huber(d):
    return np.where(np.abs(d) <= 1.0, 0.5 * d * d, np.abs(d) - 0.5)


def _params(link):
    return {name: p.array.copy() for name, p in link.namedparams()}


def _q_values(link, states):
    with kusari.no_backprop_mode():
        return link(V.one_hot(states)).q_values.array


# -- pure functions -------------------------------------------------------------------------------
@pytest.mark.parametrize("clip_delta", [True, False])
@pytest.mark.parametrize("batch_accumulator", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(6,), (6, 1)])
def test_compute_value_loss_matches_numpy(clip_delta, batch_accumulator, shape):
    rng = np.random.default_rng(0)
    y = rng.normal(scale=2.0, size=shape).astype(np.float32)
    t = rng.normal(scale=2.0, size=shape).astype(np.float32)
    y_var = kusari.Variable(y)
    loss = compute_value_loss(y_var, t, clip_delta, batch_accumulator)
    d = (y - t).ravel()
    per = _huber(d) if clip_delta else 0.5 * d * d
    expected = per.sum() / (6 if batch_accumulator == "mean" else 1)
    np.testing.assert_allclose(loss.array, expected, rtol=1e-5)
    loss.backward()
    grad = np.clip(d, -1, 1) if clip_delta else d
    np.testing.assert_allclose(
        y_var.grad.ravel(), grad / (6 if batch_accumulator == "mean" else 1), rtol=1e-5
    )


@pytest.mark.parametrize("clip_delta", [True, False])
@pytest.mark.parametrize("batch_accumulator", ["mean", "sum"])
def test_compute_weighted_value_loss_matches_numpy(clip_delta, batch_accumulator):
    rng = np.random.default_rng(1)
    y = rng.normal(scale=2.0, size=5).astype(np.float32)
    t = rng.normal(scale=2.0, size=5).astype(np.float32)
    w = rng.uniform(0.1, 1.0, size=5).astype(np.float32)
    loss = compute_weighted_value_loss(kusari.Variable(y), t, w, clip_delta, batch_accumulator)
    per = _huber(y - t) if clip_delta else 0.5 * (y - t) ** 2
    expected = (per * w).sum() / (5 if batch_accumulator == "mean" else 1)
    np.testing.assert_allclose(loss.array, expected, rtol=1e-5)


def test_compute_q_target_bootstraps_only_from_non_terminal_states():
    reward = np.array([1.0, 1.0, 0.5], np.float32)
    discount = np.array([0.9, 0.9, 0.81], np.float32)
    terminal = np.array([0.0, 1.0, 0.0], np.float32)
    next_q = np.array([2.0, 2.0, -1.0], np.float32)
    target = compute_q_target(reward, discount, terminal, next_q)
    # a truncated last transition (terminal 0) bootstraps from next_state; a terminal one does not
    np.testing.assert_allclose(target, [1.0 + 0.9 * 2.0, 1.0, 0.5 - 0.81], rtol=1e-6)


def test_dqn_target_values_use_the_target_networks_max():
    V.seed_all(0)
    agent = V.make_agent(DQN, "dqn")
    for p in agent.model.params():
        p.array[...] += 0.3
    batch = V.exp_batch([0.0, 1.0, 0.5, 0.0], [0.9, 0.9, 0.81, 0.9], [0, 1, 0, 0], [1, 4, 2, 3])
    with kusari.no_backprop_mode():
        target = agent._compute_target_values(batch)
    next_max = _q_values(agent.target_model, [1, 4, 2, 3]).max(axis=1)
    expected = batch["reward"] + batch["discount"] * (1 - batch["is_state_terminal"]) * next_max
    np.testing.assert_allclose(target, expected, rtol=1e-5)
    assert target[1] == 1.0


def test_bad_loss_arguments_raise():
    y = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match=r"compute_value_loss: y.shape \(3,\) != t.shape \(4,\)"):
        compute_value_loss(y, np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="batch_accumulator must be 'mean' or 'sum', got 'max'"):
        compute_value_loss(y, y, batch_accumulator="max")
    with pytest.raises(ValueError, match="one weight per value"):
        compute_weighted_value_loss(y, y, np.ones(2, np.float32))
    with pytest.raises(ValueError, match="compute_q_target: reward"):
        compute_q_target(y, y, y, np.zeros(2, np.float32))


# -- learning -------------------------------------------------------------------------------------
def test_dqn_learns_chain():
    V.seed_all(1)
    agent = V.make_agent(DQN, "dqn", update_interval=2)
    assert V.greedy_returns(agent, 1) == [0.0]
    V.train_single(agent, 1200)
    assert V.greedy_returns(agent) == [1.0, 1.0, 1.0]
    stats = dict(agent.get_statistics())
    assert list(stats) == ["average_q", "average_loss", "n_updates"]
    assert stats["n_updates"] == agent.optimizer.t > 0
    assert isinstance(stats["average_q"], float) and isinstance(stats["average_loss"], float)


def test_dqn_learns_chain_in_a_batch_of_envs():
    V.seed_all(2)
    agent = V.make_agent(DQN, "dqn", update_interval=2)
    assert V.greedy_batch_returns(agent) == [0.0] * 4
    V.train_batch(agent, 400)
    assert agent.t == 1600
    assert V.greedy_batch_returns(agent) == [1.0] * 4


# -- transitions ----------------------------------------------------------------------------------
@pytest.mark.parametrize("done", [False, True])
def test_stop_episode_and_train_stores_is_state_terminal_as_done(done):
    V.seed_all(0)
    rb = replay_buffers.ReplayBuffer(100)
    agent = V.make_agent(DQN, "dqn", replay_buffer=rb)
    obs = V.one_hot([0, 1, 2])
    agent.act_and_train(obs[0], 0.0)
    agent.act_and_train(obs[1], 0.0)
    agent.stop_episode_and_train(obs[2], 1.0, done=done)
    last = rb.memory[len(rb) - 1][0]
    assert last["is_state_terminal"] is done
    np.testing.assert_array_equal(last["next_state"], obs[2])
    assert last["reward"] == 1.0
    assert [t[0]["is_state_terminal"] for t in rb.memory] == [False, done]
    assert agent.last_state is None and agent.last_action is None


def test_batch_observe_and_train_stores_done_and_ends_episodes():
    V.seed_all(0)
    rb = replay_buffers.ReplayBuffer(100)
    agent = V.make_agent(DQN, "dqn", replay_buffer=rb)
    obs = V.one_hot([0, 1, 2])
    agent.batch_act_and_train(list(obs))
    agent.batch_observe_and_train(
        list(V.one_hot([1, 2, 3])), [0.0, 0.0, 1.0], [False, False, True], [False, True, False]
    )
    assert agent.t == 3
    stored = [(e[0]["is_state_terminal"], e[0]["reward"]) for e in rb.memory]
    # env 1 was truncated (reset, not done): its transition is stored as non-terminal
    assert stored == [(False, 0.0), (False, 0.0), (True, 1.0)]
    assert agent.batch_last_obs[0] is not None
    assert agent.batch_last_obs[1] is None and agent.batch_last_obs[2] is None
    with pytest.raises(ValueError, match="expected 3 environments"):
        agent.batch_observe_and_train(list(obs[:2]), [0.0] * 2, [False] * 2, [False] * 2)


# -- update ---------------------------------------------------------------------------------------
def test_update_errors_out_and_loss_match_numpy():
    V.seed_all(0)
    agent = V.make_agent(DQN, "dqn", target_update_interval=100)
    for p in agent.model.params():
        p.array[...] += 0.1
    exps = V.experiences([0, 1, 3], [1, 0, 1], [0.0, 0.0, 1.0], [1, 0, 4], [False, False, True])
    q = _q_values(agent.model, [0, 1, 3])[[0, 1, 2], [1, 0, 1]]
    next_max = _q_values(agent.target_model, [1, 0, 4]).max(axis=1)
    t = np.array([0.0, 0.0, 1.0]) + 0.9 * np.array([1.0, 1.0, 0.0]) * next_max
    errors = []
    agent.update(exps, errors_out=errors)
    np.testing.assert_allclose(errors, np.abs(q - t), rtol=1e-5)
    assert agent.optimizer.t == 1
    np.testing.assert_allclose(agent.average_loss, 0.01 * _huber(q - t).mean(), rtol=1e-5)


def test_prioritized_replay_gets_the_td_errors_and_weights_the_loss(monkeypatch):
    V.seed_all(0)
    rb = replay_buffers.PrioritizedReplayBuffer(100)
    agent = V.make_agent(DQN, "dqn", replay_buffer=rb, minibatch_size=4, replay_start_size=4)
    V.append_transitions(
        rb,
        [
            (0, 1, 0.0, 1, False),
            (1, 1, 0.0, 2, False),
            (2, 0, 0.0, 1, False),
            (3, 1, 1.0, 4, True),
        ],
    )
    received = []
    original = rb.update_errors
    monkeypatch.setattr(
        rb, "update_errors", lambda errors: (received.append(list(errors)), original(errors))
    )
    exps = rb.sample(4)
    weights = np.array([e[0]["weight"] for e in exps], np.float32)
    states = [int(e[0]["state"].argmax()) for e in exps]
    actions = [e[0]["action"] for e in exps]
    q = _q_values(agent.model, states)[np.arange(4), actions]
    next_max = _q_values(agent.target_model, [int(e[0]["next_state"].argmax()) for e in exps])
    terminal = np.array([e[0]["is_state_terminal"] for e in exps], np.float32)
    t = np.array([e[0]["reward"] for e in exps]) + 0.9 * (1 - terminal) * next_max.max(axis=1)
    captured = {}
    compute = agent._compute_loss
    monkeypatch.setattr(
        agent,
        "_compute_loss",
        lambda batch, errors_out=None: captured.setdefault("loss", compute(batch, errors_out)),
    )
    agent.update(exps)
    np.testing.assert_allclose(received, [np.abs(q - t)], rtol=1e-5)
    np.testing.assert_allclose(captured["loss"].array, (weights * _huber(q - t)).mean(), rtol=1e-5)


def test_nan_loss_raises_and_leaves_the_model_alone():
    V.seed_all(0)
    agent = V.make_agent(DQN, "dqn")
    before = _params(agent.model)
    exps = V.experiences([0, 1], [1, 1], [float("nan"), 0.0], [1, 2], [False, False])
    with pytest.raises(NonFiniteError, match="DQN loss at update 1 is not finite"):
        agent.update(exps)
    assert agent.optimizer.t == 0
    for name, value in _params(agent.model).items():
        np.testing.assert_array_equal(value, before[name])


# -- target network -------------------------------------------------------------------------------
def test_hard_target_update_copies_every_target_update_interval():
    V.seed_all(0)
    agent = V.make_agent(DQN, "dqn", replay_start_size=16, target_update_interval=10)
    obs = V.one_hot([0, 1, 2, 3, 4])
    synced = 0
    for i in range(60):
        model_before = _params(agent.model)
        target_before = _params(agent.target_model)
        agent.act_and_train(obs[i % 4], 0.0)
        expected = model_before if agent.t % 10 == 0 else target_before
        synced += agent.t % 10 == 0
        for name, value in _params(agent.target_model).items():
            np.testing.assert_array_equal(value, expected[name])
    assert synced == 6 and agent.optimizer.t > 30
    assert any(
        not np.array_equal(v, _params(agent.target_model)[k])
        for k, v in _params(agent.model).items()
    )


def test_soft_target_update_moves_by_tau():
    V.seed_all(0)
    agent = V.make_agent(
        DQN,
        "dqn",
        replay_start_size=16,
        target_update_interval=1,
        target_update_method="soft",
        soft_update_tau=0.25,
    )
    obs = V.one_hot([0, 1, 2, 3, 4])
    for i in range(40):
        model_before = _params(agent.model)
        target_before = _params(agent.target_model)
        agent.act_and_train(obs[i % 4], 0.0)
        for name, value in _params(agent.target_model).items():
            expected = target_before[name] + 0.25 * (model_before[name] - target_before[name])
            np.testing.assert_allclose(value, expected, rtol=1e-6, atol=1e-7)
    assert agent.optimizer.t > 20


# -- save / load ----------------------------------------------------------------------------------
def test_save_load_gives_identical_greedy_actions_and_q_values(tmp_path):
    V.seed_all(0)
    agent = V.make_agent(DQN, "dqn")
    V.train_single(agent, 200)
    agent.save(tmp_path / "agent")
    assert sorted(p.name for p in (tmp_path / "agent").iterdir()) == [
        "model.npz",
        "optimizer.npz",
        "target_model.npz",
    ]
    V.seed_all(5)
    other = V.make_agent(DQN, "dqn")
    other.load(tmp_path / "agent")
    states = list(range(5))
    np.testing.assert_array_equal(_q_values(other.model, states), _q_values(agent.model, states))
    np.testing.assert_array_equal(
        _q_values(other.target_model, states), _q_values(agent.target_model, states)
    )
    assert [other.act(o) for o in V.one_hot(states)] == [agent.act(o) for o in V.one_hot(states)]
    np.testing.assert_array_equal(
        other.batch_act(list(V.one_hot(states))), agent.batch_act(list(V.one_hot(states)))
    )
    assert other.optimizer.t == agent.optimizer.t


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"gamma": 1.5}, ValueError, r"DQN: gamma must be in \[0, 1\], got 1.5"),
        ({"minibatch_size": 0}, ValueError, "DQN: minibatch_size must be a positive int, got 0"),
        (
            {"target_update_method": "copy"},
            ValueError,
            "DQN: target_update_method must be 'hard' or 'soft', got 'copy'",
        ),
        ({"soft_update_tau": 2.0}, ValueError, r"soft_update_tau must be in \[0, 1\], got 2.0"),
        (
            {"batch_accumulator": "max"},
            ValueError,
            "DQN: batch_accumulator must be 'mean' or 'sum', got 'max'",
        ),
        (
            {"update_interval": 4, "target_update_interval": 10},
            ValueError,
            r"target_update_interval \(10\) must be a multiple of update_interval \(4\)",
        ),
        (
            {"replay_start_size": 200},
            ValueError,
            r"replay_start_size \(200\) exceeds the replay buffer's capacity \(100\)",
        ),
        ({"recurrent": True}, NotImplementedError, "DQN: recurrent=True is not supported"),
    ],
)
def test_bad_arguments_raise(kwargs, error, message):
    gamma = kwargs.pop("gamma", 0.9)
    V.seed_all(0)
    q_func = V.make_agent(DQN, "dqn").model
    optimizer = kusari.optimizers.Adam()
    optimizer.setup(q_func)
    settings = {"replay_start_size": 50, "minibatch_size": 16, **kwargs}
    with pytest.raises(error, match=message):
        DQN(q_func, optimizer, replay_buffers.ReplayBuffer(100), gamma, None, **settings)


def test_stop_episode_and_train_without_an_action_raises():
    agent = V.make_agent(DQN, "dqn")
    with pytest.raises(RuntimeError, match="DQN.stop_episode_and_train: no action was taken"):
        agent.stop_episode_and_train(V.one_hot([0])[0], 0.0, True)
