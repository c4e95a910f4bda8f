"""Trust Region Policy Optimization (ChainerRL's ``chainerrl.agents.TRPO``).

Schulman et al. 2015, "Trust Region Policy Optimization" (ICML; arXiv:1502.05477): every
``update_interval`` transitions the policy maximizes the surrogate objective
``mean(pi(a|s) / pi_old(a|s) A)`` subject to ``mean KL(pi_old || pi) <= max_kl``. The step
direction solves ``F x = g`` by conjugate gradient (Hestenes & Stiefel 1952; appendix C of the
paper), ``F`` the Fisher matrix (the Hessian of the mean KL), whose products with a vector come
from differentiating the KL's gradient again (double backprop, :func:`kusari.grad` with
``enable_double_backprop=True``); the step is scaled to meet the constraint to second order and
shortened by a backtracking line search until the surrogate improves and the KL constraint
holds. The value function, trained separately by regression on the GAE value targets
(Schulman et al. 2016), provides the advantages.

The pure pieces live at module level: :func:`conjugate_gradient` and
:func:`compute_surrogate_gain`.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable, Sequence
from logging import Logger, getLogger
from typing import Any

import numpy

import kusari
import kusari.functions as F
from kusari import backend
from kusari.backends.cuda import to_cpu
from kusari.variable import Variable
from kusari_rl.agents import _on_policy
from kusari_rl.misc.batch_states import batch_states as default_batch_states
from kusari_rl.misc.nonfinite import check_finite

__all__ = ["TRPO", "compute_surrogate_gain", "conjugate_gradient"]

_LOGGER = getLogger(__name__)


def conjugate_gradient(
    A_product_func: Callable[[Any], Any], b: Any, tol: float = 1e-10, max_iter: int = 10
) -> Any:
    """Solve ``A x = b`` for a symmetric positive-definite ``A`` by conjugate gradient.

    Hestenes & Stiefel 1952, "Methods of conjugate gradients for solving linear systems"; only
    products ``A v`` are needed, never ``A`` itself. Starts from ``x = 0`` and stops after
    ``max_iter`` iterations or once the squared residual norm is below ``tol``.

    Args:
        A_product_func: Returns ``A v`` for a vector ``v`` of ``b``'s shape.
        b: The right-hand side, a 1-D array (NumPy or CuPy).
        tol: Tolerance on the squared norm of the residual ``b - A x``.
        max_iter: The largest number of iterations.

    Returns:
        The approximate solution ``x``, an array like ``b``.

    Raises:
        ValueError: If ``b`` is not 1-D or ``max_iter < 1``.
    """
    if b.ndim != 1:
        raise ValueError(f"conjugate_gradient: b must be 1-D, got shape {b.shape}")
    if max_iter < 1:
        raise ValueError(f"conjugate_gradient: max_iter must be >= 1, got {max_iter}")
    xp = backend.get_array_module(b)
    x = xp.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rr = float(r @ r)
    for _ in range(max_iter):
        if rr < tol:
            break
        a_p = A_product_func(p)
        alpha = rr / float(p @ a_p)
        x += alpha * p
        r -= alpha * a_p
        rr_new = float(r @ r)
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x


def compute_surrogate_gain(
    log_probs: Variable,
    log_probs_old: Any,
    advantages: Any,
    entropy: Variable | None,
    entropy_coef: float,
) -> Variable:
    """TRPO's surrogate objective to maximize (Schulman et al. 2015, eq. 14), plus entropy.

    ``mean(exp(log_probs - log_probs_old) * advantages) + entropy_coef * mean(entropy)``.

    Args:
        log_probs: Log-probabilities of the taken actions under the current policy ``(B,)``.
        log_probs_old: Those under the policy that collected the data ``(B,)`` (an array).
        advantages: Advantage estimates ``(B,)`` (an array).
        entropy: Entropies ``(B,)``, or ``None`` when ``entropy_coef`` is 0.
        entropy_coef: Weight of the entropy bonus.

    Returns:
        A scalar Variable.

    Raises:
        ValueError: If the shapes differ, or ``entropy`` is missing with ``entropy_coef > 0``.
    """
    _on_policy.check_same_shape(
        "compute_surrogate_gain",
        "log_probs",
        log_probs,
        log_probs_old=log_probs_old,
        advantages=advantages,
    )
    gain = F.mean(F.exp(log_probs - log_probs_old) * advantages)
    if entropy_coef:
        if entropy is None:
            raise ValueError("compute_surrogate_gain: entropy is needed when entropy_coef > 0")
        gain = gain + F.mean(entropy) * entropy_coef
    return gain


def _flatten(xp: Any, arrays: Sequence[Any]) -> Any:
    return xp.concatenate([a.ravel() for a in arrays])


def _set_flat_params(params: Sequence[Any], flat: Any) -> None:
    offset = 0
    for param in params:
        size = param.array.size
        param.array[...] = flat[offset : offset + size].reshape(param.array.shape)
        offset += size


class TRPO(_on_policy.GAEAgent):
    """Trust Region Policy Optimization (Schulman et al. 2015) with GAE (Schulman et al. 2016).

    With ``N`` environments a rollout is ``ceil(update_interval / N)`` steps of each;
    single-environment training (:meth:`act_and_train`) is the case ``N = 1``.

    Args:
        policy: A link mapping states ``(B, ...)`` to a distribution; its forward pass must be
            twice differentiable (Kusari's functions are).
        vf: A V-function: states ``(B, ...)`` to values ``(B, 1)``.
        vf_optimizer: An optimizer already set up with ``vf``.
        obs_normalizer: An :class:`~kusari_rl.links.EmpiricalNormalization` for observations,
            updated with each rollout before the networks are, or ``None``.
        gamma: Discount factor in ``[0, 1]``.
        lambd: GAE's ``lambda`` in ``[0, 1]``.
        phi: Feature extractor applied to each observation.
        entropy_coef: Weight of the entropy bonus in the surrogate, ``>= 0``.
        update_interval: Transitions between updates.
        max_kl: The bound on the mean KL divergence of one policy step, ``> 0``.
        vf_epochs: Passes of the value function over each rollout.
        vf_batch_size: Minibatch size of the value function.
        standardize_advantages: Standardize the advantages of each rollout.
        batch_states: ``batch_states(states, xp, phi)`` making a batch from observations.
        recurrent: Recurrent models are not supported; must be ``False``.
        max_recurrent_sequence_len: Only for recurrent models; ignored.
        line_search_max_backtrack: Halvings of the step tried before giving the step up.
        conjugate_gradient_max_iter: Iterations of conjugate gradient.
        conjugate_gradient_damping: Added to the Fisher matrix's diagonal (``F + d I``).
        act_deterministically: Take the most probable action in :meth:`act`/:meth:`batch_act`.
        value_stats_window: Window of the ``average_value`` statistic.
        entropy_stats_window: Window of the ``average_entropy`` statistic.
        kl_stats_window: Window of the ``average_kl`` statistic.
        policy_step_size_stats_window: Window of the ``average_policy_step_size`` statistic.
        logger: Logger for the line search.

    Raises:
        ValueError: If a hyperparameter is out of range or the links are on different devices.
        TypeError: If an integer hyperparameter is not an int.
        NotImplementedError: If ``recurrent`` is true.

    Statistics (:meth:`get_statistics`): ``average_value``, ``average_entropy``,
    ``average_kl``, ``average_policy_step_size`` and ``explained_variance``.
    """

    saved_attributes = ("policy", "vf", "vf_optimizer", "obs_normalizer")

    def __init__(
        self,
        policy: Any,
        vf: Any,
        vf_optimizer: Any,
        obs_normalizer: Any = None,
        gamma: float = 0.99,
        lambd: float = 0.95,
        phi: Callable[[Any], Any] = lambda x: x,
        entropy_coef: float = 0.01,
        update_interval: int = 2048,
        max_kl: float = 0.01,
        vf_epochs: int = 3,
        vf_batch_size: int = 64,
        standardize_advantages: bool = True,
        batch_states: Callable[..., Any] = default_batch_states,
        recurrent: bool = False,
        max_recurrent_sequence_len: int | None = None,
        line_search_max_backtrack: int = 10,
        conjugate_gradient_max_iter: int = 10,
        conjugate_gradient_damping: float = 1e-2,
        act_deterministically: bool = False,
        value_stats_window: int = 1000,
        entropy_stats_window: int = 1000,
        kl_stats_window: int = 100,
        policy_step_size_stats_window: int = 100,
        logger: Logger = _LOGGER,
    ) -> None:
        owner = "TRPO"
        self._check_gae_arguments(owner, recurrent, gamma, lambd, entropy_coef)
        _on_policy.check_non_negative(owner, conjugate_gradient_damping=conjugate_gradient_damping)
        if not max_kl > 0:
            raise ValueError(f"TRPO: max_kl must be > 0, got {max_kl}")
        _on_policy.check_positive_int(
            owner,
            update_interval=update_interval,
            vf_epochs=vf_epochs,
            vf_batch_size=vf_batch_size,
            conjugate_gradient_max_iter=conjugate_gradient_max_iter,
        )
        if line_search_max_backtrack < 0:
            raise ValueError(
                f"TRPO: line_search_max_backtrack must be >= 0, got {line_search_max_backtrack}"
            )
        if policy.xp is not vf.xp:
            raise ValueError("TRPO: policy and vf must be on the same device")
        if obs_normalizer is not None and obs_normalizer.xp is not policy.xp:
            raise ValueError("TRPO: policy and obs_normalizer must be on the same device")
        self.policy = policy
        self.vf = vf
        self.vf_optimizer = vf_optimizer
        self.obs_normalizer = obs_normalizer
        self.gamma = gamma
        self.lambd = lambd
        self.phi = phi
        self.entropy_coef = entropy_coef
        self.update_interval = update_interval
        self.max_kl = max_kl
        self.vf_epochs = vf_epochs
        self.vf_batch_size = vf_batch_size
        self.standardize_advantages = standardize_advantages
        self.batch_states = batch_states
        self.recurrent = recurrent
        self.max_recurrent_sequence_len = max_recurrent_sequence_len
        self.line_search_max_backtrack = line_search_max_backtrack
        self.conjugate_gradient_max_iter = conjugate_gradient_max_iter
        self.conjugate_gradient_damping = conjugate_gradient_damping
        self.act_deterministically = act_deterministically
        self.logger = logger
        self.xp = policy.xp

        self._rollout = _on_policy.Rollout(owner, update_interval, self.xp)
        self.n_updates = 0
        self._init_statistics(value_stats_window, entropy_stats_window)
        self.kl_record: collections.deque = collections.deque(maxlen=kl_stats_window)
        self.policy_step_size_record: collections.deque = collections.deque(
            maxlen=policy_step_size_stats_window
        )

    # -- acting -----------------------------------------------------------------------------
    def _distribution(self, states: Any) -> Any:
        return self.policy(self._normalize(states))

    # -- learning ---------------------------------------------------------------------------
    def _update(self) -> None:
        flat_states = self._rollout.flat_states()
        with kusari.using_config("train", False), kusari.no_backprop_mode():
            flat_values = self.vf(self._normalize(flat_states)).array.ravel()
        states, actions, values, advantages, value_targets = self._take_rollout(
            flat_states, flat_values
        )
        self.value_record.extend(to_cpu(values).ravel().tolist())
        self.n_updates += 1
        self._update_policy(states, actions, advantages)
        self._update_vf(states, value_targets)

    def _gain(self, distrib: Any, actions: Any, log_probs_old: Any, advantages: Any) -> Variable:
        entropy = distrib.entropy if self.entropy_coef else None
        return compute_surrogate_gain(
            distrib.log_prob(actions), log_probs_old, advantages, entropy, self.entropy_coef
        )

    def _update_policy(self, states: Any, actions: Any, advantages: Any) -> None:
        xp = self.xp
        named_params = sorted(self.policy.namedparams(), key=lambda pair: pair[0])
        params = [param for _, param in named_params]
        distrib = self.policy(states)
        log_probs_old = distrib.log_prob(actions).array
        self.entropy_record.extend(to_cpu(distrib.entropy.array).tolist())
        gain = self._gain(distrib, actions, log_probs_old, advantages)
        check_finite(gain, f"TRPO surrogate gain at update {self.n_updates}")
        distrib_old = distrib.copy()
        kl = F.mean(distrib_old.kl(distrib))
        kl_grads = kusari.grad([kl], params, enable_double_backprop=True)
        missing = [name for (name, _), g in zip(named_params, kl_grads, strict=True) if g is None]
        if missing:
            raise ValueError(
                f"TRPO: the policy parameters {missing} get no gradient; remove unused "
                "parameters from the policy"
            )
        gain_grads = [
            xp.zeros_like(p.array) if g is None else g.array
            for p, g in zip(params, kusari.grad([gain], params), strict=True)
        ]
        flat_kl_grads = F.concat([F.flatten(g) for g in kl_grads], axis=0)
        damping = self.conjugate_gradient_damping

        def fisher_vector_product(vec: Any) -> Any:
            hvp = kusari.grad([F.sum(flat_kl_grads * vec)], params)
            return _flatten(xp, [g.array for g in hvp]) + damping * vec

        direction = conjugate_gradient(
            fisher_vector_product,
            _flatten(xp, gain_grads),
            max_iter=self.conjugate_gradient_max_iter,
        )
        # KL(old || old + a d) ~ a^2 d^T F d / 2, so a = sqrt(2 max_kl / d^T F d) meets the bound
        curvature = float(direction @ fisher_vector_product(direction))
        full_step = direction * math.sqrt(2.0 * self.max_kl / (curvature + 1e-8))
        self._line_search(
            params,
            full_step,
            states,
            actions,
            log_probs_old,
            advantages,
            distrib_old,
            float(gain.array),
        )

    def _line_search(
        self,
        params: list[Any],
        full_step: Any,
        states: Any,
        actions: Any,
        log_probs_old: Any,
        advantages: Any,
        distrib_old: Any,
        gain: float,
    ) -> None:
        xp = self.xp
        flat_params = _flatten(xp, [p.array for p in params])
        step_size = 1.0
        for i in range(self.line_search_max_backtrack + 1):
            _set_flat_params(params, flat_params + full_step * step_size)
            with kusari.using_config("train", False), kusari.no_backprop_mode():
                distrib = self.policy(states)
                new_gain = float(self._gain(distrib, actions, log_probs_old, advantages).array)
                new_kl = float(F.mean(distrib_old.kl(distrib)).array)
            improvement = new_gain - gain
            self.logger.debug(
                "TRPO line search %d: step size %s, improvement %s, KL %s",
                i,
                step_size,
                improvement,
                new_kl,
            )
            if (
                math.isfinite(new_gain)
                and math.isfinite(new_kl)
                and improvement >= 0
                and (new_kl <= self.max_kl)
            ):
                self.kl_record.append(new_kl)
                self.policy_step_size_record.append(step_size)
                return
            step_size *= 0.5
        self.logger.info("TRPO: the line search found no acceptable step; the policy is kept")
        self.policy_step_size_record.append(0.0)
        _set_flat_params(params, flat_params)

    def _update_vf(self, states: Any, value_targets: Any) -> None:
        n = len(states)
        for _ in range(self.vf_epochs):
            order = self.xp.asarray(numpy.random.permutation(n))
            for start in range(0, n, self.vf_batch_size):
                index = order[start : start + self.vf_batch_size]
                loss = F.mean_squared_error(self.vf(states[index]), value_targets[index])
                check_finite(loss, f"TRPO value loss at update {self.n_updates}")
                self.vf.cleargrads()
                loss.backward()
                self.vf_optimizer.update()

    def get_statistics(self) -> list[tuple[str, Any]]:
        """Return the statistics listed in the class docstring, as ``(name, value)`` pairs."""
        return [
            *self._value_and_entropy_statistics(),
            ("average_kl", _on_policy.mean_or_nan(self.kl_record)),
            ("average_policy_step_size", _on_policy.mean_or_nan(self.policy_step_size_record)),
            ("explained_variance", self.explained_variance),
        ]
