"""Small networks, agents and training loops shared by the DDPG, TD3 and SAC tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _rl_toy_envs import PointEnv, make_point_vector_env
from _rl_value_agents import episode_returns, train_batch_in, train_in

import kusari.functions as F
from kusari import optimizers
from kusari_rl import agents, distribution, explorers, links, policies, q_functions
from kusari_rl.misc import set_random_seed
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
    return agents.DDPG(model, adam(policy), adam(q_func), replay_buffer, 0.9, explorer(), **options)


def train(agent: Any, steps: int, seed: int = 0) -> None:
    """Train in one PointEnv, passing ``terminated`` as ``done`` when an episode ends."""
    train_in(agent, PointEnv(), steps, seed)


def train_batch(agent: Any, iterations: int, num_envs: int = 4, seed: int = 0) -> None:
    """Train in a vector of PointEnvs (``batch_done=terminated``, ``batch_reset=truncated``)."""
    train_batch_in(agent, make_point_vector_env(num_envs), iterations, seed)


def evaluate(agent: Any, n_episodes: int = 10) -> float:
    """Mean return of ``agent.act`` over ``n_episodes`` seeded PointEnv episodes."""
    return float(np.mean(episode_returns(agent, PointEnv(), range(1000, 1000 + n_episodes))))


def check_learns_point_env(make: Callable[..., Any]) -> dict[str, Any]:
    """Train ``make()`` 700 steps in PointEnv, check it learned; return its statistics."""
    set_random_seed(0)
    agent = make()
    train(agent, 700)
    assert evaluate(agent) > -2.0
    return dict(agent.get_statistics())


def check_batch_training_learns_point_env(make: Callable[..., Any]) -> Any:
    """Train ``make()`` 200 steps in 4 PointEnvs, check it learned; return the agent."""
    set_random_seed(1)
    agent = make()
    train_batch(agent, 200)
    assert evaluate(agent) > -2.0
    return agent


def check_save_load_gives_identical_actions(make: Callable[..., Any], path: Any) -> tuple:
    """Save a trained ``make()`` to ``path``, load it into a fresh one, compare their actions.

    Returns:
        The trained agent and the loaded one.
    """
    set_random_seed(0)
    agent = make()
    train(agent, 150)
    agent.save(path)
    set_random_seed(1)
    other = make()
    other.load(path)
    obs = [np.array([x, 0.5], np.float32) for x in (-0.9, 0.1, 0.6)]
    np.testing.assert_array_equal(np.stack(other.batch_act(obs)), np.stack(agent.batch_act(obs)))
    return agent, other


def check_stop_episode_and_train_stores_the_done_flag(make: Callable[..., Any]) -> Any:
    """Two one-step episodes, truncated then terminated, are stored with their done flags.

    Returns:
        The agent (for further checks of its replay buffer).
    """
    agent = make(replay_start_size=10**6)
    obs = [np.array([x, 0.5], np.float32) for x in (0.1, 0.2, 0.3, 0.4)]
    agent.act_and_train(obs[0], 0.0)
    agent.stop_episode_and_train(obs[1], -0.1, done=False)
    agent.act_and_train(obs[2], 0.0)
    agent.stop_episode_and_train(obs[3], -0.2, done=True)
    memory = agent.replay_buffer.memory
    assert [memory[i][-1]["is_state_terminal"] for i in range(2)] == [False, True]
    np.testing.assert_array_equal(memory[0][-1]["next_state"], obs[1])
    return agent


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
