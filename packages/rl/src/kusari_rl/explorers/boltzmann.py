"""Boltzmann (softmax) exploration over the Q-values of discrete actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from kusari_rl.explorer import Explorer


class Boltzmann(Explorer):
    """Pick action ``a`` with probability ``softmax(Q(s, .) / T)[a]`` (Sutton & Barto 2018, 13.1).

    Args:
        T: The temperature, ``> 0``; high values approach uniform choice, low ones greedy.

    Raises:
        ValueError: If ``T`` is not positive.
    """

    def __init__(self, T: float = 1.0) -> None:  # noqa: N803 (ChainerRL's argument name)
        if not T > 0:
            raise ValueError(f"Boltzmann: T must be > 0, got {T}")
        self.T = T

    def select_action(
        self, t: int, greedy_action_func: Callable[[], Any], action_value: Any = None
    ) -> int:
        """Sample an action from the softmax of ``action_value.q_values / T``.

        Args:
            t: The current time step (unused).
            greedy_action_func: Unused.
            action_value: A :class:`kusari_rl.action_value.DiscreteActionValue` for one state
                (``q_values`` of shape ``(1, n_actions)``).

        Returns:
            The index of the action.

        Raises:
            ValueError: If ``action_value`` is missing or holds more than one state.
        """
        q_values = getattr(action_value, "q_values", None)
        if q_values is None:
            raise ValueError(
                "Boltzmann.select_action: needs action_value with q_values (a "
                f"DiscreteActionValue), got {action_value!r}"
            )
        q = getattr(q_values, "array", q_values)
        q = numpy.asarray(q.get() if hasattr(q, "get") else q, dtype=numpy.float64)
        if q.ndim != 2 or q.shape[0] != 1:
            raise ValueError(
                f"Boltzmann.select_action: q_values must have shape (1, n_actions), got {q.shape}"
            )
        logits = q[0] / self.T
        probs = numpy.exp(logits - logits.max())
        probs /= probs.sum()
        return int(numpy.random.choice(len(probs), p=probs))

    def __repr__(self) -> str:
        return f"Boltzmann(T={self.T})"
