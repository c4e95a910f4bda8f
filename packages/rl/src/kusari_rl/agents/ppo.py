"""Proximal Policy Optimization (ChainerRL's ``chainerrl.agents.PPO``).

Schulman et al. 2017, "Proximal Policy Optimization Algorithms" (arXiv:1707.06347): the policy
maximizes the clipped surrogate objective ``E[min(r A, clip(r, 1 - eps, 1 + eps) A)]`` (eq. 7),
``r`` the probability ratio of the new and the old policy, over several epochs of minibatches
of one rollout, with advantages ``A`` from Generalized Advantage Estimation (Schulman et al. 2016,
"High-Dimensional Continuous Control Using Generalized Advantage Estimation", eq. 16).

The pure pieces live at module level so they can be tested on arrays: :func:`compute_gae`, the
losses :func:`clipped_surrogate_loss` and :func:`clipped_value_loss`, and
:func:`explained_variance`. A step whose next state is terminal (gymnasium's ``terminated``)
bootstraps nothing; a step whose episode was only cut (``truncated``) bootstraps from the value
of its own final observation.

Speed: the rollout lives in preallocated time-major arrays; acting runs one forward pass and
samples on arrays; an update runs one forward pass over the whole rollout (old log-probabilities,
values, bootstrap values), one vectorized GAE, then one forward and backward pass per minibatch.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy

import kusari
import kusari.functions as F
from kusari import backend
from kusari.backends.cuda import to_cpu
from kusari.function_node import FunctionNode
from kusari.variable import Variable
from kusari_rl import agent
from kusari_rl.agents import _on_policy
from kusari_rl.misc.batch_states import batch_states as default_batch_states
from kusari_rl.misc.nonfinite import check_finite

__all__ = [
    "PPO",
    "clipped_surrogate_loss",
    "clipped_value_loss",
    "compute_gae",
    "explained_variance",
]


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
    _on_policy.check_unit_interval("compute_gae", "gamma", gamma)
    _on_policy.check_unit_interval("compute_gae", "lambd", lambd)
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


class _ClippedSurrogateLoss(FunctionNode):
    """:func:`clipped_surrogate_loss` as one graph node (speed: the composite takes eight).

    The gradient with respect to the log-probabilities is ``-A r / B`` where the unclipped term
    is the minimum and 0 where the clipped one is; the backward pass rebuilds ``r`` from the
    retained input with Kusari functions, so it can be differentiated again.
    """

    def __init__(self, log_probs_old: Any, advantages: Any, clip_eps: float) -> None:
        self.log_probs_old = log_probs_old
        self.advantages = advantages
        self.clip_eps = clip_eps
        self.weight: Any = None

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Return ``-mean(min(r A, clip(r, 1 - eps, 1 + eps) A))``."""
        self.retain_inputs((0,))
        (log_probs,) = inputs
        xp = backend.get_array_module(log_probs)
        dtype = log_probs.dtype
        advantages = self.advantages.astype(dtype, copy=False)
        ratio = xp.exp(log_probs - self.log_probs_old.astype(dtype, copy=False))
        unclipped = ratio * advantages
        clipped = xp.clip(ratio, dtype.type(1 - self.clip_eps), dtype.type(1 + self.clip_eps))
        clipped *= advantages
        scale = dtype.type(-1.0 / max(len(log_probs), 1))
        self.weight = xp.where(unclipped <= clipped, advantages * scale, dtype.type(0))
        return (xp.asarray(xp.minimum(unclipped, clipped).mean() * -1, dtype=dtype),)

    def backward(
        self, target_input_indexes: tuple[int, ...], grad_outputs: tuple[Variable, ...]
    ) -> tuple[Variable, ...]:
        """Return ``gy * weight * exp(log_probs - log_probs_old)``."""
        (log_probs,) = self.get_retained_inputs()
        ratio = F.exp(log_probs - self.log_probs_old)
        return (ratio * (grad_outputs[0] * self.weight),)


def clipped_surrogate_loss(
    log_probs: Variable, log_probs_old: Any, advantages: Any, clip_eps: float
) -> Variable:
    """PPO's policy loss: the negated clipped surrogate objective (Schulman et al. 2017, eq. 7).

    ``-mean(min(r A, clip(r, 1 - clip_eps, 1 + clip_eps) A))`` with ``r = exp(log_probs -
    log_probs_old)``. The gradient flows only through ``log_probs``, and only where the
    unclipped term is the smaller one.

    Args:
        log_probs: Log-probabilities of the taken actions under the current policy ``(B,)``.
        log_probs_old: Those under the policy that collected the data ``(B,)`` (an array).
        advantages: Advantage estimates ``(B,)`` (an array).
        clip_eps: The clipping range ``eps > 0``.

    Returns:
        A scalar Variable.

    Raises:
        ValueError: If the shapes differ or ``clip_eps <= 0``.
    """
    if not clip_eps > 0:
        raise ValueError(f"clipped_surrogate_loss: clip_eps must be > 0, got {clip_eps}")
    _check_same_shape("clipped_surrogate_loss", log_probs, log_probs_old, "log_probs_old")
    _check_same_shape("clipped_surrogate_loss", log_probs, advantages, "advantages")
    return _ClippedSurrogateLoss(log_probs_old, advantages, clip_eps).apply((log_probs,))[0]


def clipped_value_loss(
    values: Variable, values_old: Any, value_targets: Any, clip_eps_vf: float | None
) -> Variable:
    """PPO's value loss, pessimistically clipped around the old values (as ChainerRL's PPO).

    Without clipping it is ``mean((v - t)^2)``; with ``clip_eps_vf`` it is
    ``mean(max((v - t)^2, (v_old + clip(v - v_old, -eps, eps) - t)^2))``.

    Args:
        values: Predicted values ``(B, ...)``.
        values_old: Values predicted when the data was collected, same shape (an array).
        value_targets: Targets, same shape (an array).
        clip_eps_vf: The clipping range, or ``None`` for no clipping.

    Returns:
        A scalar Variable.

    Raises:
        ValueError: If the shapes differ or ``clip_eps_vf <= 0``.
    """
    _check_same_shape("clipped_value_loss", values, value_targets, "value_targets")
    if clip_eps_vf is None:
        return F.mean_squared_error(values, value_targets)
    if not clip_eps_vf > 0:
        raise ValueError(f"clipped_value_loss: clip_eps_vf must be > 0 or None, got {clip_eps_vf}")
    _check_same_shape("clipped_value_loss", values, values_old, "values_old")
    clipped = F.clip(values - values_old, -clip_eps_vf, clip_eps_vf) + values_old
    return F.mean(F.maximum(F.square(values - value_targets), F.square(clipped - value_targets)))


def _check_same_shape(owner: str, x: Any, y: Any, name: str) -> None:
    if x.shape != y.shape:
        raise ValueError(f"{owner}: {name}.shape {y.shape} != shape {x.shape} of the first input")


def _mean_or_nan(xs: collections.deque) -> float:
    return float(numpy.mean(xs)) if xs else math.nan


class PPO(agent.AttributeSavingMixin, agent.BatchAgent):
    """Proximal Policy Optimization (Schulman et al. 2017) with GAE (Schulman et al. 2016).

    Every ``update_interval`` transitions (summed over environments) the agent computes GAE
    advantages and value targets for the rollout, then trains the model for ``epochs`` epochs
    of shuffled minibatches on ``policy_loss + value_func_coef * value_loss - entropy_coef *
    mean_entropy``. With ``N`` environments a rollout is ``ceil(update_interval / N)`` steps of
    each. Single-environment training (:meth:`act_and_train`) is the case ``N = 1``.

    Args:
        model: A link mapping a batch of states ``(B, ...)`` to ``(distribution, values)``, the
            values of shape ``(B, 1)``, e.g. ``Branched(policy, v_function)``.
        optimizer: An optimizer already set up with ``model``.
        obs_normalizer: An :class:`~kusari_rl.links.EmpiricalNormalization` for observations,
            updated with each rollout before the model is, or ``None``.
        gpu: GPU id to move the model to (``None`` or negative: the CPU).
        gamma: Discount factor in ``[0, 1]``.
        lambd: GAE's ``lambda`` in ``[0, 1]``.
        phi: Feature extractor applied to each observation.
        value_func_coef: Weight of the value loss, ``>= 0``.
        entropy_coef: Weight of the entropy bonus, ``>= 0`` (0 skips computing it).
        update_interval: Transitions between updates.
        minibatch_size: Transitions per minibatch.
        epochs: Passes over each rollout.
        clip_eps: Clipping range of the probability ratio.
        clip_eps_vf: Clipping range of the value update (``None``: unclipped).
        standardize_advantages: Standardize the advantages of each rollout.
        batch_states: ``batch_states(states, xp, phi)`` making a batch from observations.
        recurrent: Recurrent models are not supported; must be ``False``.
        max_recurrent_sequence_len: Only for recurrent models; ignored.
        act_deterministically: Take the most probable action in :meth:`act`/:meth:`batch_act`.
        value_stats_window: Window of the ``average_value`` statistic.
        entropy_stats_window: Window of the ``average_entropy`` statistic.
        value_loss_stats_window: Window of the ``average_value_loss`` statistic.
        policy_loss_stats_window: Window of the ``average_policy_loss`` statistic.

    Raises:
        ValueError: If a hyperparameter is out of range.
        TypeError: If an integer hyperparameter is not an int.
        NotImplementedError: If ``recurrent`` is true.

    Statistics (:meth:`get_statistics`): ``average_value``, ``average_entropy``,
    ``average_value_loss``, ``average_policy_loss``, ``n_updates`` (optimizer steps) and
    ``explained_variance`` of the last rollout.
    """

    saved_attributes = ("model", "optimizer", "obs_normalizer")

    def __init__(
        self,
        model: Any,
        optimizer: Any,
        obs_normalizer: Any = None,
        gpu: int | None = None,
        gamma: float = 0.99,
        lambd: float = 0.95,
        phi: Callable[[Any], Any] = lambda x: x,
        value_func_coef: float = 1.0,
        entropy_coef: float = 0.01,
        update_interval: int = 2048,
        minibatch_size: int = 64,
        epochs: int = 10,
        clip_eps: float = 0.2,
        clip_eps_vf: float | None = None,
        standardize_advantages: bool = True,
        batch_states: Callable[..., Any] = default_batch_states,
        recurrent: bool = False,
        max_recurrent_sequence_len: int | None = None,
        act_deterministically: bool = False,
        value_stats_window: int = 1000,
        entropy_stats_window: int = 1000,
        value_loss_stats_window: int = 100,
        policy_loss_stats_window: int = 100,
    ) -> None:
        owner = "PPO"
        if recurrent:
            raise NotImplementedError("PPO: recurrent models are not supported (recurrent=True)")
        _on_policy.check_unit_interval(owner, "gamma", gamma)
        _on_policy.check_unit_interval(owner, "lambd", lambd)
        _on_policy.check_non_negative(owner, "value_func_coef", value_func_coef)
        _on_policy.check_non_negative(owner, "entropy_coef", entropy_coef)
        for name, value in (
            ("update_interval", update_interval),
            ("minibatch_size", minibatch_size),
            ("epochs", epochs),
        ):
            _on_policy.check_positive_int(owner, name, value)
        if not clip_eps > 0:
            raise ValueError(f"PPO: clip_eps must be > 0, got {clip_eps}")
        if clip_eps_vf is not None and not clip_eps_vf > 0:
            raise ValueError(f"PPO: clip_eps_vf must be > 0 or None, got {clip_eps_vf}")
        self.model = model
        self.optimizer = optimizer
        self.obs_normalizer = obs_normalizer
        if gpu is not None and gpu >= 0:
            device = kusari.get_device(f"@cupy:{gpu}")
            self.model.to_device(device)
            if obs_normalizer is not None:
                obs_normalizer.to_device(device)
        self.gamma = gamma
        self.lambd = lambd
        self.phi = phi
        self.value_func_coef = value_func_coef
        self.entropy_coef = entropy_coef
        self.update_interval = update_interval
        self.minibatch_size = minibatch_size
        self.epochs = epochs
        self.clip_eps = clip_eps
        self.clip_eps_vf = clip_eps_vf
        self.standardize_advantages = standardize_advantages
        self.batch_states = batch_states
        self.recurrent = recurrent
        self.max_recurrent_sequence_len = max_recurrent_sequence_len
        self.act_deterministically = act_deterministically
        self.xp = model.xp

        self._rollout = _on_policy.Rollout("PPO", update_interval, self.xp)
        self.value_record: collections.deque = collections.deque(maxlen=value_stats_window)
        self.entropy_record: collections.deque = collections.deque(maxlen=entropy_stats_window)
        self.value_loss_record: collections.deque = collections.deque(
            maxlen=value_loss_stats_window
        )
        self.policy_loss_record: collections.deque = collections.deque(
            maxlen=policy_loss_stats_window
        )
        self.explained_variance = math.nan

    # -- acting -----------------------------------------------------------------------------
    def _states(self, batch_obs: Sequence[Any]) -> Any:
        return self.batch_states(batch_obs, self.xp, self.phi)

    def _normalize(self, states: Any) -> Any:
        if self.obs_normalizer is None:
            return states
        return self.obs_normalizer(states, update=False)

    def batch_act(self, batch_obs: Sequence[Any]) -> Any:
        """Pick one evaluation action per environment (no learning).

        Returns:
            A NumPy array of ``len(batch_obs)`` actions.
        """
        with kusari.using_config("train", False), kusari.no_backprop_mode():
            distrib, _ = self.model(self._normalize(self._states(batch_obs)))
            if self.act_deterministically:
                return to_cpu(distrib.most_probable.array)
            return to_cpu(distrib.sample().array)

    def act(self, obs: Any) -> Any:
        """Pick an evaluation action for one observation (no learning)."""
        return self.batch_act([obs])[0]

    def batch_act_and_train(self, batch_obs: Sequence[Any]) -> Any:
        """Sample one training action per environment and store it in the rollout.

        Returns:
            A NumPy array of ``len(batch_obs)`` actions.

        Raises:
            ValueError: If the number of environments changes in the middle of a rollout.
        """
        states = self._states(batch_obs)
        with kusari.using_config("train", False), kusari.no_backprop_mode():
            distrib, values = self.model(self._normalize(states))
            actions = distrib.sample().array
        self.value_record.extend(to_cpu(values.array).ravel().tolist())
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
        if not rollout.acted:
            raise RuntimeError(
                "PPO.batch_observe_and_train: no pending actions; call batch_act_and_train first"
            )
        _on_policy.check_batch_lengths(
            "PPO.batch_observe_and_train",
            rollout.num_envs,
            batch_obs=batch_obs,
            batch_reward=batch_reward,
            batch_done=batch_done,
            batch_reset=batch_reset,
        )
        if rollout.store_outcome(batch_obs, batch_reward, batch_done, batch_reset, self._states):
            self._update()

    def batch_observe(
        self,
        batch_obs: Sequence[Any],
        batch_reward: Sequence[float],
        batch_done: Sequence[bool],
        batch_reset: Sequence[bool],
    ) -> None:
        """Nothing to do for evaluation (the model is not recurrent)."""

    def act_and_train(self, obs: Any, reward: float) -> Any:
        """Learn from ``reward`` (unless the episode just began) and pick a training action."""
        if self._rollout.acted:
            self.batch_observe_and_train([obs], [reward], [False], [False])
        return self.batch_act_and_train([obs])[0]

    def stop_episode_and_train(self, state: Any, reward: float, done: bool = False) -> None:
        """Learn from the last transition of an episode (``done``: ``state`` is terminal)."""
        self.batch_observe_and_train([state], [reward], [done], [not done])

    def stop_episode(self) -> None:
        """Nothing to do (the model is not recurrent)."""

    # -- learning ---------------------------------------------------------------------------
    def _update(self) -> None:
        rollout = self._rollout
        xp = self.xp
        n = rollout.steps * rollout.num_envs
        states = rollout.flat_states()
        with kusari.using_config("train", False), kusari.no_backprop_mode():
            distrib, flat_values = self.model(self._normalize(states))
            log_probs_old = distrib.log_prob(rollout.flat_actions()).array[:n]
            self.entropy_record.extend(to_cpu(distrib.entropy.array[:n]).tolist())
        values, next_values = rollout.split_values(flat_values.array.ravel())
        advantages = compute_gae(
            rollout.rewards,
            values,
            next_values,
            rollout.terminated,
            rollout.truncated,
            self.gamma,
            self.lambd,
        ).ravel()
        values = values.reshape(n, 1)
        value_targets = advantages[:, None] + values
        self.explained_variance = explained_variance(value_targets, values)
        states = states[:n]
        actions = rollout.actions[:-1].reshape((n,) + rollout.actions.shape[2:])
        # the arrays above are views; the next rollout overwrites them only after this update
        rollout.clear()
        if self.obs_normalizer is not None:
            self.obs_normalizer.experience(states)
            states = self.obs_normalizer(states, update=False)
        if self.standardize_advantages:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        data = (states, actions, log_probs_old, values, advantages, value_targets)
        for _ in range(self.epochs):
            if self.minibatch_size >= n:
                # speed: one minibatch holds the whole rollout, whose order does not matter
                self._update_minibatch(*data)
                continue
            order = xp.asarray(numpy.random.permutation(n))
            for start in range(0, n, self.minibatch_size):
                index = order[start : start + self.minibatch_size]
                self._update_minibatch(*[array[index] for array in data])

    def _update_minibatch(
        self,
        states: Any,
        actions: Any,
        log_probs_old: Any,
        values_old: Any,
        advantages: Any,
        value_targets: Any,
    ) -> None:
        distrib, values = self.model(states)
        policy_loss = clipped_surrogate_loss(
            distrib.log_prob(actions), log_probs_old, advantages, self.clip_eps
        )
        value_loss = clipped_value_loss(values, values_old, value_targets, self.clip_eps_vf)
        # speed: the weights 1 and 0 (common settings) cost no graph nodes
        loss = policy_loss + (
            value_loss if self.value_func_coef == 1 else value_loss * self.value_func_coef
        )
        if self.entropy_coef:
            loss = loss - F.mean(distrib.entropy) * self.entropy_coef
        check_finite(loss, f"PPO loss at update {self.optimizer.t + 1}")
        self.model.cleargrads()
        loss.backward()
        self.optimizer.update()
        self.value_loss_record.append(float(value_loss.array))
        self.policy_loss_record.append(float(policy_loss.array))

    def get_statistics(self) -> list[tuple[str, Any]]:
        """Return the statistics listed in the class docstring, as ``(name, value)`` pairs."""
        return [
            ("average_value", _mean_or_nan(self.value_record)),
            ("average_entropy", _mean_or_nan(self.entropy_record)),
            ("average_value_loss", _mean_or_nan(self.value_loss_record)),
            ("average_policy_loss", _mean_or_nan(self.policy_loss_record)),
            ("n_updates", int(self.optimizer.t)),
            ("explained_variance", self.explained_variance),
        ]
