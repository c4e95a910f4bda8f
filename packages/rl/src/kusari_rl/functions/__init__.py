"""Differentiable functions specific to reinforcement learning (``chainerrl.functions``)."""

from kusari_rl.functions.lower_triangular_matrix import lower_triangular_matrix

__all__ = ["lower_triangular_matrix"]
