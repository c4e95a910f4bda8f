"""The preset table, hyperparameter resolution and environment construction."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import gymnasium

from kusari_rl.agent import Agent
from kusari_rl.presets import _continuous, _on_policy, _value
from kusari_rl.wrappers import CastObservationToFloat32, NormalizeActionSpace


@dataclasses.dataclass(frozen=True)
class Preset:
    """One algorithm's defaults and agent builder.

    Attributes:
        name: The command-line name, e.g. ``'double_dqn'``.
        build: ``build(obs_space, action_space, hyperparams, gpu) -> agent``.
        defaults: Hyperparameters, including ``steps``, ``num_envs``, ``eval_interval`` and
            ``eval_n_episodes`` which the command line reads.
        action_kind: ``'discrete'``, ``'continuous'`` or ``'both'``: the action spaces it takes.
    """

    name: str
    build: Callable[[gymnasium.Space, gymnasium.Space, Mapping[str, Any], int | None], Agent]
    defaults: Mapping[str, Any]
    action_kind: str


def _table() -> dict[str, Preset]:
    presets = {}
    for module in (_value, _on_policy, _continuous):
        for name, (build, defaults, kind) in module.PRESETS.items():
            presets[name] = Preset(name, build, defaults, kind)
    return presets


PRESETS: dict[str, Preset] = _table()


def resolve_hyperparams(name: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return preset ``name``'s defaults updated by ``overrides``.

    Raises:
        ValueError: If ``name`` is unknown or an override names no hyperparameter of the preset.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown algorithm {name!r}; choose one of {', '.join(PRESETS)}")
    hyperparams = dict(PRESETS[name].defaults)
    for key, value in (overrides or {}).items():
        if key not in hyperparams:
            raise ValueError(
                f"{name}: no hyperparameter {key!r}; it has {', '.join(sorted(hyperparams))}"
            )
        hyperparams[key] = value
    return hyperparams


def build_agent(
    name: str,
    obs_space: gymnasium.Space,
    action_space: gymnasium.Space,
    overrides: Mapping[str, Any] | None = None,
    gpu: int | None = None,
) -> Agent:
    """Build the agent of preset ``name`` for the given (single-environment) spaces.

    Raises:
        ValueError: If the preset does not take this kind of action space, the observation
            space is not a flat ``Box``, or an override is unknown.
    """
    hyperparams = resolve_hyperparams(name, overrides)
    preset = PRESETS[name]
    if not isinstance(obs_space, gymnasium.spaces.Box) or len(obs_space.shape) != 1:
        raise ValueError(f"{name}: needs a flat Box observation space, got {obs_space}")
    discrete = isinstance(action_space, gymnasium.spaces.Discrete)
    if not discrete and not isinstance(action_space, gymnasium.spaces.Box):
        raise ValueError(f"{name}: needs a Discrete or Box action space, got {action_space}")
    if preset.action_kind != "both" and (preset.action_kind == "discrete") != discrete:
        raise ValueError(f"{name}: needs a {preset.action_kind} action space, got {action_space}")
    return preset.build(obs_space, action_space, hyperparams, gpu)


def _wrap(env: gymnasium.Env) -> gymnasium.Env:
    env = CastObservationToFloat32(env)
    if isinstance(env.action_space, gymnasium.spaces.Box):
        env = NormalizeActionSpace(env)
    return env


def make_env(env_id: str, seed: int, **kwargs: Any) -> gymnasium.Env:
    """Make a gymnasium environment as the presets expect it, seeded.

    Observations are cast to float32, and a ``Box`` action space is rescaled to ``[-1, 1]``.
    """
    env = _wrap(gymnasium.make(env_id, **kwargs))
    env.reset(seed=seed)
    env.action_space.seed(seed)
    return env


def make_vector_env(
    env_id: str, num_envs: int, seed: int, asynchronous: bool = False
) -> gymnasium.vector.VectorEnv:
    """Make ``num_envs`` copies of :func:`make_env`'s environment in one vector environment.

    Sub-environment ``i`` is seeded with ``seed + i``.
    """
    fns = [lambda: _wrap(gymnasium.make(env_id)) for _ in range(num_envs)]
    cls = gymnasium.vector.AsyncVectorEnv if asynchronous else gymnasium.vector.SyncVectorEnv
    env = cls(fns)
    env.reset(seed=[seed + i for i in range(num_envs)])
    env.action_space.seed(seed)
    return env
