"""Reinforcement learning on Kusari, after ChainerRL 0.8, for gymnasium 1.x environments.

``import kusari_rl as chainerrl`` runs ChainerRL scripts once their environments are gymnasium
ones. See ``docs/rl.md`` and ``kusari-rl --help``.
"""

from kusari_rl import (
    action_value,
    agent,
    agents,
    distribution,
    experiments,
    explorer,
    explorers,
    functions,
    links,
    misc,
    policies,
    policy,
    q_function,
    q_functions,
    replay_buffer,
    replay_buffers,
    v_function,
    v_functions,
    wrappers,
)

__version__ = "0.1.0"

__all__ = [
    "action_value",
    "agent",
    "agents",
    "distribution",
    "experiments",
    "explorer",
    "explorers",
    "functions",
    "links",
    "misc",
    "policies",
    "policy",
    "q_function",
    "q_functions",
    "replay_buffer",
    "replay_buffers",
    "v_function",
    "v_functions",
    "wrappers",
]
