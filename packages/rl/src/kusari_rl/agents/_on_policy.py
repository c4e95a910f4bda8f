"""Parts shared by the on-policy agents (PPO, TRPO, A2C): the rollout store and argument checks.

The rollout keeps ``T`` steps of ``N`` environments in preallocated time-major arrays, so a
training step only writes a few rows and an update reads whole arrays (no lists of dicts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy

from kusari.backends.cuda import to_cpu


def check_unit_interval(owner: str, name: str, value: float) -> None:
    """Raise ValueError unless ``0 <= value <= 1``."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{owner}: {name} must be in [0, 1], got {value}")


def check_positive_int(owner: str, name: str, value: Any) -> None:
    """Raise TypeError/ValueError unless ``value`` is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{owner}: {name} must be >= 1, got {value}")


def check_non_negative(owner: str, name: str, value: float) -> None:
    """Raise ValueError unless ``value >= 0``."""
    if not value >= 0:
        raise ValueError(f"{owner}: {name} must be >= 0, got {value}")


def check_batch_lengths(owner: str, num_envs: int, **batches: Any) -> None:
    """Raise ValueError unless every batch in ``batches`` has ``num_envs`` entries."""
    for name, batch in batches.items():
        if len(batch) != num_envs:
            raise ValueError(
                f"{owner}: {name} has {len(batch)} entries, expected one per environment "
                f"({num_envs})"
            )


class Rollout:
    """``T`` steps of ``N`` environments, stored time-major in preallocated arrays.

    ``T = ceil(transitions / N)``, so a full rollout holds at least ``transitions`` transitions;
    ``N`` is set by the first batch of states (and may change between rollouts).

    Row ``t`` holds the states the agent acted on, its actions, and then the outcome of those
    actions (reward, ``terminated``, ``truncated``). Row ``T`` of :attr:`states` holds the
    observations returned by the last step, so one forward pass over
    :meth:`flat_states` yields every ``V(s_t)`` and every bootstrap value ``V(s_{t+1})``.
    Observations that ended a truncated episode before the last step are overwritten by the
    reset ones in the next row; they are kept aside (:attr:`extra_states`) and appended to
    :meth:`flat_states`, so a truncated step still bootstraps from its own final observation.

    Args:
        owner: The agent's name, for messages.
        transitions: The number of transitions (over all environments) between updates.
        xp: The array module of the model (:mod:`numpy` or :mod:`cupy`).
    """

    def __init__(self, owner: str, transitions: int, xp: Any) -> None:
        self.owner = owner
        self.transitions = transitions
        self.steps = 0
        self.xp = xp
        self.num_envs = 0
        self.t = 0
        self.acted = False
        self.states: Any = None
        self.actions: Any = None
        self.rewards: Any = None
        self.terminated: Any = None
        self.truncated: Any = None
        self.extra_states: list[Any] = []
        self.extra_index: list[tuple[int, int]] = []

    def _allocate(self, states: Any, actions: Any) -> None:
        xp, n = self.xp, len(states)
        steps = -(-self.transitions // n)
        self.num_envs = n
        self.steps = steps
        self.states = xp.empty((steps + 1, n) + states.shape[1:], dtype=states.dtype)
        # the actions get a zero row T too, so the log-probabilities of all rows of
        # flat_states come from one call (the padded rows are never used)
        self.actions = xp.zeros((steps + 1, n) + actions.shape[1:], dtype=actions.dtype)
        self.rewards = xp.zeros((steps, n), dtype=numpy.float32)
        self.terminated = xp.zeros((steps, n), dtype=bool)
        self.truncated = xp.zeros((steps, n), dtype=bool)

    def store_actions(self, states: Any, actions: Any) -> None:
        """Record the states acted on and the actions taken at the current step.

        Raises:
            TypeError: If the states are a tuple of arrays (multi-part observations).
            ValueError: If the number of environments changed in the middle of a rollout.
        """
        if isinstance(states, tuple):
            raise TypeError(f"{self.owner}: tuple observations are not supported")
        if len(states) != self.num_envs:
            if self.t != 0:
                raise ValueError(
                    f"{self.owner}: got {len(states)} observations in the middle of a rollout "
                    f"of {self.num_envs} environments"
                )
            self._allocate(states, actions)
        self.states[self.t] = states
        self.actions[self.t] = actions
        self.acted = True

    def store_outcome(
        self,
        batch_obs: Sequence[Any],
        rewards: Any,
        terminated: Any,
        truncated: Any,
        to_states: Callable[[Sequence[Any]], Any],
    ) -> bool:
        """Record the outcome of the current step's actions and move to the next step.

        Args:
            batch_obs: ``N`` observations returned by the step (the final ones for
                environments whose episode ended).
            rewards: ``(N,)`` rewards.
            terminated: ``(N,)`` bool, terminal states (no bootstrapping).
            truncated: ``(N,)`` bool, episodes cut although not terminal (bootstrapped).
            to_states: Turns a list of observations into a batch of states (the agent's
                ``batch_states`` with its ``phi``); called only for the observations kept.

        Returns:
            Whether the rollout is full (``T`` steps stored).

        Raises:
            RuntimeError: If no action was stored for the current step.
        """
        if not self.acted:
            raise RuntimeError(
                f"{self.owner}: observed an outcome before acting; call "
                "batch_act_and_train (or act_and_train) first"
            )
        xp, t = self.xp, self.t
        self.rewards[t] = xp.asarray(rewards, dtype=numpy.float32)
        self.terminated[t] = xp.asarray(terminated, dtype=bool)
        cut = xp.asarray(truncated, dtype=bool) & ~self.terminated[t]
        self.truncated[t] = cut
        self.acted = False
        self.t = t + 1
        if self.t == self.steps:
            self.states[self.t] = to_states(batch_obs)
            return True
        cut_envs = numpy.flatnonzero(to_cpu(cut)).tolist()
        if cut_envs:
            self.extra_states.extend(to_states([batch_obs[i] for i in cut_envs]))
            self.extra_index.extend((t, i) for i in cut_envs)
        return False

    def flat_states(self) -> Any:
        """``((T + 1) N + E, ...)`` states: every row, then the ``E`` kept final observations."""
        flat = self.states.reshape((-1,) + self.states.shape[2:])
        if not self.extra_states:
            return flat
        return self.xp.concatenate([flat, self.xp.stack(self.extra_states)])

    def flat_actions(self) -> Any:
        """Actions aligned with :meth:`flat_states` (zeros on the rows without an action)."""
        flat = self.actions.reshape((-1,) + self.actions.shape[2:])
        if not self.extra_states:
            return flat
        pad = self.xp.zeros((len(self.extra_states),) + flat.shape[1:], dtype=flat.dtype)
        return self.xp.concatenate([flat, pad])

    def split_values(self, flat_values: Any) -> tuple[Any, Any]:
        """Split values computed on :meth:`flat_states` into ``(V(s_t), V(s_{t+1}))``.

        Args:
            flat_values: ``((T + 1) N + E,)`` values, one per row of :meth:`flat_states`.

        Returns:
            Two ``(T, N)`` arrays: the value of each stored state and the value of the
            observation that followed it (its own final observation for truncated steps).
        """
        steps, n = self.steps, self.num_envs
        values = flat_values[: (steps + 1) * n].reshape(steps + 1, n)
        next_values = values[1:].copy()
        if self.extra_index:
            rows, cols = zip(*self.extra_index, strict=True)
            next_values[list(rows), list(cols)] = flat_values[(steps + 1) * n :]
        return values[:-1], next_values

    def clear(self) -> None:
        """Start a new rollout (the arrays are kept and overwritten)."""
        self.t = 0
        self.acted = False
        self.extra_states = []
        self.extra_index = []
