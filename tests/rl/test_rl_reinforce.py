import warnings

import numpy as np
import pytest
from _rl_on_policy_loops import (
    adam,
    assert_learns_chain,
    assert_same_sampled_actions,
    assert_solves_chain,
    chain_policy,
    train_single,
)
from _rl_toy_envs import ChainEnv

import kusari
from kusari import optimizers
from kusari_rl import misc
from kusari_rl.agents import REINFORCE
from kusari_rl.agents.reinforce import compute_reinforce_loss, returns_to_go

# REINFORCE learns only from terminated episodes; a short time limit makes failures (truncated,
# thrown away) frequent and successes informative, so the chain is learned in a few seconds
_MAX_STEPS = 8


def _agent(**kwargs):
    policy = chain_policy()
    defaults = dict(batchsize=4)
    defaults.update(kwargs)
    return REINFORCE(policy, adam(policy, 3e-2), **defaults)


@pytest.fixture(autouse=True)
def _quiet_truncation_warnings():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="REINFORCE learns from terminated episodes")
        yield


def test_returns_to_go_matches_hand_computed_values():
    np.testing.assert_allclose(returns_to_go(np.array([1.0, 0.0, 2.0])), [3.0, 2.0, 2.0])
    assert returns_to_go(np.array([1.0])).dtype == np.float32
    with pytest.raises(ValueError, match=r"returns_to_go: rewards must be 1-D \(T,\), got shape"):
        returns_to_go(np.zeros((2, 2)))


def test_compute_reinforce_loss_matches_numpy_reference():
    rng = np.random.default_rng(0)
    log_probs = kusari.Variable(rng.normal(size=7).astype(np.float32))
    entropy = kusari.Variable(rng.random(size=7).astype(np.float32))
    returns = rng.normal(size=7).astype(np.float32)
    loss = compute_reinforce_loss(log_probs, returns, entropy, beta=0.1, batchsize=2)
    expected = -(np.sum(returns * log_probs.array) + 0.1 * entropy.array.sum()) / 2
    np.testing.assert_allclose(loss.array, expected, rtol=1e-5)
    loss.backward()
    np.testing.assert_allclose(log_probs.grad, -returns / 2, rtol=1e-6)
    np.testing.assert_allclose(entropy.grad, np.full(7, -0.05), rtol=1e-6)
    with pytest.raises(ValueError, match=r"returns.shape \(3,\) != log_probs.shape \(7,\)"):
        compute_reinforce_loss(log_probs, returns[:3], None, 0.0, 1)
    with pytest.raises(ValueError, match="entropy is needed when beta != 0"):
        compute_reinforce_loss(log_probs, returns, None, 0.1, 1)


def test_reinforce_learns_chain_env_single_environment():
    misc.set_random_seed(0)
    agent = _agent()
    train_single(agent, ChainEnv(max_steps=_MAX_STEPS), 2400)
    assert_solves_chain(agent, ChainEnv(max_steps=_MAX_STEPS))
    ((name, entropy),) = agent.get_statistics()
    assert name == "average_entropy" and 0 < entropy < np.log(2)


def test_reinforce_learns_chain_env_with_four_vector_envs():
    misc.set_random_seed(1)
    agent = _agent()
    assert_learns_chain(agent, 600, max_steps=_MAX_STEPS)


def test_reinforce_backward_separately_gives_the_same_update():
    updated = []
    for separately in (False, True):
        misc.set_random_seed(2)
        policy = chain_policy(3)
        optimizer = optimizers.SGD(lr=0.1)
        optimizer.setup(policy)
        initial = [p.array.copy() for _, p in sorted(policy.namedparams())]
        agent = REINFORCE(policy, optimizer, beta=0.01, batchsize=3, backward_separately=separately)
        env = ChainEnv(n=3, max_steps=50)
        obs, _ = env.reset(seed=0)
        reward = 0.0
        while optimizer.t == 0:
            obs, reward, terminated, truncated, _ = env.step(agent.act_and_train(obs, reward))
            if terminated or truncated:
                agent.stop_episode_and_train(obs, reward, terminated)
                obs, _ = env.reset()
                reward = 0.0
        updated.append([p.array.copy() for _, p in sorted(policy.namedparams())])
        assert not np.allclose(updated[-1][-1], initial[-1])
    for a, b in zip(*updated, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_reinforce_drops_truncated_episodes():
    agent = _agent(batchsize=1)
    env = ChainEnv(max_steps=2)
    obs, _ = env.reset(seed=0)
    agent.act_and_train(obs, 0.0)
    with pytest.warns(UserWarning, match="an episode that was truncated is thrown away"):
        agent.stop_episode_and_train(obs, 0.0, done=False)
    assert agent.optimizer.t == 0
    agent.act_and_train(obs, 0.0)
    agent.stop_episode_and_train(obs, 1.0, done=True)
    assert agent.optimizer.t == 1


def test_reinforce_save_load_gives_identical_actions(tmp_path):
    misc.set_random_seed(3)
    agent = _agent(batchsize=1)
    train_single(agent, ChainEnv(max_steps=_MAX_STEPS), 50)
    agent.save(tmp_path)
    other = _agent()
    other.load(tmp_path)
    assert_same_sampled_actions(agent, other, seed=4)
    states = np.eye(5, dtype=np.float32)
    with kusari.no_backprop_mode():
        np.testing.assert_array_equal(
            other.model(states).logits.array, agent.model(states).logits.array
        )


def test_reinforce_nan_reward_raises_non_finite_error():
    agent = _agent(batchsize=1)
    obs = np.eye(5, dtype=np.float32)[0]
    agent.act_and_train(obs, 0.0)
    with pytest.raises(misc.NonFiniteError, match="REINFORCE loss at update 1"):
        agent.stop_episode_and_train(obs, np.nan, done=True)


def test_reinforce_rejects_bad_input():
    with pytest.raises(ValueError, match="REINFORCE: batchsize must be >= 1, got 0"):
        _agent(batchsize=0)
    with pytest.raises(ValueError, match=r"REINFORCE: average_entropy_decay must be in \[0, 1\]"):
        _agent(average_entropy_decay=2.0)
    agent = _agent()
    obs = np.eye(5, dtype=np.float32)[:2]
    agent.batch_act_and_train(obs)
    with pytest.raises(RuntimeError, match="call batch_observe_and_train first"):
        agent.batch_act_and_train(obs)
    with pytest.raises(ValueError, match="batch_done has 1 entries, expected one per environment"):
        agent.batch_observe_and_train(obs, [0.0, 0.0], [False], [False, False])
    agent.batch_observe_and_train(obs, [0.0, 0.0], [False, False], [False, False])
    with pytest.raises(RuntimeError, match="no pending action; call batch_act_and_train first"):
        agent.batch_observe_and_train(obs, [0.0, 0.0], [False, False], [False, False])
    with pytest.raises(ValueError, match="got 3 observations while 2 environments have running"):
        agent.batch_act_and_train(np.eye(5, dtype=np.float32)[:3])
