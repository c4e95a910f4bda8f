"""Small training and evaluation loops for the on-policy agent tests (PPO, A2C, TRPO, REINFORCE).

The batch loop feeds the agent the step's own observations (the final ones where an episode
ended), then resets the ended sub-environments with ``reset_mask`` before the next action, as
the experiment loops do. The ``assert_*`` helpers and :func:`feed_truncation_rollout` are the
checks the agent tests share.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _rl_toy_envs import ChainEnv, PointEnv, make_chain_vector_env, make_point_vector_env

import kusari.functions as F
from kusari import optimizers
from kusari_rl import misc, policies, v_functions

# the value targets (or n-step returns with gamma 0.5) of feed_truncation_rollout, time-major
TRUNCATION_TARGETS = [1.5, 10.0, 1.0, 12.5, 3.0, 25.0]


def train_batch(agent: Any, env: Any, steps: int, seed: int = 0) -> None:
    """Run ``steps`` batch steps of training on the vector environment ``env``."""
    obs, _ = env.reset(seed=seed)
    for _ in range(steps):
        actions = agent.batch_act_and_train(obs)
        obs, rewards, terminated, truncated, _ = env.step(actions)
        agent.batch_observe_and_train(obs, rewards, terminated, truncated)
        ended = terminated | truncated
        if ended.any():
            obs, _ = env.reset(options={"reset_mask": ended})


def train_single(agent: Any, env: Any, steps: int, seed: int = 0) -> None:
    """Run ``steps`` steps of single-environment training on ``env``."""
    obs, _ = env.reset(seed=seed)
    reward = 0.0
    for _ in range(steps):
        action = agent.act_and_train(obs, reward)
        obs, reward, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            agent.stop_episode_and_train(obs, reward, terminated)
            obs, _ = env.reset()
            reward = 0.0


def evaluate(agent: Any, env: Any, n_episodes: int, seed: int = 100) -> list[float]:
    """Return the returns of ``n_episodes`` episodes played with ``agent.act``."""
    returns = []
    for k in range(n_episodes):
        obs, _ = env.reset(seed=seed + k)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(agent.act(obs))
            total += float(reward)
            done = terminated or truncated
        agent.stop_episode()
        returns.append(total)
    return returns


def actions_on(agent: Any, states: np.ndarray) -> np.ndarray:
    """The agent's evaluation actions on a batch of states."""
    return np.asarray(agent.batch_act(states))


def chain_policy(n: int = 5) -> Any:
    """A small softmax policy for :class:`ChainEnv`."""
    return policies.FCSoftmaxPolicy(
        n, 2, n_hidden_layers=1, n_hidden_channels=32, nonlinearity=F.tanh, last_wscale=0.01
    )


def point_policy() -> Any:
    """A small Gaussian policy (state-independent variance) for :class:`PointEnv`."""
    return policies.FCGaussianPolicyWithStateIndependentCovariance(
        2, 1, n_hidden_layers=1, n_hidden_channels=32, nonlinearity=F.tanh, var_param_init=-1.0
    )


def small_vf(n: int) -> Any:
    """A small V-function for ``n``-dimensional observations."""
    return v_functions.FCVFunction(n, n_hidden_layers=1, n_hidden_channels=32, nonlinearity=F.tanh)


def adam(link: Any, alpha: float) -> Any:
    """An Adam optimizer set up with ``link``."""
    optimizer = optimizers.Adam(alpha=alpha)
    optimizer.setup(link)
    return optimizer


def obs_rows(*xs: float) -> np.ndarray:
    """A batch of 2-D observations ``[x, 0]``, one per ``x``."""
    return np.array([[x, 0.0] for x in xs], np.float32)


def feed_truncation_rollout(agent: Any) -> None:
    """Feed three steps of two environments whose values are ``V(s) = s[0]``.

    Environment 0 takes a step, a terminated step (its final observation 100 is never used) and
    a step; environment 1 a truncated step (which bootstraps from its final observation 20, not
    the reset one 30) and two steps. With ``gamma = 0.5`` and ``lambda = 1`` the value targets
    are :data:`TRUNCATION_TARGETS`.
    """
    agent.batch_act_and_train(obs_rows(1, 10))
    agent.batch_observe_and_train(obs_rows(2, 20), [1.0, 0.0], [False, False], [False, True])
    agent.batch_act_and_train(obs_rows(2, 30))
    agent.batch_observe_and_train(obs_rows(100, 40), [1.0, 0.0], [True, False], [False, False])
    agent.batch_act_and_train(obs_rows(3, 40))
    agent.batch_observe_and_train(obs_rows(4, 50), [1.0, 0.0], [False, False], [False, False])


def assert_solves_chain(agent: Any, env: Any = None) -> None:
    """Assert that the agent's greedy policy reaches the end of the chain in 3 episodes."""
    agent.act_deterministically = True
    assert evaluate(agent, env or ChainEnv(), 3) == [1.0, 1.0, 1.0]


def assert_learns_chain(agent: Any, steps: int, max_steps: int = 20) -> None:
    """Train ``agent`` for ``steps`` steps of four :class:`ChainEnv` and assert it solves one."""
    train_batch(agent, make_chain_vector_env(4, max_steps=max_steps), steps)
    assert_solves_chain(agent, ChainEnv(max_steps=max_steps))


def assert_learns_point_env(agent: Any) -> None:
    """Train ``agent`` on four :class:`PointEnv` and assert its greedy policy gets close."""
    train_batch(agent, make_point_vector_env(4), 1500)
    agent.act_deterministically = True
    assert np.mean(evaluate(agent, PointEnv(), 10)) > -2.0


def assert_same_sampled_actions(agent: Any, other: Any, seed: int) -> None:
    """Assert that ``agent`` and ``other`` sample the same actions on the chain's states."""
    states = np.eye(5, dtype=np.float32)
    misc.set_random_seed(seed)
    sampled = agent.batch_act(states)
    misc.set_random_seed(seed)
    np.testing.assert_array_equal(other.batch_act(states), sampled)
