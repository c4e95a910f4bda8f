"""Reinforcement learning for Kusari, after ChainerRL.

Meant for agents, their pure module-level loss functions, and training loops over Gymnasium
environments.
"""

__version__ = "0.1.0"

__all__: list[str] = []
