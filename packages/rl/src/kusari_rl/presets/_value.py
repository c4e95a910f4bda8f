"""Presets of the value-based agents: DQN, DoubleDQN, CategoricalDQN (C51) and IQN."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium

import kusari.functions as F
import kusari.links as L
from kusari import optimizers
from kusari_rl import agents, explorers, links, q_functions, replay_buffers
from kusari_rl.agent import Agent

_COMMON = {
    "steps": 50_000,
    "num_envs": 1,
    "eval_interval": 2_500,
    "eval_n_episodes": 10,
    "gamma": 0.99,
    "lr": 2.3e-3,
    "adam_eps": 1e-8,
    "n_hidden_channels": 128,
    "n_hidden_layers": 2,
    "replay_capacity": 100_000,
    "n_step": 3,
    "replay_start_size": 1_000,
    "minibatch_size": 64,
    "update_interval": 256,
    "n_times_update": 128,
    "target_update_interval": 256,
    "target_update_method": "hard",
    "soft_update_tau": 0.01,
    "start_epsilon": 1.0,
    "end_epsilon": 0.04,
    "epsilon_decay_steps": 8_000,
}


def _train_parts(
    model: Any, action_space: gymnasium.Space, hp: Mapping[str, Any]
) -> tuple[Any, Any, Any]:
    optimizer = optimizers.Adam(alpha=hp["lr"], eps=hp["adam_eps"])
    optimizer.setup(model)
    replay_buffer = replay_buffers.ReplayBuffer(hp["replay_capacity"], num_steps=hp["n_step"])
    explorer = explorers.LinearDecayEpsilonGreedy(
        hp["start_epsilon"], hp["end_epsilon"], hp["epsilon_decay_steps"], action_space.sample
    )
    return optimizer, replay_buffer, explorer


def _agent(
    cls: type,
    model: Any,
    action_space: gymnasium.Space,
    hp: Mapping[str, Any],
    gpu: Any,
    **extra: Any,
) -> Agent:
    optimizer, replay_buffer, explorer = _train_parts(model, action_space, hp)
    return cls(
        model,
        optimizer,
        replay_buffer,
        hp["gamma"],
        explorer,
        gpu=gpu,
        replay_start_size=hp["replay_start_size"],
        minibatch_size=hp["minibatch_size"],
        update_interval=hp["update_interval"],
        n_times_update=hp["n_times_update"],
        target_update_interval=hp["target_update_interval"],
        target_update_method=hp["target_update_method"],
        soft_update_tau=hp["soft_update_tau"],
        **extra,
    )


def _fc_q(obs_space: gymnasium.Space, action_space: gymnasium.Space, hp: Mapping) -> Any:
    return q_functions.FCStateQFunctionWithDiscreteAction(
        obs_space.shape[0],
        int(action_space.n),
        n_hidden_channels=hp["n_hidden_channels"],
        n_hidden_layers=hp["n_hidden_layers"],
    )


def _build_dqn(obs_space, action_space, hp, gpu) -> Agent:
    return _agent(agents.DQN, _fc_q(obs_space, action_space, hp), action_space, hp, gpu)


def _build_double_dqn(obs_space, action_space, hp, gpu) -> Agent:
    return _agent(agents.DoubleDQN, _fc_q(obs_space, action_space, hp), action_space, hp, gpu)


def _build_c51(obs_space, action_space, hp, gpu) -> Agent:
    model = q_functions.DistributionalFCStateQFunctionWithDiscreteAction(
        obs_space.shape[0],
        int(action_space.n),
        hp["n_atoms"],
        hp["v_min"],
        hp["v_max"],
        n_hidden_channels=hp["n_hidden_channels"],
        n_hidden_layers=hp["n_hidden_layers"],
    )
    return _agent(agents.CategoricalDoubleDQN, model, action_space, hp, gpu)


def _build_iqn(obs_space, action_space, hp, gpu) -> Agent:
    hidden = hp["n_hidden_channels"]
    model = agents.iqn.ImplicitQuantileQFunction(
        psi=links.Sequence(L.Linear(obs_space.shape[0], hidden), F.relu),
        phi=links.Sequence(agents.iqn.CosineBasisLinear(hp["n_basis_functions"], hidden), F.relu),
        f=links.Sequence(L.Linear(hidden, hidden), F.relu, L.Linear(hidden, int(action_space.n))),
    )
    return _agent(
        agents.IQN,
        model,
        action_space,
        hp,
        gpu,
        quantile_thresholds_N=hp["quantile_thresholds_N"],
        quantile_thresholds_N_prime=hp["quantile_thresholds_N_prime"],
        quantile_thresholds_K=hp["quantile_thresholds_K"],
    )


PRESETS = {
    "dqn": (_build_dqn, dict(_COMMON), "discrete"),
    "double_dqn": (_build_double_dqn, dict(_COMMON), "discrete"),
    "c51": (_build_c51, {**_COMMON, "n_atoms": 51, "v_min": 0.0, "v_max": 100.0}, "discrete"),
    "iqn": (
        _build_iqn,
        {
            **_COMMON,
            "n_basis_functions": 64,
            "quantile_thresholds_N": 8,
            "quantile_thresholds_N_prime": 8,
            "quantile_thresholds_K": 32,
        },
        "discrete",
    ),
}
