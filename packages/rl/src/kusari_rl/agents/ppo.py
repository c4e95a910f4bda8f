"""Proximal Policy Optimization (ChainerRL's ``chainerrl.agents.PPO``).

Schulman et al. 2017, "Proximal Policy Optimization Algorithms" (arXiv:1707.06347): the policy
maximizes the clipped surrogate objective ``E[min(r A, clip(r, 1 - eps, 1 + eps) A)]`` (eq. 7),
``r`` the probability ratio of the new and the old policy, over several epochs of minibatches
of one rollout, with advantages ``A`` from Generalized Advantage Estimation (Schulman et al. 2016,
"High-Dimensional Continuous Control Using Generalized Advantage Estimation", eq. 16).

The pure pieces live at module level so they can be tested on arrays: :func:`compute_gae`, the
losses :func:`clipped_surrogate_loss` and :func:`clipped_value_loss`, and
:func:`explained_variance` (GAE and the explained variance are shared with TRPO and A2C through
the private ``_on_policy`` module, which also holds the rollout and the acting code). A step
whose next state is terminal (gymnasium's ``terminated``) bootstraps nothing; a step whose
episode was only cut (``truncated``) bootstraps from the value of its own final observation.

Speed: the rollout lives in preallocated time-major arrays; acting runs one forward pass and
samples on arrays; an update runs one forward pass over the whole rollout (old log-probabilities,
values, bootstrap values), one vectorized GAE, then one forward and backward pass per minibatch.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

import numpy

import kusari
import kusari.functions as F
from kusari import backend
from kusari.backends.cuda import to_cpu
from kusari.function_node import FunctionNode
from kusari.variable import Variable
from kusari_rl.agents import _on_policy
from kusari_rl.agents._on_policy import compute_gae, explained_variance
from kusari_rl.misc.batch_states import batch_states as default_batch_states
from kusari_rl.misc.nonfinite import check_finite

__all__ = [
    "PPO",
    "clipped_surrogate_loss",
    "clipped_value_loss",
    "compute_gae",
    "explained_variance",
]


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
    _on_policy.check_same_shape(
        "clipped_surrogate_loss",
        "log_probs",
        log_probs,
        log_probs_old=log_probs_old,
        advantages=advantages,
    )
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
    _on_policy.check_same_shape("clipped_value_loss", "values", values, value_targets=value_targets)
    if clip_eps_vf is None:
        return F.mean_squared_error(values, value_targets)
    if not clip_eps_vf > 0:
        raise ValueError(f"clipped_value_loss: clip_eps_vf must be > 0 or None, got {clip_eps_vf}")
    _on_policy.check_same_shape("clipped_value_loss", "values", values, values_old=values_old)
    clipped = F.clip(values - values_old, -clip_eps_vf, clip_eps_vf) + values_old
    return F.mean(F.maximum(F.square(values - value_targets), F.square(clipped - value_targets)))


class PPO(_on_policy.GAEAgent):
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
        self._check_gae_arguments(owner, recurrent, gamma, lambd, entropy_coef)
        _on_policy.check_non_negative(owner, value_func_coef=value_func_coef)
        _on_policy.check_positive_int(
            owner, update_interval=update_interval, minibatch_size=minibatch_size, epochs=epochs
        )
        if not clip_eps > 0:
            raise ValueError(f"PPO: clip_eps must be > 0, got {clip_eps}")
        if clip_eps_vf is not None and not clip_eps_vf > 0:
            raise ValueError(f"PPO: clip_eps_vf must be > 0 or None, got {clip_eps_vf}")
        self.model = model
        self.optimizer = optimizer
        self.obs_normalizer = obs_normalizer
        _on_policy.to_gpu(gpu, model, obs_normalizer)
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

        self._rollout = _on_policy.Rollout(owner, update_interval, self.xp)
        self._init_statistics(value_stats_window, entropy_stats_window)
        self.value_loss_record: collections.deque = collections.deque(
            maxlen=value_loss_stats_window
        )
        self.policy_loss_record: collections.deque = collections.deque(
            maxlen=policy_loss_stats_window
        )

    # -- acting -----------------------------------------------------------------------------
    def _distribution(self, states: Any) -> Any:
        return self.model(self._normalize(states))[0]

    def _training_distribution(self, states: Any) -> Any:
        with kusari.using_config("train", False):
            distrib, values = self.model(self._normalize(states))
        self.value_record.extend(to_cpu(values.array).ravel().tolist())
        return distrib

    # -- learning ---------------------------------------------------------------------------
    def _update(self) -> None:
        rollout = self._rollout
        n = rollout.steps * rollout.num_envs
        flat_states = rollout.flat_states()
        with kusari.using_config("train", False), kusari.no_backprop_mode():
            distrib, flat_values = self.model(self._normalize(flat_states))
            log_probs_old = distrib.log_prob(rollout.flat_actions()).array[:n]
            self.entropy_record.extend(to_cpu(distrib.entropy.array[:n]).tolist())
        states, actions, values, advantages, value_targets = self._take_rollout(
            flat_states, flat_values.array.ravel()
        )
        data = (states, actions, log_probs_old, values, advantages, value_targets)
        xp = self.xp
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
            *self._value_and_entropy_statistics(),
            ("average_value_loss", _on_policy.mean_or_nan(self.value_loss_record)),
            ("average_policy_loss", _on_policy.mean_or_nan(self.policy_loss_record)),
            ("n_updates", int(self.optimizer.t)),
            ("explained_variance", self.explained_variance),
        ]
