"""Presets of the continuous-action off-policy agents: DDPG, TD3 and SAC.

The environments these presets get have their action space rescaled to ``[-1, 1]``
(:func:`kusari_rl.presets.make_env`), so the policies end in ``tanh``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium
import numpy

import kusari
import kusari.functions as F
from kusari import optimizers
from kusari_rl import agents, distribution, explorers, links, policies, q_functions, replay_buffers
from kusari_rl.agent import Agent


def _squashed_gaussian_head(x: kusari.Variable) -> distribution.SquashedGaussianDistribution:
    """Split ``(B, 2 A)`` into a mean and a log standard deviation clipped to ``[-20, 2]``."""
    mean, log_std = F.split_axis(x, 2, axis=1)
    log_std = F.clip(log_std, -20.0, 2.0)
    return distribution.SquashedGaussianDistribution(mean, var=F.exp(2 * log_std))


def _hidden(hp: Mapping) -> list[int]:
    return [hp["n_hidden_channels"]] * hp["n_hidden_layers"]


def _q_function(obs_size: int, action_size: int, hp: Mapping) -> Any:
    return q_functions.FCSAQFunction(
        obs_size,
        action_size,
        n_hidden_channels=hp["n_hidden_channels"],
        n_hidden_layers=hp["n_hidden_layers"],
    )


def _adam(model: Any, lr: float) -> Any:
    optimizer = optimizers.Adam(alpha=lr)
    optimizer.setup(model)
    return optimizer


def _deterministic_policy(obs_size: int, action_size: int, hp: Mapping) -> Any:
    return policies.FCDeterministicPolicy(
        obs_size,
        n_hidden_layers=hp["n_hidden_layers"],
        n_hidden_channels=hp["n_hidden_channels"],
        action_size=action_size,
        min_action=-numpy.ones(action_size, numpy.float32),
        max_action=numpy.ones(action_size, numpy.float32),
        bound_action=True,
    )


def _random_action(action_space: gymnasium.Space) -> Any:
    return lambda: action_space.sample()


def _explorer(action_space: gymnasium.Space, hp: Mapping) -> Any:
    return explorers.AdditiveGaussian(
        scale=hp["exploration_noise"], low=action_space.low, high=action_space.high
    )


def _schedule(action_space: gymnasium.Space, hp: Mapping, gpu: Any) -> dict[str, Any]:
    """Keyword arguments every continuous agent takes alike."""
    return {
        "gpu": gpu,
        "replay_start_size": hp["replay_start_size"],
        "minibatch_size": hp["minibatch_size"],
        "update_interval": hp["update_interval"],
        "soft_update_tau": hp["soft_update_tau"],
        "burnin_action_func": _random_action(action_space),
    }


def _twin_critic_args(policy: Any, obs_size: int, action_size: int, hp: Mapping) -> tuple:
    """Positional arguments of TD3 and SAC: policy, two critics, their optimizers, buffer, γ."""
    q1, q2 = (_q_function(obs_size, action_size, hp) for _ in range(2))
    optimizers_ = (_adam(link, hp["lr"]) for link in (policy, q1, q2))
    replay_buffer = replay_buffers.ReplayBuffer(hp["replay_capacity"])
    return (policy, q1, q2, *optimizers_, replay_buffer, hp["gamma"])


def _build_sac(obs_space, action_space, hp, gpu) -> Agent:
    obs_size, action_size = obs_space.shape[0], action_space.shape[0]
    policy = links.Sequence(
        links.MLP(obs_size, 2 * action_size, _hidden(hp)), _squashed_gaussian_head
    )
    return agents.SoftActorCritic(
        *_twin_critic_args(policy, obs_size, action_size, hp),
        **_schedule(action_space, hp, gpu),
        initial_temperature=hp["initial_temperature"],
        entropy_target=-float(action_size),
        temperature_optimizer=optimizers.Adam(alpha=hp["lr"]),
    )


def _build_td3(obs_space, action_space, hp, gpu) -> Agent:
    obs_size, action_size = obs_space.shape[0], action_space.shape[0]
    policy = _deterministic_policy(obs_size, action_size, hp)
    return agents.TD3(
        *_twin_critic_args(policy, obs_size, action_size, hp),
        _explorer(action_space, hp),
        **_schedule(action_space, hp, gpu),
        policy_update_delay=hp["policy_update_delay"],
    )


def _build_ddpg(obs_space, action_space, hp, gpu) -> Agent:
    obs_size, action_size = obs_space.shape[0], action_space.shape[0]
    policy = _deterministic_policy(obs_size, action_size, hp)
    q_func = _q_function(obs_size, action_size, hp)
    return agents.DDPG(
        agents.DDPGModel(policy=policy, q_func=q_func),
        _adam(policy, hp["lr"]),
        _adam(q_func, hp["lr"]),
        replay_buffers.ReplayBuffer(hp["replay_capacity"]),
        hp["gamma"],
        _explorer(action_space, hp),
        target_update_method="soft",
        **_schedule(action_space, hp, gpu),
    )


_SHARED = {
    "steps": 20_000,
    "num_envs": 1,
    "eval_interval": 1_000,
    "eval_n_episodes": 10,
    "gamma": 0.99,
    "lr": 1e-3,
    "n_hidden_layers": 2,
    "replay_capacity": 1_000_000,
    "replay_start_size": 1_000,
    "minibatch_size": 256,
    "update_interval": 1,
    "soft_update_tau": 5e-3,
}

# hidden sizes: the smallest that reached -200 on Pendulum-v1 by 20k steps in every seed tried;
# each 256-wide layer costs about 16 (SAC) or 12 (TD3) 256x256x256 matrix products per update
PRESETS = {
    "sac": (
        _build_sac,
        {**_SHARED, "n_hidden_channels": 64, "initial_temperature": 1.0},
        "continuous",
    ),
    "td3": (
        _build_td3,
        {**_SHARED, "n_hidden_channels": 128, "exploration_noise": 0.1, "policy_update_delay": 2},
        "continuous",
    ),
    "ddpg": (
        _build_ddpg,
        {**_SHARED, "n_hidden_channels": 128, "exploration_noise": 0.1},
        "continuous",
    ),
}
