"""The tuned defaults behind ``kusari-rl train``: one preset per algorithm.

A preset builds an agent for a gymnasium environment's spaces from a dictionary of
hyperparameters (its defaults, updated by the user's overrides). The defaults were tuned on
gymnasium's classic-control tasks (CartPole-v1 for the discrete agents, Pendulum-v1 for the
continuous ones); ``benchmarks/rl`` runs them.

Example:
    >>> from kusari_rl import presets
    >>> env = presets.make_env('CartPole-v1', seed=0)
    >>> agent = presets.build_agent('ppo', env.observation_space, env.action_space)
"""

from kusari_rl.presets._registry import (
    PRESETS,
    Preset,
    build_agent,
    make_env,
    make_vector_env,
    resolve_hyperparams,
)

__all__ = [
    "PRESETS",
    "Preset",
    "build_agent",
    "make_env",
    "make_vector_env",
    "resolve_hyperparams",
]
