"""Small training and evaluation loops for the on-policy agent tests (PPO, A2C, TRPO, REINFORCE).

The batch loop feeds the agent the step's own observations (the final ones where an episode
ended), then resets the ended sub-environments with ``reset_mask`` before the next action, as
the experiment loops do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import kusari.functions as F
from kusari import optimizers
from kusari_rl import policies, v_functions


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
