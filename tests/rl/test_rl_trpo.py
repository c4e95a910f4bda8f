import numpy as np
import pytest
from _rl_on_policy_loops import (
    TRUNCATION_TARGETS,
    adam,
    assert_learns_chain,
    assert_learns_point_env,
    assert_same_sampled_actions,
    assert_solves_chain,
    chain_policy,
    feed_truncation_rollout,
    point_policy,
    small_vf,
    train_batch,
    train_single,
)
from _rl_toy_envs import ChainEnv, make_chain_vector_env

import kusari
import kusari.functions as F
from kusari_rl import misc
from kusari_rl.agents import TRPO
from kusari_rl.agents.trpo import compute_surrogate_gain, conjugate_gradient
from kusari_rl.distribution import SoftmaxDistribution


def _chain_agent(**kwargs):
    vf = small_vf(5)
    defaults = dict(gamma=0.9, update_interval=128, entropy_coef=0.0, max_kl=0.05)
    defaults.update(kwargs)
    return TRPO(chain_policy(), vf, adam(vf, 1e-2), **defaults)


def test_conjugate_gradient_solves_a_known_spd_system():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(8, 8))
    a = m @ m.T + 8 * np.eye(8)
    b = rng.normal(size=8)
    x = conjugate_gradient(lambda v: a @ v, b, max_iter=8)
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-5)


def test_conjugate_gradient_first_iteration_is_the_exact_line_search_along_b():
    a = np.diag([1.0, 4.0, 9.0])
    b = np.array([1.0, 1.0, 1.0])
    x = conjugate_gradient(lambda v: a @ v, b, max_iter=1)
    np.testing.assert_allclose(x, (b @ b) / (b @ a @ b) * b)


def test_conjugate_gradient_stops_at_zero_residual_and_rejects_bad_input():
    np.testing.assert_array_equal(conjugate_gradient(lambda v: 2 * v, np.zeros(3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"conjugate_gradient: b must be 1-D, got shape \(2, 2\)"):
        conjugate_gradient(lambda v: v, np.ones((2, 2)))
    with pytest.raises(ValueError, match="conjugate_gradient: max_iter must be >= 1, got 0"):
        conjugate_gradient(lambda v: v, np.ones(2), max_iter=0)


def test_compute_surrogate_gain_matches_numpy_reference():
    rng = np.random.default_rng(1)
    log_probs = kusari.Variable((rng.normal(size=10) * 0.3 - 0.7).astype(np.float32))
    log_probs_old = (rng.normal(size=10) * 0.3 - 0.7).astype(np.float32)
    advantages = rng.normal(size=10).astype(np.float32)
    entropy = kusari.Variable(rng.random(size=10).astype(np.float32))
    gain = compute_surrogate_gain(log_probs, log_probs_old, advantages, entropy, 0.1)
    ratio = np.exp(log_probs.array - log_probs_old)
    expected = np.mean(ratio * advantages) + 0.1 * entropy.array.mean()
    np.testing.assert_allclose(gain.array, expected, rtol=1e-5)
    gain.backward()
    np.testing.assert_allclose(log_probs.grad, ratio * advantages / 10, rtol=1e-5)
    with pytest.raises(ValueError, match=r"advantages.shape \(3,\) != log_probs.shape \(10,\)"):
        compute_surrogate_gain(log_probs, log_probs_old, advantages[:3], None, 0.0)


def test_trpo_update_keeps_the_kl_constraint():
    misc.set_random_seed(0)
    agent = _chain_agent(max_kl=0.01, update_interval=64)
    checked = []
    update_policy = agent._update_policy

    def checked_update(states, actions, advantages):
        with kusari.no_backprop_mode():
            before = agent.policy(states).copy()
        update_policy(states, actions, advantages)
        with kusari.no_backprop_mode():
            kl = float(F.mean(before.kl(agent.policy(states))).array)
        checked.append(kl)

    agent._update_policy = checked_update
    train_batch(agent, make_chain_vector_env(4), 64)
    assert len(checked) == 4
    assert all(0 < kl <= 0.01 for kl in checked), checked
    stats = dict(agent.get_statistics())
    assert 0 < stats["average_kl"] <= 0.01
    assert 0 < stats["average_policy_step_size"] <= 1


class _Uniform(kusari.Link):
    def forward(self, x):
        return SoftmaxDistribution(np.zeros((len(x), 2), np.float32))


class _FirstFeature(kusari.Link):
    def forward(self, x):
        return kusari.Variable(x[:, :1])


def test_trpo_truncation_bootstraps_from_final_observation_end_to_end():
    agent = TRPO(
        _Uniform(),
        _FirstFeature(),
        None,
        gamma=0.5,
        lambd=1.0,
        update_interval=6,
        standardize_advantages=False,
    )
    seen = {}
    agent._update_policy = lambda states, actions, advantages: None
    agent._update_vf = lambda states, value_targets: seen.update(targets=value_targets.ravel())
    feed_truncation_rollout(agent)
    np.testing.assert_allclose(seen["targets"], TRUNCATION_TARGETS)


def test_trpo_learns_chain_env_with_four_vector_envs():
    misc.set_random_seed(1)
    agent = _chain_agent()
    assert_learns_chain(agent, 400)


def test_trpo_learns_chain_env_single_environment():
    misc.set_random_seed(2)
    agent = _chain_agent()
    train_single(agent, ChainEnv(), 1600)
    assert_solves_chain(agent)


def test_trpo_learns_point_env():
    misc.set_random_seed(3)
    vf = small_vf(2)
    agent = TRPO(
        point_policy(),
        vf,
        adam(vf, 1e-2),
        gamma=0.9,
        update_interval=256,
        entropy_coef=0.0,
        max_kl=0.02,
        vf_epochs=10,
    )
    assert_learns_point_env(agent)


def test_trpo_save_load_gives_identical_actions(tmp_path):
    misc.set_random_seed(4)
    agent = _chain_agent(update_interval=32, entropy_coef=0.01)
    train_batch(agent, make_chain_vector_env(4), 16)
    agent.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "policy.npz",
        "vf.npz",
        "vf_optimizer.npz",
    ]
    other = _chain_agent()
    other.load(tmp_path)
    assert_same_sampled_actions(agent, other, seed=5)
    states = np.eye(5, dtype=np.float32)
    with kusari.no_backprop_mode():
        np.testing.assert_array_equal(other.vf(states).array, agent.vf(states).array)


def test_trpo_nan_reward_raises_non_finite_error():
    agent = _chain_agent(update_interval=2)
    obs = np.eye(5, dtype=np.float32)[:2]
    agent.batch_act_and_train(obs)
    with pytest.raises(misc.NonFiniteError, match="TRPO surrogate gain at update 1"):
        agent.batch_observe_and_train(obs, [np.nan, 0.0], [False, False], [False, False])


def test_trpo_rejects_bad_input():
    vf = small_vf(5)
    with pytest.raises(ValueError, match=r"TRPO: lambd must be in \[0, 1\], got 2"):
        TRPO(chain_policy(), vf, None, lambd=2)
    with pytest.raises(ValueError, match="TRPO: max_kl must be > 0, got 0"):
        TRPO(chain_policy(), vf, None, max_kl=0)
    with pytest.raises(ValueError, match="TRPO: vf_batch_size must be >= 1, got 0"):
        TRPO(chain_policy(), vf, None, vf_batch_size=0)
    with pytest.raises(NotImplementedError, match="TRPO: recurrent models are not supported"):
        TRPO(chain_policy(), vf, None, recurrent=True)
    agent = _chain_agent()
    with pytest.raises(RuntimeError, match="call batch_act_and_train first"):
        agent.stop_episode_and_train(np.eye(5, dtype=np.float32)[0], 0.0, True)
