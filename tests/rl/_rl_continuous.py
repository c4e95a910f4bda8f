"""Small networks, agents and training loops shared by the DDPG, TD3 and SAC tests."""

from __future__ import annotations

from typing import Any

import numpy as np
from _rl_toy_envs import PointEnv, make_point_vector_env

import kusari.functions as F
from kusari import optimizers
from kusari_rl import agents, distribution, explorers, links, policies, q_functions
from kusari_rl.replay_buffers import ReplayBuffer

HIDDEN = 32


def squashed_gaussian_head(x: Any) -> distribution.SquashedGaussianDistribution:
    mean, log_std = F.split_axis(x, 2, axis=1)
    log_std = F.clip(log_std, -20.0, 2.0)
    return distribution.SquashedGaussianDistribution(mean, var=F.exp(2 * log_std))


def adam(link: Any, alpha: float = 3e-3) -> optimizers.Adam:
    optimizer = optimizers.Adam(alpha=alpha)
    optimizer.setup(link)
    return optimizer


def q_function() -> q_functions.FCSAQFunction:
    return q_functions.FCSAQFunction(2, 1, HIDDEN, 2)


def sac_policy() -> links.Sequence:
    return links.Sequence(links.MLP(2, 2, [HIDDEN, HIDDEN]), squashed_gaussian_head)


def deterministic_policy() -> policies.FCDeterministicPolicy:
    return policies.FCDeterministicPolicy(
        2,
        n_hidden_layers=2,
        n_hidden_channels=HIDDEN,
        action_size=1,
        min_action=-np.ones(1, np.float32),
        max_action=np.ones(1, np.float32),
        bound_action=True,
    )


def explorer() -> explorers.AdditiveGaussian:
    return explorers.AdditiveGaussian(scale=0.3, low=-1.0, high=1.0)


_COMMON = {"replay_start_size": 64, "minibatch_size": 32}


def make_sac(**kwargs: Any) -> agents.SoftActorCritic:
    policy, q1, q2 = sac_policy(), q_function(), q_function()
    options = {
        **_COMMON,
        "soft_update_tau": 0.02,
        "entropy_target": -1.0,
        "temperature_optimizer": optimizers.Adam(alpha=3e-3),
        **kwargs,
    }
    return agents.SoftActorCritic(
        policy, q1, q2, adam(policy), adam(q1), adam(q2), ReplayBuffer(10**5), 0.9, **options
    )


def make_td3(**kwargs: Any) -> agents.TD3:
    policy, q1, q2 = deterministic_policy(), q_function(), q_function()
    options = {**_COMMON, "soft_update_tau": 0.02, **kwargs}
    return agents.TD3(
        policy,
        q1,
        q2,
        adam(policy),
        adam(q1),
        adam(q2),
        ReplayBuffer(10**5),
        0.9,
        explorer(),
        **options,
    )


def make_ddpg(**kwargs: Any) -> agents.DDPG:
    policy, q_func = deterministic_policy(), q_function()
    model = agents.DDPGModel(policy=policy, q_func=q_func)
    options = {
        **_COMMON,
        "target_update_method": "soft",
        "soft_update_tau": 0.02,
        "target_update_interval": 1,
        **kwargs,
    }
    replay_buffer = options.pop("replay_buffer", None)
    replay_buffer = ReplayBuffer(10**5) if replay_buffer is None else replay_buffer
    return agents.DDPG(
        model, adam(policy), adam(q_func), replay_buffer, 0.9, explorer(), **options
    )


def train(agent: Any, steps: int, seed: int = 0) -> None:
    """Train in one PointEnv, passing ``terminated`` as ``done`` when an episode ends."""
    env = PointEnv()
    obs, _ = env.reset(seed=seed)
    reward = 0.0
    for _ in range(steps):
        obs, reward, terminated, truncated, _ = env.step(agent.act_and_train(obs, reward))
        if terminated or truncated:
            agent.stop_episode_and_train(obs, reward, terminated)
            obs, _ = env.reset()
            reward = 0.0


def train_batch(agent: Any, iterations: int, num_envs: int = 4, seed: int = 0) -> None:
    """Train in a vector of PointEnvs (``batch_done=terminated``, ``batch_reset=truncated``)."""
    env = make_point_vector_env(num_envs)
    obs, _ = env.reset(seed=seed)
    for _ in range(iterations):
        actions = agent.batch_act_and_train(list(obs))
        obs, rewards, terminated, truncated, _ = env.step(np.stack(actions))
        agent.batch_observe_and_train(list(obs), rewards, terminated, truncated)
        ended = terminated | truncated
        if ended.any():  # reset now, not at gymnasium's next step (its default autoreset)
            obs, _ = env.reset(options={"reset_mask": ended})
    env.close()


def evaluate(agent: Any, n_episodes: int = 10) -> float:
    """Mean return of ``agent.act`` over ``n_episodes`` seeded PointEnv episodes."""
    env = PointEnv()
    returns = []
    for i in range(n_episodes):
        obs, _ = env.reset(seed=1000 + i)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(agent.act(obs))
            total += reward
            done = terminated or truncated
        agent.stop_episode()
        returns.append(total)
    return float(np.mean(returns))


def experiences(n: int, terminal: bool = False, reward: float = -0.5) -> list[list[dict]]:
    """``n`` one-step experiences of random PointEnv-like transitions."""
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        state = np.array([rng.uniform(-1, 1), 0.5], np.float32)
        out.append(
            [
                {
                    "state": state,
                    "action": rng.uniform(-1, 1, 1).astype(np.float32),
                    "reward": reward,
                    "next_state": state,
                    "next_action": None,
                    "is_state_terminal": terminal,
                }
            ]
        )
    return out


def param_arrays(link: Any) -> dict[str, np.ndarray]:
    return {name: p.array.copy() for name, p in link.namedparams()}
