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
from kusari import gradient_check
from kusari_rl import links, misc
from kusari_rl.agents import PPO
from kusari_rl.agents.ppo import (
    clipped_surrogate_loss,
    clipped_value_loss,
    compute_gae,
    explained_variance,
)
from kusari_rl.distribution import SoftmaxDistribution


def _gae_reference(rewards, values, next_values, terminated, truncated, gamma, lambd):
    """Per-environment, per-step loops straight from the definition."""
    steps, envs = rewards.shape
    adv = np.zeros((steps, envs))
    for n in range(envs):
        following = 0.0
        for t in reversed(range(steps)):
            bootstrap = 0.0 if terminated[t, n] else gamma * next_values[t, n]
            delta = rewards[t, n] + bootstrap - values[t, n]
            if terminated[t, n] or truncated[t, n]:
                following = 0.0
            following = delta + gamma * lambd * following
            adv[t, n] = following
    return adv


def _chain_agent(**kwargs):
    model = links.Branched(chain_policy(), small_vf(5))
    defaults = dict(gamma=0.9, update_interval=64, minibatch_size=32, epochs=4, entropy_coef=0.0)
    defaults.update(kwargs)
    return PPO(model, adam(model, 3e-3), **defaults)


# -- GAE ----------------------------------------------------------------------------------------
def test_compute_gae_matches_hand_computed_values():
    rewards = np.array([1.0, 0.0, 2.0], np.float32)
    values = np.array([0.5, 1.0, 1.5], np.float32)
    next_values = np.array([1.0, 1.5, 3.0], np.float32)
    flags = np.zeros(3, bool)
    adv = compute_gae(rewards, values, next_values, flags, flags, gamma=0.5, lambd=0.5)
    d2 = 2.0 + 0.5 * 3.0 - 1.5  # 2.0
    d1 = 0.0 + 0.5 * 1.5 - 1.0  # -0.25
    d0 = 1.0 + 0.5 * 1.0 - 0.5  # 1.0
    a2 = d2
    a1 = d1 + 0.25 * a2
    a0 = d0 + 0.25 * a1
    np.testing.assert_allclose(adv, [a0, a1, a2], rtol=1e-6)
    assert adv.dtype == np.float32


def test_compute_gae_matches_reference_over_a_batch_of_environments():
    rng = np.random.default_rng(0)
    shape = (7, 3)
    rewards, values, next_values = (rng.normal(size=shape) for _ in range(3))
    terminated = rng.random(shape) < 0.2
    truncated = (rng.random(shape) < 0.2) & ~terminated
    adv = compute_gae(rewards, values, next_values, terminated, truncated, 0.9, 0.8)
    expected = _gae_reference(rewards, values, next_values, terminated, truncated, 0.9, 0.8)
    np.testing.assert_allclose(adv, expected, rtol=1e-5, atol=1e-6)


def test_compute_gae_truncated_step_bootstraps_and_terminated_does_not():
    rewards = np.array([1.0], np.float32)
    values = np.array([0.5], np.float32)
    next_values = np.array([2.0], np.float32)
    yes, no = np.array([True]), np.array([False])
    truncated = compute_gae(rewards, values, next_values, no, yes, gamma=0.9, lambd=0.95)
    terminated = compute_gae(rewards, values, next_values, yes, no, gamma=0.9, lambd=0.95)
    np.testing.assert_allclose(truncated, [1.0 + 0.9 * 2.0 - 0.5])
    np.testing.assert_allclose(terminated, [1.0 - 0.5])


def test_compute_gae_episode_end_stops_the_recursion():
    # the advantage of step 0 must not see step 1's: the episode was cut in between
    rewards = np.array([0.0, 5.0], np.float32)
    values = np.zeros(2, np.float32)
    next_values = np.array([1.0, 0.0], np.float32)
    truncated = np.array([True, False])
    adv = compute_gae(rewards, values, next_values, np.zeros(2, bool), truncated, 1.0, 1.0)
    np.testing.assert_allclose(adv, [1.0, 5.0])


def test_compute_gae_with_lambda_one_gives_n_step_returns():
    rewards = np.array([1.0, 2.0, 3.0], np.float32)
    values = np.array([0.3, 0.2, 0.1], np.float32)
    next_values = np.array([0.2, 0.1, 10.0], np.float32)
    flags = np.zeros(3, bool)
    adv = compute_gae(rewards, values, next_values, flags, flags, gamma=0.5, lambd=1.0)
    returns = [1 + 0.5 * 2 + 0.25 * 3 + 0.125 * 10, 2 + 0.5 * 3 + 0.25 * 10, 3 + 0.5 * 10]
    np.testing.assert_allclose(adv + values, returns, rtol=1e-6)


def test_compute_gae_rejects_bad_input():
    x = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match=r"compute_gae: values.shape \(2,\) != rewards.shape"):
        compute_gae(x, np.zeros(2), x, x, x, 0.9, 0.9)
    with pytest.raises(ValueError, match=r"compute_gae: gamma must be in \[0, 1\], got 1.5"):
        compute_gae(x, x, x, x, x, 1.5, 0.9)


def test_explained_variance():
    t = np.array([1.0, 2.0, 3.0, 4.0])
    assert explained_variance(t, t) == pytest.approx(1.0)
    assert explained_variance(t, np.full(4, 2.5)) == pytest.approx(0.0)
    assert np.isnan(explained_variance(np.ones(3), np.zeros(3)))


# -- losses -------------------------------------------------------------------------------------
def test_clipped_surrogate_loss_matches_numpy_reference():
    rng = np.random.default_rng(1)
    log_probs = (rng.normal(size=50) * 0.3 - 0.7).astype(np.float32)
    log_probs_old = (rng.normal(size=50) * 0.3 - 0.7).astype(np.float32)
    advantages = rng.normal(size=50).astype(np.float32)
    x = kusari.Variable(log_probs)
    loss = clipped_surrogate_loss(x, log_probs_old, advantages, 0.2)
    loss.backward()

    ratio = np.exp(log_probs.astype(np.float64) - log_probs_old)
    unclipped = ratio * advantages
    clipped = np.clip(ratio, 0.8, 1.2) * advantages
    np.testing.assert_allclose(loss.array, -np.minimum(unclipped, clipped).mean(), rtol=1e-5)
    expected_grad = np.where(unclipped <= clipped, -unclipped / 50, 0.0)
    np.testing.assert_allclose(x.grad, expected_grad, rtol=1e-4, atol=1e-7)
    assert 0 < np.count_nonzero(x.grad == 0) < 50  # some samples are clipped, some are not


def test_clipped_surrogate_loss_gradients_are_numerically_right():
    rng = np.random.default_rng(2)
    log_probs = rng.normal(size=20) * 0.3 - 0.7
    log_probs_old = rng.normal(size=20) * 0.3 - 0.7
    advantages = rng.normal(size=20)

    def loss(x):
        return clipped_surrogate_loss(x, log_probs_old, advantages, 0.2)

    gradient_check.check_backward(loss, log_probs, np.array(1.0), eps=1e-6)
    gradient_check.check_double_backward(
        loss, log_probs, np.array(1.0), rng.normal(size=20), eps=1e-6
    )


def test_clipped_value_loss_matches_numpy_reference():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(30, 1)).astype(np.float32)
    values_old = (values + rng.normal(size=(30, 1)) * 0.5).astype(np.float32)
    targets = rng.normal(size=(30, 1)).astype(np.float32)
    plain = clipped_value_loss(kusari.Variable(values), values_old, targets, None)
    np.testing.assert_allclose(plain.array, np.mean((values - targets) ** 2), rtol=1e-5)
    clipped = clipped_value_loss(kusari.Variable(values), values_old, targets, 0.2)
    v_clip = values_old + np.clip(values - values_old, -0.2, 0.2)
    expected = np.mean(np.maximum((values - targets) ** 2, (v_clip - targets) ** 2))
    np.testing.assert_allclose(clipped.array, expected, rtol=1e-5)


def test_losses_reject_bad_input():
    x = kusari.Variable(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match=r"clipped_surrogate_loss: advantages.shape \(4,\)"):
        clipped_surrogate_loss(x, np.zeros(3, np.float32), np.zeros(4, np.float32), 0.2)
    with pytest.raises(ValueError, match="clipped_surrogate_loss: clip_eps must be > 0, got 0"):
        clipped_surrogate_loss(x, np.zeros(3, np.float32), np.zeros(3, np.float32), 0)
    with pytest.raises(ValueError, match="clipped_value_loss: clip_eps_vf must be > 0"):
        clipped_value_loss(x, np.zeros(3, np.float32), np.zeros(3, np.float32), -1.0)


# -- the agent ----------------------------------------------------------------------------------
class _FirstFeatureValue(kusari.Link):
    """Uniform policy, ``V(s) = s[0]``: value targets can be computed by hand."""

    def forward(self, x):
        logits = np.zeros((len(x), 2), np.float32)
        return SoftmaxDistribution(logits), kusari.Variable(x[:, :1])


def test_ppo_truncation_bootstraps_from_final_observation_end_to_end():
    agent = PPO(
        _FirstFeatureValue(),
        None,
        gamma=0.5,
        lambd=1.0,
        update_interval=6,
        epochs=1,
        minibatch_size=6,
        standardize_advantages=False,
    )
    seen = {}

    def record(states, actions, log_probs_old, values_old, advantages, value_targets):
        seen["targets"] = value_targets.ravel().copy()
        seen["values"] = values_old.ravel().copy()

    agent._update_minibatch = record
    feed_truncation_rollout(agent)
    # time-major: (t0 env0, t0 env1, t1 env0, ...)
    np.testing.assert_allclose(seen["values"], [1, 10, 2, 30, 3, 40])
    np.testing.assert_allclose(seen["targets"], TRUNCATION_TARGETS)


def test_ppo_learns_chain_env_single_environment():
    misc.set_random_seed(0)
    agent = _chain_agent()
    train_single(agent, ChainEnv(), 2000)
    assert_solves_chain(agent)


def test_ppo_learns_chain_env_with_four_vector_envs():
    misc.set_random_seed(1)
    agent = _chain_agent()
    assert_learns_chain(agent, 500)
    stats = dict(agent.get_statistics())
    assert list(stats) == [
        "average_value",
        "average_entropy",
        "average_value_loss",
        "average_policy_loss",
        "n_updates",
        "explained_variance",
    ]
    assert stats["n_updates"] == agent.optimizer.t > 0
    assert 0.0 < stats["average_value"] <= 1.0


def test_ppo_learns_point_env():
    misc.set_random_seed(2)
    model = links.Branched(point_policy(), small_vf(2))
    agent = PPO(
        model,
        adam(model, 3e-3),
        gamma=0.9,
        update_interval=128,
        minibatch_size=64,
        epochs=8,
        entropy_coef=0.0,
        clip_eps_vf=1.0,
    )
    assert_learns_point_env(agent)


def test_ppo_with_obs_normalizer_learns_chain_env_and_saves_it(tmp_path):
    misc.set_random_seed(3)
    normalizer = links.EmpiricalNormalization(5)
    agent = _chain_agent(obs_normalizer=normalizer)
    assert_learns_chain(agent, 500)
    agent.save(tmp_path)
    other = _chain_agent(obs_normalizer=links.EmpiricalNormalization(5))
    other.load(tmp_path)
    np.testing.assert_allclose(other.obs_normalizer.mean, normalizer.mean)


def test_ppo_save_load_gives_identical_actions(tmp_path):
    misc.set_random_seed(4)
    agent = _chain_agent()
    train_batch(agent, make_chain_vector_env(4), 40)
    agent.save(tmp_path / "agent")
    assert sorted(p.name for p in (tmp_path / "agent").iterdir()) == [
        "model.npz",
        "optimizer.npz",
    ]
    misc.set_random_seed(5)
    other = _chain_agent()
    other.load(tmp_path / "agent")
    assert_same_sampled_actions(agent, other, seed=6)
    states = np.eye(5, dtype=np.float32)
    with kusari.no_backprop_mode():
        np.testing.assert_array_equal(
            other.model(states)[0].all_prob.array, agent.model(states)[0].all_prob.array
        )
    assert other.optimizer.t == agent.optimizer.t


def test_ppo_nan_reward_raises_non_finite_error():
    agent = _chain_agent(update_interval=8)
    env = make_chain_vector_env(4)
    obs, _ = env.reset(seed=0)
    agent.batch_act_and_train(obs)
    agent.batch_observe_and_train(obs, [0.0] * 4, [False] * 4, [False] * 4)
    agent.batch_act_and_train(obs)
    with pytest.raises(misc.NonFiniteError, match="PPO loss at update 1"):
        agent.batch_observe_and_train(obs, [np.nan, 0.0, 0.0, 0.0], [False] * 4, [False] * 4)


def test_ppo_rejects_bad_input():
    model = links.Branched(chain_policy(), small_vf(5))
    with pytest.raises(ValueError, match=r"PPO: gamma must be in \[0, 1\], got 1.5"):
        PPO(model, None, gamma=1.5)
    with pytest.raises(ValueError, match="PPO: update_interval must be >= 1, got 0"):
        PPO(model, None, update_interval=0)
    with pytest.raises(TypeError, match="PPO: epochs must be an int, got float"):
        PPO(model, None, epochs=2.0)
    with pytest.raises(ValueError, match="PPO: clip_eps must be > 0, got -0.1"):
        PPO(model, None, clip_eps=-0.1)
    with pytest.raises(NotImplementedError, match="PPO: recurrent models are not supported"):
        PPO(model, None, recurrent=True)
    agent = PPO(model, adam(model, 1e-3))
    obs = np.eye(5, dtype=np.float32)[:2]
    with pytest.raises(RuntimeError, match="call batch_act_and_train first"):
        agent.batch_observe_and_train(obs, [0.0, 0.0], [False, False], [False, False])
    agent.batch_act_and_train(obs)
    with pytest.raises(ValueError, match="batch_reward has 3 entries, expected one per"):
        agent.batch_observe_and_train(obs, [0.0] * 3, [False] * 2, [False] * 2)


def test_ppo_entropy_bonus_and_deterministic_eval_run():
    misc.set_random_seed(7)
    agent = _chain_agent(entropy_coef=0.01, value_func_coef=0.5, update_interval=16)
    train_batch(agent, make_chain_vector_env(2), 40)
    # 80 transitions, 16 per update: 5 updates of 4 epochs of one minibatch
    assert agent.optimizer.t == 5 * 4
    entropy = dict(agent.get_statistics())["average_entropy"]
    assert 0.0 < entropy <= np.log(2) + 1e-6
    with kusari.no_backprop_mode():
        greedy = np.argmax(agent.model(np.eye(5, dtype=np.float32))[0].logits.array, axis=1)
    agent.act_deterministically = True
    np.testing.assert_array_equal(agent.batch_act(np.eye(5, dtype=np.float32)), greedy)
