import numpy as np
import pytest
from _rl_on_policy_loops import (
    TRUNCATION_TARGETS,
    adam,
    assert_learns_chain,
    assert_same_sampled_actions,
    chain_policy,
    feed_truncation_rollout,
    small_vf,
    train_batch,
)
from _rl_toy_envs import make_chain_vector_env

import kusari
from kusari import optimizers
from kusari_rl import links, misc
from kusari_rl.agents import A2C
from kusari_rl.agents import a2c as a2c_module
from kusari_rl.agents.a2c import A2CSeparateModel, compute_a2c_loss
from kusari_rl.distribution import SoftmaxDistribution


def _chain_agent(num_envs=4, model=None, **kwargs):
    model = model or links.Branched(chain_policy(), small_vf(5))
    defaults = dict(update_steps=5, entropy_coeff=0.0)
    defaults.update(kwargs)
    return A2C(model, adam(model, 1e-2), 0.9, num_envs, **defaults)


def test_compute_a2c_loss_matches_numpy_reference():
    rng = np.random.default_rng(0)
    log_probs = kusari.Variable(rng.normal(size=(6, 1)).astype(np.float32))
    values = kusari.Variable(rng.normal(size=(6, 1)).astype(np.float32))
    entropy = kusari.Variable(rng.random(size=(6, 1)).astype(np.float32))
    returns = rng.normal(size=(6, 1)).astype(np.float32)
    loss, policy_loss, value_loss = compute_a2c_loss(
        log_probs, values, entropy, returns, pi_loss_coef=1.0, v_loss_coef=0.5, entropy_coeff=0.1
    )
    adv = returns - values.array
    np.testing.assert_allclose(policy_loss.array, -np.mean(adv * log_probs.array), rtol=1e-5)
    np.testing.assert_allclose(value_loss.array, np.mean(adv**2), rtol=1e-5)
    expected = -np.mean(adv * log_probs.array) + 0.5 * np.mean(adv**2) - 0.1 * entropy.array.mean()
    np.testing.assert_allclose(loss.array, expected, rtol=1e-5)
    loss.backward()
    # no gradient flows into the value function through the policy term
    np.testing.assert_allclose(values.grad, -0.5 * 2 * adv / 6, rtol=1e-5)
    np.testing.assert_allclose(log_probs.grad, -adv / 6, rtol=1e-5)
    np.testing.assert_allclose(entropy.grad, np.full((6, 1), -0.1 / 6), rtol=1e-5)


def test_compute_a2c_loss_rejects_bad_input():
    x = kusari.Variable(np.zeros((3, 1), np.float32))
    with pytest.raises(ValueError, match=r"compute_a2c_loss: returns.shape \(3,\) != log_probs"):
        compute_a2c_loss(x, x, None, np.zeros(3, np.float32), 1.0, 0.5, 0.0)
    with pytest.raises(ValueError, match="entropy is needed when entropy_coeff > 0"):
        compute_a2c_loss(x, x, None, np.zeros((3, 1), np.float32), 1.0, 0.5, 0.1)


class _FirstFeatureValue(kusari.Link):
    """Uniform policy, ``V(s) = scale * s[0]`` with ``scale = 1``: returns computable by hand."""

    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.scale = kusari.Parameter(np.ones(1, np.float32))

    def forward(self, x):
        return SoftmaxDistribution(np.zeros((len(x), 2), np.float32)), x[:, :1] * self.scale


@pytest.mark.parametrize("use_gae", [False, True])
def test_a2c_truncation_bootstraps_from_final_observation_end_to_end(monkeypatch, use_gae):
    model = _FirstFeatureValue()
    optimizer = optimizers.SGD(lr=0.0)
    optimizer.setup(model)
    agent = A2C(model, optimizer, 0.5, 2, update_steps=3, use_gae=use_gae, tau=1.0)
    seen = {}

    def spy(log_probs, values, entropy, returns, *args):
        seen["returns"] = returns.ravel().copy()
        return compute_a2c_loss(log_probs, values, entropy, returns, *args)

    monkeypatch.setattr(a2c_module, "compute_a2c_loss", spy)
    feed_truncation_rollout(agent)
    np.testing.assert_allclose(seen["returns"], TRUNCATION_TARGETS)
    assert optimizer.t == 1


def test_a2c_learns_chain_env_with_four_vector_envs():
    misc.set_random_seed(0)
    agent = _chain_agent()
    assert_learns_chain(agent, 600)
    stats = dict(agent.get_statistics())
    assert list(stats) == ["average_actor", "average_value", "average_entropy"]
    assert agent.optimizer.t == 600 // 5
    assert stats["average_entropy"] > 0


def test_a2c_with_gae_and_separate_model_learns_chain_env():
    misc.set_random_seed(1)
    model = A2CSeparateModel(chain_policy(), small_vf(5))
    agent = _chain_agent(model=model, use_gae=True, tau=0.9, entropy_coeff=0.01)
    assert_learns_chain(agent, 600)


def test_a2c_save_load_gives_identical_actions(tmp_path):
    misc.set_random_seed(2)
    agent = _chain_agent()
    train_batch(agent, make_chain_vector_env(4), 20)
    agent.save(tmp_path)
    other = _chain_agent()
    other.load(tmp_path)
    assert_same_sampled_actions(agent, other, seed=3)
    states = np.eye(5, dtype=np.float32)
    agent.act_deterministically = other.act_deterministically = True
    np.testing.assert_array_equal(other.batch_act(states), agent.batch_act(states))
    assert other.act(states[0]) == agent.act(states[0])


def test_a2c_nan_reward_raises_non_finite_error():
    agent = _chain_agent(num_envs=2, update_steps=1)
    obs = np.eye(5, dtype=np.float32)[:2]
    agent.batch_act_and_train(obs)
    with pytest.raises(misc.NonFiniteError, match="A2C loss at update 1"):
        agent.batch_observe_and_train(obs, [np.nan, 0.0], [False, False], [False, False])


def test_a2c_rejects_bad_input():
    model = links.Branched(chain_policy(), small_vf(5))
    with pytest.raises(ValueError, match=r"A2C: gamma must be in \[0, 1\], got -0.1"):
        A2C(model, None, -0.1, 4)
    with pytest.raises(ValueError, match="A2C: update_steps must be >= 1, got 0"):
        A2C(model, None, 0.9, 4, update_steps=0)
    with pytest.raises(TypeError, match="A2C: num_processes must be an int, got str"):
        A2C(model, None, 0.9, "4")
    agent = A2C(model, adam(model, 1e-3), 0.9, 4)
    obs = np.eye(5, dtype=np.float32)[:3]
    with pytest.raises(ValueError, match=r"got 3 observations, expected num_processes \(4\)"):
        agent.batch_act_and_train(obs)
    with pytest.raises(RuntimeError, match="A2C does not support non-batch training"):
        agent.act_and_train(obs[0], 0.0)
    with pytest.raises(RuntimeError, match="A2C does not support non-batch training"):
        agent.stop_episode_and_train(obs[0], 0.0, True)
    with pytest.raises(RuntimeError, match="call batch_act_and_train"):
        agent.batch_observe_and_train(np.eye(5)[:4], [0.0] * 4, [False] * 4, [False] * 4)
