import _rl_value_agents as V
import numpy as np
import pytest

import kusari
from kusari_rl import replay_buffers
from kusari_rl.agents import CategoricalDoubleDQN, CategoricalDQN
from kusari_rl.agents.categorical_dqn import (
    _apply_categorical_projection,
    compute_categorical_target,
    compute_value_loss,
    compute_weighted_value_loss,
)

Z = np.linspace(-1.0, 1.0, 5).astype(np.float32)


def _project_reference(reward, discount, terminal, probs, z):
    """Algorithm 1 of Bellemare et al. 2017, one atom at a time."""
    batch, n = probs.shape
    v_min, v_max = float(z[0]), float(z[-1])
    dz = (v_max - v_min) / (n - 1)
    m = np.zeros((batch, n))
    for i in range(batch):
        for j in range(n):
            tz = min(max(reward[i] + (1 - terminal[i]) * discount[i] * z[j], v_min), v_max)
            b = (tz - v_min) / dz
            lo, up = int(np.floor(b + 1e-9)), int(np.ceil(b - 1e-9))
            if lo >= up:
                m[i, lo] += probs[i, j]
            else:
                m[i, lo] += probs[i, j] * (up - b)
                m[i, up] += probs[i, j] * (b - lo)
    return m


def _dist(link, states):
    with kusari.no_backprop_mode(), kusari.using_config("train", False):
        return link(V.one_hot(states))


# -- projection and target ------------------------------------------------------------------------
def test_projection_matches_algorithm_1():
    rng = np.random.default_rng(0)
    batch, n = 6, 7
    z = np.linspace(-2.0, 3.0, n).astype(np.float32)
    probs = rng.dirichlet(np.ones(n), size=batch).astype(np.float32)
    reward = rng.uniform(-3, 3, batch).astype(np.float32)
    discount = rng.uniform(0.5, 1.0, batch).astype(np.float32)
    terminal = np.array([0, 1, 0, 0, 1, 0], np.float32)
    got = compute_categorical_target(reward, discount, terminal, probs, z)
    expected = _project_reference(reward, discount, terminal, probs, z)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-5)


def test_projection_of_atoms_on_the_grid_keeps_them():
    probs = np.array([[0.1, 0.2, 0.3, 0.4, 0.0]], np.float32)
    np.testing.assert_allclose(_apply_categorical_projection(Z[None], probs, Z), probs, atol=1e-7)


@pytest.mark.parametrize("terminal", [False, True])
def test_c51_target_bootstraps_unless_terminal(terminal):
    # all the next state's mass sits on z = 1; r = 0, discount 0.5 moves it to 0.5 (atom 3);
    # a terminal next state puts everything on r = 0 (atom 2)
    next_probs = np.array([[0, 0, 0, 0, 1]], np.float32)
    target = compute_categorical_target(
        np.zeros(1, np.float32),
        np.full(1, 0.5, np.float32),
        np.array([terminal], np.float32),
        next_probs,
        Z,
    )
    expected = [0, 0, 1, 0, 0] if terminal else [0, 0, 0, 1, 0]
    np.testing.assert_allclose(target, [expected], atol=1e-7)


def test_compute_categorical_target_rejects_bad_shapes():
    with pytest.raises(ValueError, match="compute_categorical_target: expected reward"):
        compute_categorical_target(
            np.zeros(2, np.float32),
            np.zeros(2, np.float32),
            np.zeros(2, np.float32),
            np.zeros((2, 4), np.float32),
            Z,
        )


@pytest.mark.parametrize("agent_class", [CategoricalDQN, CategoricalDoubleDQN])
def test_agent_target_values_match_reference(agent_class):
    V.seed_all(0)
    agent = V.make_agent(agent_class, "categorical")
    for p in agent.model.params():
        p.array[...] += np.random.normal(scale=0.5, size=p.shape).astype(np.float32)
    next_states = [0, 1, 2, 3, 4]
    batch = V.exp_batch([0.0, 0.3, 1.0, 0.0, 0.5], [0.9] * 5, [0, 0, 1, 0, 0], next_states)
    with kusari.no_backprop_mode():
        got = agent._compute_target_values(batch)
    target_av = _dist(agent.target_model, next_states)
    chooser = target_av if agent_class is CategoricalDQN else _dist(agent.model, next_states)
    actions = chooser.q_values.array.argmax(axis=1)
    if agent_class is CategoricalDoubleDQN:
        # the perturbed model disagrees with the target network somewhere
        assert (actions != target_av.q_values.array.argmax(axis=1)).any()
    probs = target_av.q_dist.array[np.arange(5), actions]
    expected = _project_reference(
        batch["reward"], batch["discount"], batch["is_state_terminal"], probs, target_av.z_values
    )
    np.testing.assert_allclose(got, expected, atol=1e-5)


# -- losses ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_accumulator", ["mean", "sum"])
def test_losses_match_numpy(batch_accumulator):
    rng = np.random.default_rng(1)
    eltwise = rng.uniform(0, 2, size=(4, 5)).astype(np.float32)
    w = rng.uniform(0.1, 1, size=4).astype(np.float32)
    div = 4 if batch_accumulator == "mean" else 1
    np.testing.assert_allclose(
        compute_value_loss(eltwise, batch_accumulator).array, eltwise.sum() / div, rtol=1e-5
    )
    np.testing.assert_allclose(
        compute_weighted_value_loss(eltwise, 4, w, batch_accumulator).array,
        (eltwise.sum(axis=1) * w).sum() / div,
        rtol=1e-5,
    )
    with pytest.raises(ValueError, match="batch_accumulator must be 'mean' or 'sum'"):
        compute_value_loss(eltwise, "max")
    with pytest.raises(ValueError, match="eltwise_loss must be"):
        compute_value_loss(eltwise[0])
    with pytest.raises(ValueError, match="one weight per transition"):
        compute_weighted_value_loss(eltwise, 4, w[:3])


def test_update_minimizes_the_cross_entropy_and_reports_it_as_errors():
    V.seed_all(0)
    agent = V.make_agent(CategoricalDQN, "categorical")
    exps = V.experiences([0, 3, 1], [1, 1, 0], [0.0, 1.0, 0.0], [1, 4, 0], [False, True, False])
    y = _dist(agent.model, [0, 3, 1]).q_dist.array[np.arange(3), [1, 1, 0]]
    target_av = _dist(agent.target_model, [1, 4, 0])
    probs = target_av.q_dist.array[np.arange(3), target_av.q_values.array.argmax(axis=1)]
    t = _project_reference([0.0, 1.0, 0.0], [0.9] * 3, [0, 1, 0], probs, target_av.z_values)
    cross_entropy = -(t * np.log(np.clip(y, 1e-10, 1))).sum(axis=1)
    errors = []
    agent.update(exps, errors_out=errors)
    np.testing.assert_allclose(errors, cross_entropy, rtol=1e-4)
    np.testing.assert_allclose(agent.average_loss, 0.01 * cross_entropy.mean(), rtol=1e-4)


def test_prioritized_replay_weights_the_loss(monkeypatch):
    V.seed_all(0)
    rb = replay_buffers.PrioritizedReplayBuffer(100)
    agent = V.make_agent(
        CategoricalDQN, "categorical", replay_buffer=rb, minibatch_size=3, replay_start_size=3
    )
    V.append_transitions(rb, [(0, 1, 0.0, 1, False), (3, 1, 1.0, 4, True), (2, 0, 0.0, 1, False)])
    received = []
    monkeypatch.setattr(rb, "update_errors", received.append)
    exps = rb.sample(3)
    weights = np.array([e[0]["weight"] for e in exps], np.float32)
    errors = []
    captured = {}
    compute = agent._compute_loss
    monkeypatch.setattr(
        agent,
        "_compute_loss",
        lambda batch, errors_out=None: captured.setdefault("loss", compute(batch, errors_out)),
    )
    agent.update(exps, errors_out=errors)
    assert received == [errors]
    np.testing.assert_allclose(
        captured["loss"].array, (weights * np.array(errors)).mean(), rtol=1e-5
    )


# -- learning -------------------------------------------------------------------------------------
@pytest.mark.parametrize("agent_class", [CategoricalDQN, CategoricalDoubleDQN])
def test_learns_chain(agent_class):
    V.seed_all(1)
    agent = V.make_agent(agent_class, "categorical", update_interval=2)
    assert V.greedy_returns(agent, 1) == [0.0]
    V.train_single(agent, 1200)
    assert V.greedy_returns(agent) == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("agent_class", [CategoricalDQN, CategoricalDoubleDQN])
def test_learns_chain_in_a_batch_of_envs(agent_class):
    V.seed_all(2)
    agent = V.make_agent(agent_class, "categorical", update_interval=2)
    assert V.greedy_batch_returns(agent) == [0.0] * 4
    V.train_batch(agent, 400)
    assert V.greedy_batch_returns(agent) == [1.0] * 4


def test_save_load_gives_identical_greedy_actions_and_distributions(tmp_path):
    V.seed_all(0)
    agent = V.make_agent(CategoricalDoubleDQN, "categorical")
    V.train_single(agent, 200)
    agent.save(tmp_path)
    V.seed_all(4)
    other = V.make_agent(CategoricalDoubleDQN, "categorical")
    other.load(tmp_path)
    states = list(range(5))
    np.testing.assert_array_equal(
        _dist(other.model, states).q_dist.array, _dist(agent.model, states).q_dist.array
    )
    assert [other.act(o) for o in V.one_hot(states)] == [agent.act(o) for o in V.one_hot(states)]
