"""Shared helpers of the value-agent tests (DQN family, IQN): models, training loops, batches.

The environment-generic loops (:func:`train_in`, :func:`train_batch_in`, :func:`episode_returns`)
also serve the continuous agents' tests (``_rl_continuous``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _rl_toy_envs import ChainEnv, make_chain_vector_env

import kusari
import kusari.functions as F
import kusari.links as L
from kusari_rl import explorers, misc, q_functions, replay_buffers
from kusari_rl.agents.iqn import CosineBasisLinear, ImplicitQuantileQFunction
from kusari_rl.links.sequence import Sequence

N_CHAIN = 5


def make_q_function(kind: str, n_obs: int = N_CHAIN, n_actions: int = 2) -> kusari.Link:
    """A small Q-function of the kind an agent needs: 'dqn', 'table', 'categorical' or 'iqn'.

    'table' is linear without bias, so on one-hot states ``Q(s, a) = W[a, s]``.
    """
    if kind == "table":
        return q_functions.SingleModelStateQFunctionWithDiscreteAction(
            L.Linear(n_obs, n_actions, nobias=True)
        )
    if kind == "dqn":
        return q_functions.FCStateQFunctionWithDiscreteAction(n_obs, n_actions, 32, 1)
    if kind == "categorical":
        return q_functions.DistributionalFCStateQFunctionWithDiscreteAction(
            n_obs, n_actions, 11, -0.2, 1.2, 32, 1
        )
    return ImplicitQuantileQFunction(
        psi=Sequence(L.Linear(n_obs, 32), F.relu),
        phi=Sequence(CosineBasisLinear(16, 32), F.relu),
        f=L.Linear(32, n_actions),
    )


def make_agent(agent_class: type, kind: str, replay_buffer: Any = None, **kwargs: Any) -> Any:
    """An agent with Adam, a linearly decaying epsilon-greedy explorer and settings for ChainEnv."""
    q_func = make_q_function(kind)
    optimizer = kusari.optimizers.Adam(alpha=kwargs.pop("lr", 1e-2))
    optimizer.setup(q_func)
    explorer = explorers.LinearDecayEpsilonGreedy(1.0, 0.1, 1000, lambda: int(np.random.randint(2)))
    settings = {
        "replay_start_size": 100,
        "minibatch_size": 16,
        "target_update_interval": 100,
    }
    settings.update(kwargs)
    if replay_buffer is None:
        replay_buffer = replay_buffers.ReplayBuffer(10_000)
    return agent_class(q_func, optimizer, replay_buffer, 0.9, explorer, **settings)


def train_in(agent: Any, env: Any, steps: int, seed: int = 0) -> None:
    """Train in ``env`` for ``steps`` steps (terminated -> done, truncated -> not done)."""
    obs, _ = env.reset(seed=seed)
    reward = 0.0
    for _ in range(steps):
        obs, reward, terminated, truncated, _ = env.step(agent.act_and_train(obs, reward))
        if terminated or truncated:
            agent.stop_episode_and_train(obs, reward, terminated)
            obs, _ = env.reset()
            reward = 0.0


def train_single(agent: Any, steps: int, seed: int = 0) -> None:
    """Train on one ChainEnv for ``steps`` steps."""
    train_in(agent, ChainEnv(), steps, seed)


def train_batch_in(agent: Any, env: Any, steps: int, seed: int = 0) -> None:
    """Train in the vector environment ``env`` for ``steps`` vector steps, then close it.

    ``batch_done`` is gymnasium's ``terminated`` and ``batch_reset`` its ``truncated``.
    Environments whose episode ended are reset right away (``reset_mask``, not gymnasium's
    autoreset at the next step), so the observation given to the next ``batch_act_and_train``
    is the first one of the new episode.
    """
    obs, _ = env.reset(seed=seed)
    for _ in range(steps):
        actions = agent.batch_act_and_train(list(obs))
        obs, rewards, terminated, truncated, _ = env.step(np.asarray(actions))
        agent.batch_observe_and_train(list(obs), rewards, terminated, truncated)
        ended = terminated | truncated
        if ended.any():
            obs, _ = env.reset(options={"reset_mask": ended})
    env.close()


def train_batch(agent: Any, steps: int, num_envs: int = 4, seed: int = 0) -> None:
    """Train on ``make_chain_vector_env(num_envs)`` for ``steps`` vector steps."""
    train_batch_in(agent, make_chain_vector_env(num_envs), steps, seed)


def episode_returns(agent: Any, env: Any, seeds: range) -> list[float]:
    """Returns of ``agent.act`` in ``env``, one episode per reset seed."""
    returns = []
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(agent.act(obs))
            total += reward
            done = terminated or truncated
        agent.stop_episode()
        returns.append(total)
    return returns


def greedy_returns(agent: Any, n_episodes: int = 3) -> list[float]:
    """Returns of ``n_episodes`` greedy episodes of ChainEnv."""
    return episode_returns(agent, ChainEnv(), range(100, 100 + n_episodes))


def greedy_batch_returns(agent: Any, num_envs: int = 4) -> list[float]:
    """Returns of one greedy episode in each of ``num_envs`` ChainEnvs, acted as a batch."""
    env = make_chain_vector_env(num_envs)
    obs, _ = env.reset(seed=200)
    totals = np.zeros(num_envs)
    running = np.ones(num_envs, dtype=bool)
    while running.any():
        actions = agent.batch_act(list(obs))
        obs, rewards, terminated, truncated, _ = env.step(np.asarray(actions))
        agent.batch_observe(list(obs), rewards, terminated, truncated)
        totals += np.where(running, rewards, 0.0)
        running &= ~(terminated | truncated)
    env.close()
    return totals.tolist()


def one_hot(positions: list[int], n: int = N_CHAIN) -> np.ndarray:
    """One-hot ChainEnv observations ``(len(positions), n)``."""
    return np.eye(n, dtype=np.float32)[positions]


def experiences(
    states: list[int],
    actions: list[int],
    rewards: list[float],
    next_states: list[int],
    terminals: list[bool],
    weights: list[float] | None = None,
) -> list[list[dict]]:
    """One-step experiences (as sampled from a replay buffer) of ChainEnv positions."""
    out = []
    for i, (s, a, r, s2, d) in enumerate(
        zip(states, actions, rewards, next_states, terminals, strict=True)
    ):
        transition = {
            "state": one_hot([s])[0],
            "action": a,
            "reward": r,
            "next_state": one_hot([s2])[0],
            "next_action": None,
            "is_state_terminal": d,
        }
        if weights is not None:
            transition["weight"] = weights[i]
        out.append([transition])
    return out


def append_transitions(replay_buffer: Any, transitions: list[tuple]) -> None:
    """Append ``(s, a, r, s', terminal)`` ChainEnv transitions (positions) to a buffer."""
    for s, a, r, s2, d in transitions:
        replay_buffer.append(
            state=one_hot([s])[0],
            action=a,
            reward=r,
            next_state=one_hot([s2])[0],
            is_state_terminal=d,
        )


def exp_batch(
    reward: list[float], discount: list[float], terminal: list[bool], next_states: list[int]
) -> dict[str, np.ndarray]:
    """A ``batch_experiences``-like dict for the target computations."""
    return {
        "reward": np.asarray(reward, np.float32),
        "discount": np.asarray(discount, np.float32),
        "is_state_terminal": np.asarray(terminal, np.float32),
        "next_state": one_hot(next_states),
    }


def seed_all(seed: int = 0) -> None:
    """Seed NumPy's and Python's global generators (agents and explorers draw from them)."""
    misc.set_random_seed(seed)
