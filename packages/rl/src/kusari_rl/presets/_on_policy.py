"""Presets of the on-policy agents: PPO, A2C, TRPO and REINFORCE."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium

import kusari.functions as F
from kusari import optimizers
from kusari_rl import agents, links, policies, v_functions
from kusari_rl.agent import Agent


def _policy(obs_space: gymnasium.Space, action_space: gymnasium.Space, hp: Mapping) -> Any:
    size = obs_space.shape[0]
    if isinstance(action_space, gymnasium.spaces.Discrete):
        return policies.FCSoftmaxPolicy(
            size,
            int(action_space.n),
            n_hidden_layers=hp["n_hidden_layers"],
            n_hidden_channels=hp["n_hidden_channels"],
            nonlinearity=F.tanh,
            last_wscale=0.01,
        )
    return policies.FCGaussianPolicyWithStateIndependentCovariance(
        size,
        action_space.shape[0],
        n_hidden_layers=hp["n_hidden_layers"],
        n_hidden_channels=hp["n_hidden_channels"],
        var_type="diagonal",
        nonlinearity=F.tanh,
        bound_mean=True,
        min_action=action_space.low,
        max_action=action_space.high,
        mean_wscale=0.01,
    )


def _vf(obs_space: gymnasium.Space, hp: Mapping) -> Any:
    return v_functions.FCVFunction(
        obs_space.shape[0],
        n_hidden_layers=hp["n_hidden_layers"],
        n_hidden_channels=hp["n_hidden_channels"],
        nonlinearity=F.tanh,
    )


def _adam(model: Any, lr: float, eps: float = 1e-8) -> Any:
    optimizer = optimizers.Adam(alpha=lr, eps=eps)
    optimizer.setup(model)
    return optimizer


def _build_ppo(obs_space, action_space, hp, gpu) -> Agent:
    model = links.Branched(_policy(obs_space, action_space, hp), _vf(obs_space, hp))
    return agents.PPO(
        model,
        _adam(model, hp["lr"]),
        gpu=gpu,
        gamma=hp["gamma"],
        lambd=hp["lambd"],
        value_func_coef=hp["value_func_coef"],
        entropy_coef=hp["entropy_coef"],
        update_interval=hp["update_interval"],
        minibatch_size=hp["minibatch_size"],
        epochs=hp["epochs"],
        clip_eps=hp["clip_eps"],
        clip_eps_vf=hp["clip_eps_vf"],
        standardize_advantages=True,
    )


def _build_a2c(obs_space, action_space, hp, gpu) -> Agent:
    model = links.Branched(_policy(obs_space, action_space, hp), _vf(obs_space, hp))
    optimizer = optimizers.RMSprop(lr=hp["lr"], alpha=hp["rmsprop_alpha"], eps=hp["rmsprop_eps"])
    optimizer.setup(model)
    return agents.A2C(
        model,
        optimizer,
        hp["gamma"],
        hp["num_envs"],
        gpu=gpu,
        update_steps=hp["update_steps"],
        entropy_coeff=hp["entropy_coeff"],
        use_gae=hp["use_gae"],
        tau=hp["gae_tau"],
    )


def _build_trpo(obs_space, action_space, hp, gpu) -> Agent:
    vf = _vf(obs_space, hp)
    return agents.TRPO(
        policy=_policy(obs_space, action_space, hp),
        vf=vf,
        vf_optimizer=_adam(vf, hp["vf_lr"]),
        gamma=hp["gamma"],
        lambd=hp["lambd"],
        update_interval=hp["update_interval"],
        max_kl=hp["max_kl"],
        vf_epochs=hp["vf_epochs"],
        vf_batch_size=hp["vf_batch_size"],
        entropy_coef=hp["entropy_coef"],
    )


def _build_reinforce(obs_space, action_space, hp, gpu) -> Agent:
    model = _policy(obs_space, action_space, hp)
    return agents.REINFORCE(
        model, _adam(model, hp["lr"]), beta=hp["beta"], batchsize=hp["batchsize"]
    )


_SHARED = {"eval_n_episodes": 10, "n_hidden_channels": 64, "n_hidden_layers": 2, "gamma": 0.99}

PRESETS = {
    "ppo": (
        _build_ppo,
        {
            **_SHARED,
            "steps": 100_000,
            "num_envs": 8,
            "eval_interval": 2_048,
            "gamma": 0.99,
            "lambd": 0.95,
            "lr": 2e-3,
            "value_func_coef": 1.0,
            "entropy_coef": 0.0,
            "update_interval": 256,
            "minibatch_size": 256,
            "epochs": 20,
            "clip_eps": 0.2,
            "clip_eps_vf": None,
        },
        "both",
    ),
    "a2c": (
        _build_a2c,
        {
            **_SHARED,
            "steps": 200_000,
            "num_envs": 8,
            "eval_interval": 5_000,
            "lr": 7e-4,
            "rmsprop_alpha": 0.99,
            "rmsprop_eps": 1e-5,
            "update_steps": 5,
            "entropy_coeff": 0.0,
            "use_gae": True,
            "gae_tau": 0.95,
        },
        "both",
    ),
    "trpo": (
        _build_trpo,
        {
            **_SHARED,
            "steps": 200_000,
            "num_envs": 1,
            "eval_interval": 5_000,
            "lambd": 0.97,
            "update_interval": 1_024,
            "max_kl": 0.01,
            "vf_lr": 1e-3,
            "vf_epochs": 5,
            "vf_batch_size": 64,
            "entropy_coef": 0.0,
        },
        "both",
    ),
    "reinforce": (
        _build_reinforce,
        {
            **_SHARED,
            "steps": 200_000,
            "num_envs": 1,
            "eval_interval": 5_000,
            "lr": 1e-3,
            "beta": 1e-3,
            "batchsize": 10,
        },
        "both",
    ),
}
