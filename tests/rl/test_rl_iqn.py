import _rl_value_agents as V
import numpy as np
import pytest

import kusari
from kusari_rl import replay_buffers
from kusari_rl.agents import IQN
from kusari_rl.agents.iqn import (
    CosineBasisLinear,
    compute_eltwise_huber_quantile_loss,
    compute_quantile_target,
    cosine_basis_functions,
)


def _quantile_huber_reference(y, t, taus, kappa):
    batch, n = y.shape
    out = np.zeros((batch, n, t.shape[1]))
    grad = np.zeros((batch, n))
    for i in range(batch):
        for j in range(n):
            for k in range(t.shape[1]):
                u = t[i, k] - y[i, j]
                huber = 0.5 * u * u if abs(u) <= kappa else kappa * (abs(u) - 0.5 * kappa)
                # an underestimate (u > 0) weighs tau, an overestimate 1 - tau (Dabney et al.)
                weight = taus[i, j] if u > 0 else 1.0 - taus[i, j]
                out[i, j, k] = weight * huber
                grad[i, j] -= weight * np.clip(u, -kappa, kappa)
    return out, grad


# -- pieces ---------------------------------------------------------------------------------------
def test_cosine_basis_functions_match_numpy():
    x = np.random.default_rng(0).uniform(size=(3, 4)).astype(np.float32)
    got = cosine_basis_functions(x, n_basis_functions=6)
    assert got.shape == (3, 4, 6) and got.dtype == np.float32
    expected = np.cos(x[..., None] * np.pi * np.arange(1, 7))
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_cosine_basis_linear_is_a_linear_layer_on_the_embedding():
    V.seed_all(0)
    link = CosineBasisLinear(6, 3)
    taus = np.random.uniform(size=(2, 5)).astype(np.float32)
    out = link(taus)
    assert out.shape == (2, 5, 3)
    emb = np.cos(taus[..., None] * np.pi * np.arange(1, 7))
    expected = emb @ link.linear.W.array.T + link.linear.b.array
    np.testing.assert_allclose(out.array, expected, atol=1e-5)
    with pytest.raises(ValueError, match="CosineBasisLinear: out_size must be a positive int"):
        CosineBasisLinear(6, 0)


def test_implicit_quantile_q_function_shapes_and_bad_taus():
    V.seed_all(0)
    q_func = V.make_q_function("iqn")
    tau2av = q_func(V.one_hot([0, 1, 2]))
    av = tau2av(np.random.uniform(size=(3, 7)).astype(np.float32))
    assert av.quantiles.shape == (3, 7, 2)
    np.testing.assert_allclose(av.q_values.array, av.quantiles.array.mean(axis=1), rtol=1e-6)
    with pytest.raises(ValueError, match=r"taus must be \(B, n_taus\) with B = 3, got shape"):
        tau2av(np.zeros((2, 7), np.float32))


@pytest.mark.parametrize("kappa", [0.5, 1.0])
def test_quantile_huber_loss_matches_reference_and_gradient(kappa):
    rng = np.random.default_rng(1)
    y = rng.normal(size=(2, 3)).astype(np.float32)
    t = rng.normal(size=(2, 4)).astype(np.float32)
    taus = rng.uniform(size=(2, 3)).astype(np.float32)
    y_var = kusari.Variable(y)
    loss = compute_eltwise_huber_quantile_loss(y_var, t, taus, huber_loss_threshold=kappa)
    expected, grad = _quantile_huber_reference(y, t, taus, kappa)
    assert loss.shape == (2, 3, 4)
    np.testing.assert_allclose(loss.array, expected, rtol=1e-5, atol=1e-6)
    kusari.functions.sum(loss).backward()
    np.testing.assert_allclose(y_var.grad, grad, rtol=1e-5, atol=1e-6)


def test_quantile_huber_loss_rejects_bad_input():
    y = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="huber_loss_threshold must be > 0, got 0"):
        compute_eltwise_huber_quantile_loss(y, y, y, huber_loss_threshold=0)
    with pytest.raises(ValueError, match=r"expected y \(B, N\), t \(B, N'\) and taus \(B, N\)"):
        compute_eltwise_huber_quantile_loss(y, y, np.zeros((2, 2), np.float32))


@pytest.mark.parametrize("terminal", [False, True])
def test_quantile_target_bootstraps_unless_terminal(terminal):
    next_quantiles = np.array([[1.0, 2.0, 4.0]], np.float32)
    target = compute_quantile_target(
        np.full(1, 0.5, np.float32),
        np.full(1, 0.9, np.float32),
        np.array([terminal], np.float32),
        next_quantiles,
    )
    expected = [0.5] * 3 if terminal else 0.5 + 0.9 * next_quantiles[0]
    np.testing.assert_allclose(target, [expected], rtol=1e-6)
    with pytest.raises(ValueError, match="compute_quantile_target: expected"):
        compute_quantile_target(
            np.zeros(2, np.float32),
            np.zeros(2, np.float32),
            np.zeros(2, np.float32),
            next_quantiles,
        )


def test_iqn_target_values_match_reference():
    V.seed_all(0)
    agent = V.make_agent(
        IQN, "iqn", quantile_thresholds_N=5, quantile_thresholds_N_prime=6, quantile_thresholds_K=7
    )
    batch = V.exp_batch([0.0, 1.0, 0.5], [0.9, 0.9, 0.81], [0, 1, 0], [1, 4, 2])
    V.seed_all(3)
    with kusari.no_backprop_mode():
        got = agent._compute_target_values(batch)
    V.seed_all(3)
    taus_tilde = np.random.uniform(0, 1, (3, 7)).astype(np.float32)
    taus_prime = np.random.uniform(0, 1, (3, 6)).astype(np.float32)
    with kusari.no_backprop_mode():
        tau2av = agent.target_model(batch["next_state"])
        greedy = tau2av(taus_tilde).quantiles.array.mean(axis=1).argmax(axis=1)
        z = tau2av(taus_prime).quantiles.array[np.arange(3), :, greedy]
    expected = (
        batch["reward"][:, None]
        + (batch["discount"] * (1 - batch["is_state_terminal"]))[:, None] * z
    )
    assert got.shape == (3, 6)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got[1], 1.0)


# -- update ---------------------------------------------------------------------------------------
def test_update_loss_and_errors_match_the_quantile_huber_loss(monkeypatch):
    V.seed_all(0)
    agent = V.make_agent(
        IQN, "iqn", quantile_thresholds_N=4, quantile_thresholds_N_prime=5, quantile_thresholds_K=3
    )
    exps = V.experiences([0, 3], [1, 1], [0.0, 1.0], [1, 4], [False, True])
    captured = {}
    target = agent._compute_target_values
    monkeypatch.setattr(
        agent, "_compute_target_values", lambda batch: captured.setdefault("t", target(batch))
    )
    y_and_taus = agent._compute_y_and_taus
    monkeypatch.setattr(
        agent, "_compute_y_and_taus", lambda batch: captured.setdefault("y", y_and_taus(batch))
    )
    errors = []
    agent.update(exps, errors_out=errors)
    y, taus = captured["y"]
    eltwise, _ = _quantile_huber_reference(y.array, captured["t"], taus, 1.0)
    np.testing.assert_allclose(errors, np.abs(eltwise).mean(axis=(1, 2)), rtol=1e-5)
    # 'mean': mean over the batch and the targets, sum over the fractions
    np.testing.assert_allclose(
        agent.average_loss, 0.01 * eltwise.mean(axis=(0, 2)).sum(), rtol=1e-5
    )
    np.testing.assert_array_equal(captured["t"][1], 1.0)


def test_prioritized_replay_weights_the_loss(monkeypatch):
    V.seed_all(0)
    rb = replay_buffers.PrioritizedReplayBuffer(100)
    agent = V.make_agent(
        IQN,
        "iqn",
        replay_buffer=rb,
        minibatch_size=3,
        replay_start_size=3,
        quantile_thresholds_N=4,
        quantile_thresholds_N_prime=5,
    )
    V.append_transitions(rb, [(0, 1, 0.0, 1, False), (3, 1, 1.0, 4, True), (2, 0, 0.0, 1, False)])
    received = []
    monkeypatch.setattr(rb, "update_errors", received.append)
    exps = rb.sample(3)
    weights = np.array([e[0]["weight"] for e in exps], np.float32)
    captured = {}
    compute = agent._compute_loss
    monkeypatch.setattr(
        agent,
        "_compute_loss",
        lambda batch, errors_out=None: captured.setdefault("loss", compute(batch, errors_out)),
    )
    errors = []
    agent.update(exps, errors_out=errors)
    assert received == [errors] and len(errors) == 3
    # each transition's loss is its mean |eltwise| times N (the sum over the N fractions)
    np.testing.assert_allclose(
        captured["loss"].array, (weights * np.array(errors) * 4).mean(), rtol=1e-5
    )


# -- learning -------------------------------------------------------------------------------------
def test_iqn_learns_chain():
    V.seed_all(1)
    agent = V.make_agent(
        IQN,
        "iqn",
        update_interval=2,
        quantile_thresholds_N=8,
        quantile_thresholds_N_prime=8,
        quantile_thresholds_K=8,
    )
    assert V.greedy_returns(agent, 1) == [0.0]
    V.train_single(agent, 1200)
    assert V.greedy_returns(agent) == [1.0, 1.0, 1.0]


def test_iqn_learns_chain_in_a_batch_of_envs():
    V.seed_all(2)
    agent = V.make_agent(
        IQN,
        "iqn",
        update_interval=2,
        quantile_thresholds_N=8,
        quantile_thresholds_N_prime=8,
        quantile_thresholds_K=8,
    )
    assert V.greedy_batch_returns(agent) == [0.0] * 4
    V.train_batch(agent, 400)
    assert V.greedy_batch_returns(agent) == [1.0] * 4


def test_save_load_gives_identical_greedy_actions_and_quantiles(tmp_path):
    V.seed_all(0)
    agent = V.make_agent(IQN, "iqn", quantile_thresholds_N=8, quantile_thresholds_N_prime=8)
    V.train_single(agent, 200)
    agent.save(tmp_path)
    V.seed_all(6)
    other = V.make_agent(IQN, "iqn")
    other.load(tmp_path)
    obs = V.one_hot(list(range(5)))
    taus = np.random.uniform(size=(5, 9)).astype(np.float32)
    with kusari.no_backprop_mode():
        np.testing.assert_array_equal(
            other.model(obs)(taus).quantiles.array, agent.model(obs)(taus).quantiles.array
        )
    V.seed_all(7)
    actions = [agent.act(o) for o in obs]
    V.seed_all(7)
    assert [other.act(o) for o in obs] == actions


def test_bad_number_of_quantiles_raises():
    with pytest.raises(ValueError, match="IQN: quantile_thresholds_K must be a positive int"):
        V.make_agent(IQN, "iqn", quantile_thresholds_K=0)
