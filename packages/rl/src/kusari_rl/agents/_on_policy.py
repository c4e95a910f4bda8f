"""Parts shared by the on-policy agents (PPO, TRPO, A2C, REINFORCE).

* Argument checks, the statistics helper :func:`mean_or_nan`, and :func:`to_gpu`.
* :func:`compute_gae` and :func:`explained_variance` (PPO, TRPO and A2C; re-exported by
  :mod:`kusari_rl.agents.ppo`, their public home).
* :class:`Rollout`: ``T`` steps of ``N`` environments in preallocated time-major arrays, so a
  training step only writes a few rows and an update reads whole arrays (no lists of dicts).
* The agent bases: :class:`OnPolicyAgent` (acting from a policy's distribution and the
  single-environment calls; REINFORCE), :class:`RolloutAgent` (training on a :class:`Rollout`;
  A2C) and :class:`GAEAgent` (GAE advantages, observation normalizer and value/entropy
  statistics; PPO and TRPO).
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy

import kusari
from kusari import backend
from kusari.backends.cuda import to_cpu
from kusari_rl import agent


def check_unit_interval(owner: str, **values: float) -> None:
    """Raise ValueError unless ``0 <= value <= 1`` for every keyword ``name=value``."""
    for name, value in values.items():
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{owner}: {name} must be in [0, 1], got {value}")


def check_positive_int(owner: str, **values: Any) -> None:
    """Raise TypeError/ValueError unless every keyword ``name=value`` is an integer >= 1."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)):
            raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{owner}: {name} must be >= 1, got {value}")


def check_non_negative(owner: str, **values: float) -> None:
    """Raise ValueError unless ``value >= 0`` for every keyword ``name=value``."""
    for name, value in values.items():
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


def check_same_shape(owner: str, reference: str, array: Any, **arrays: Any) -> None:
    """Raise ValueError unless every keyword ``name=x`` has the shape of ``array``.

    Args:
        owner: The function's name, for the message.
        reference: The name of ``array``.
        array: The array (or Variable) whose shape the others must have.
        arrays: The arrays (or Variables) to check, by name.
    """
    for name, x in arrays.items():
        if x.shape != array.shape:
            raise ValueError(f"{owner}: {name}.shape {x.shape} != {reference}.shape {array.shape}")


def mean_or_nan(values: Iterable[float]) -> float:
    """The mean of ``values`` (a statistics window), or ``nan`` when it is empty."""
    return float(numpy.mean(values)) if values else math.nan


def to_gpu(gpu: int | None, *links: Any) -> None:
    """Move the links that are not ``None`` to GPU ``gpu`` (``None`` or negative: stay put)."""
    if gpu is None or gpu < 0:
        return
    device = kusari.get_device(f"@cupy:{gpu}")
    for link in links:
        if link is not None:
            link.to_device(device)


def compute_gae(
    rewards: Any,
    values: Any,
    next_values: Any,
    terminated: Any,
    truncated: Any,
    gamma: float,
    lambd: float,
) -> Any:
    """Generalized Advantage Estimation over a time-major rollout.

    With ``delta_t = r_t + gamma (1 - terminated_t) V(s_{t+1}) - V(s_t)``, the advantage is
    ``A_t = delta_t + gamma lambd (1 - done_t) A_{t+1}`` with ``done_t = terminated_t or
    truncated_t`` and ``A_T = 0`` (Schulman et al. 2016, eq. 16, cut at episode ends). A
    truncated step keeps ``V(s_{t+1})``, the value of its own final observation; a terminated
    one drops it. ``lambd = 1`` gives n-step returns minus ``V(s_t)``. The recursion runs once
    backwards over time, vectorized over the environments.

    Args:
        rewards: Rewards ``(T, ...)``, e.g. ``(T, N)`` for ``N`` environments or ``(T,)``.
        values: ``V(s_t)`` of the same shape.
        next_values: ``V(s_{t+1})`` of the same shape, where ``s_{t+1}`` is the observation
            the step returned (the final one when its episode ended; any finite value where
            ``terminated``).
        terminated: Bool (or 0/1) array of the same shape: ``s_{t+1}`` is terminal.
        truncated: Bool (or 0/1) array of the same shape: the episode was cut after step ``t``.
        gamma: Discount factor in ``[0, 1]``.
        lambd: GAE's ``lambda`` in ``[0, 1]``.

    Returns:
        The advantages, a float32 array of ``rewards``' shape (on its device).

    Raises:
        ValueError: If the shapes differ or ``gamma``/``lambd`` is outside ``[0, 1]``.
    """
    check_unit_interval("compute_gae", gamma=gamma, lambd=lambd)
    shape = numpy.shape(rewards)
    for name, array in (
        ("values", values),
        ("next_values", next_values),
        ("terminated", terminated),
        ("truncated", truncated),
    ):
        if numpy.shape(array) != shape:
            raise ValueError(
                f"compute_gae: {name}.shape {numpy.shape(array)} != rewards.shape {shape}"
            )
    xp = backend.get_array_module(rewards)
    f32 = numpy.float32
    terminated = xp.asarray(terminated, dtype=bool)
    done = terminated | xp.asarray(truncated, dtype=bool)
    deltas = xp.asarray(rewards, dtype=f32) - xp.asarray(values, dtype=f32)
    deltas += xp.where(terminated, f32(0), f32(gamma) * xp.asarray(next_values, dtype=f32))
    decay = xp.where(done, f32(0), f32(gamma * lambd))
    advantages = xp.empty_like(deltas)
    last = xp.zeros(shape[1:], dtype=f32)
    for t in range(shape[0] - 1, -1, -1):
        last = deltas[t] + decay[t] * last
        advantages[t] = last
    return advantages


def explained_variance(targets: Any, predictions: Any) -> float:
    """``1 - Var[targets - predictions] / Var[targets]``: the share of variance the values explain.

    Args:
        targets: Value targets (any shape).
        predictions: Predicted values of the same shape.

    Returns:
        A Python float (``nan`` when the targets have no variance).
    """
    xp = backend.get_array_module(targets)
    var = float(xp.var(targets))
    if var == 0:
        return math.nan
    return 1.0 - float(xp.var(targets - predictions)) / var


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

    def advantages(self, values: Any, next_values: Any, gamma: float, lambd: float) -> Any:
        """:func:`compute_gae` over the stored rewards and episode ends.

        Args:
            values: ``(T, N)`` values of the stored states (from :meth:`split_values`).
            next_values: ``(T, N)`` values of the observations that followed them.
            gamma: Discount factor in ``[0, 1]``.
            lambd: GAE's ``lambda`` in ``[0, 1]``.

        Returns:
            The ``(T, N)`` float32 advantages.
        """
        return compute_gae(
            self.rewards, values, next_values, self.terminated, self.truncated, gamma, lambd
        )

    def clear(self) -> None:
        """Start a new rollout (the arrays are kept and overwritten)."""
        self.t = 0
        self.acted = False
        self.extra_states = []
        self.extra_index = []


class OnPolicyAgent(agent.AttributeSavingMixin, agent.BatchAgent):
    """Acting from a policy's action distribution, and the single-environment calls.

    A subclass sets ``batch_states``, ``xp``, ``phi`` and ``act_deterministically`` and defines
    :meth:`_distribution`; :meth:`batch_act` runs it in test mode without building a graph.
    """

    batch_states: Callable[..., Any]
    xp: Any
    phi: Callable[[Any], Any]
    act_deterministically: bool

    def _states(self, batch_obs: Sequence[Any]) -> Any:
        return self.batch_states(batch_obs, self.xp, self.phi)

    def _distribution(self, states: Any) -> Any:
        """The policy's action distribution for a batch of (unnormalized) states."""
        raise NotImplementedError(f"{type(self).__name__}: _distribution is not implemented")

    def _evaluation_actions(self, distrib: Any) -> Any:
        """The most probable actions if ``act_deterministically``, samples otherwise (NumPy)."""
        if self.act_deterministically:
            return to_cpu(distrib.most_probable.array)
        return to_cpu(distrib.sample().array)

    def batch_act(self, batch_obs: Sequence[Any]) -> Any:
        """Pick one evaluation action per environment (no learning).

        Returns:
            A NumPy array of ``len(batch_obs)`` actions.
        """
        with kusari.using_config("train", False), kusari.no_backprop_mode():
            return self._evaluation_actions(self._distribution(self._states(batch_obs)))

    def act(self, obs: Any) -> Any:
        """Pick an evaluation action for one observation (no learning)."""
        return self.batch_act([obs])[0]

    def batch_observe(
        self,
        batch_obs: Sequence[Any],
        batch_reward: Sequence[float],
        batch_done: Sequence[bool],
        batch_reset: Sequence[bool],
    ) -> None:
        """Nothing to do for evaluation (the model is not recurrent)."""

    def stop_episode_and_train(self, state: Any, reward: float, done: bool = False) -> None:
        """Learn from the last transition of an episode (``done``: ``state`` is terminal)."""
        self.batch_observe_and_train([state], [reward], [done], [not done])

    def stop_episode(self) -> None:
        """Nothing to do (the model is not recurrent)."""


class RolloutAgent(OnPolicyAgent):
    """An agent that stores its training steps in a :class:`Rollout` and learns from it when full.

    A subclass sets ``_rollout`` and defines :meth:`_update`; :meth:`_training_distribution`
    (by default :meth:`_distribution`) gives the distribution training actions are sampled from.
    """

    _rollout: Rollout

    def _training_distribution(self, states: Any) -> Any:
        return self._distribution(states)

    def _update(self) -> None:
        """Learn from the full rollout and clear it."""
        raise NotImplementedError(f"{type(self).__name__}: _update is not implemented")

    def batch_act_and_train(self, batch_obs: Sequence[Any]) -> Any:
        """Sample one training action per environment and store it in the rollout.

        Returns:
            A NumPy array of ``len(batch_obs)`` actions.

        Raises:
            ValueError: If the number of environments changes in the middle of a rollout.
        """
        states = self._states(batch_obs)
        with kusari.no_backprop_mode():
            actions = self._training_distribution(states).sample().array
        self._rollout.store_actions(states, actions)
        return to_cpu(actions)

    def batch_observe_and_train(
        self,
        batch_obs: Sequence[Any],
        batch_reward: Sequence[float],
        batch_done: Sequence[bool],
        batch_reset: Sequence[bool],
    ) -> None:
        """Store the outcome of the last actions; update the model when the rollout is full.

        Args:
            batch_obs: The observations the step returned (the final ones where an episode
                ended).
            batch_reward: The rewards.
            batch_done: ``terminated`` flags: those observations are terminal.
            batch_reset: ``truncated`` flags: those episodes were cut and bootstrap.

        Raises:
            RuntimeError: If called before :meth:`batch_act_and_train`.
            ValueError: If the batches have different lengths.
            kusari_rl.misc.NonFiniteError: If a loss is NaN or infinite.
        """
        rollout = self._rollout
        owner = f"{rollout.owner}.batch_observe_and_train"
        if not rollout.acted:
            raise RuntimeError(f"{owner}: no pending actions; call batch_act_and_train first")
        check_batch_lengths(
            owner,
            rollout.num_envs,
            batch_obs=batch_obs,
            batch_reward=batch_reward,
            batch_done=batch_done,
            batch_reset=batch_reset,
        )
        if rollout.store_outcome(batch_obs, batch_reward, batch_done, batch_reset, self._states):
            self._update()

    def act_and_train(self, obs: Any, reward: float) -> Any:
        """Learn from ``reward`` (unless the episode just began) and pick a training action."""
        if self._rollout.acted:
            self.batch_observe_and_train([obs], [reward], [False], [False])
        return self.batch_act_and_train([obs])[0]


class GAEAgent(RolloutAgent):
    """A :class:`RolloutAgent` with GAE advantages, an observation normalizer and statistics.

    A subclass sets ``gamma``, ``lambd``, ``obs_normalizer`` and ``standardize_advantages``,
    checks them with :meth:`_check_gae_arguments` and calls :meth:`_init_statistics`. Training
    actions are sampled in test mode, like evaluation ones.
    """

    gamma: float
    lambd: float
    obs_normalizer: Any
    standardize_advantages: bool

    @staticmethod
    def _check_gae_arguments(
        owner: str, recurrent: bool, gamma: float, lambd: float, entropy_coef: float
    ) -> None:
        if recurrent:
            raise NotImplementedError(
                f"{owner}: recurrent models are not supported (recurrent=True)"
            )
        check_unit_interval(owner, gamma=gamma, lambd=lambd)
        check_non_negative(owner, entropy_coef=entropy_coef)

    def _init_statistics(self, value_stats_window: int, entropy_stats_window: int) -> None:
        self.value_record: collections.deque = collections.deque(maxlen=value_stats_window)
        self.entropy_record: collections.deque = collections.deque(maxlen=entropy_stats_window)
        self.explained_variance = math.nan

    def _value_and_entropy_statistics(self) -> list[tuple[str, Any]]:
        return [
            ("average_value", mean_or_nan(self.value_record)),
            ("average_entropy", mean_or_nan(self.entropy_record)),
        ]

    def _normalize(self, states: Any) -> Any:
        if self.obs_normalizer is None:
            return states
        return self.obs_normalizer(states, update=False)

    def _training_distribution(self, states: Any) -> Any:
        with kusari.using_config("train", False):
            return self._distribution(states)

    def _take_rollout(self, flat_states: Any, flat_values: Any) -> tuple[Any, ...]:
        """Turn the full rollout into training data and clear it.

        Computes the GAE advantages and value targets, sets ``explained_variance``, updates the
        observation normalizer with the states and normalizes them, and standardizes the
        advantages if ``standardize_advantages``.

        Args:
            flat_states: The rollout's :meth:`Rollout.flat_states`.
            flat_values: ``((T + 1) N + E,)`` values of ``flat_states``.

        Returns:
            ``(states, actions, values, advantages, value_targets)`` of the ``n = T N`` steps:
            states ``(n, ...)``, actions ``(n, ...)``, values ``(n, 1)``, advantages ``(n,)``
            and value targets ``(n, 1)``.
        """
        rollout = self._rollout
        n = rollout.steps * rollout.num_envs
        values, next_values = rollout.split_values(flat_values)
        advantages = rollout.advantages(values, next_values, self.gamma, self.lambd).ravel()
        values = values.reshape(n, 1)
        value_targets = advantages[:, None] + values
        self.explained_variance = explained_variance(value_targets, values)
        states = flat_states[:n]
        actions = rollout.actions[:-1].reshape((n,) + rollout.actions.shape[2:])
        # the arrays above are views; the next rollout overwrites them only after this update
        rollout.clear()
        if self.obs_normalizer is not None:
            self.obs_normalizer.experience(states)
            states = self.obs_normalizer(states, update=False)
        if self.standardize_advantages:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        return states, actions, values, advantages, value_targets
