"""Soft Actor-Critic (SAC) with automatic entropy tuning (ChainerRL's ``SoftActorCritic``)."""

from __future__ import annotations

import collections
import copy
import logging
from collections.abc import Callable
from typing import Any

import numpy

import kusari
import kusari.functions as F
from kusari import backend, optimizers
from kusari.backends import cuda
from kusari_rl.agents._off_policy import (
    _check_gamma,
    _check_max_grad_norm,
    _check_optimizer,
    _check_positive_int,
    _check_q,
    _check_tau,
    _flat_q,
    _mean_or_nan,
    _minimize,
    _OffPolicyActorCritic,
    _to_device,
)
from kusari_rl.misc.batch_states import batch_states as _default_batch_states
from kusari_rl.misc.copy_param import synchronize_parameters
from kusari_rl.replay_buffer import ReplayUpdater, batch_experiences

__all__ = [
    "SoftActorCritic",
    "TemperatureHolder",
    "compute_sac_policy_loss",
    "compute_sac_target",
    "compute_temperature_loss",
]


def compute_sac_target(
    reward: Any,
    discount: Any,
    is_state_terminal: Any,
    next_q1: Any,
    next_q2: Any,
    next_log_prob: Any,
    temperature: float,
) -> Any:
    """The soft Bellman target of SAC's Q-functions.

    ``y = r + discount * (1 - terminal) * (min(Q1'(s', a'), Q2'(s', a')) - alpha log pi(a'|s'))``
    with ``a' ~ pi(.|s')``: the target of the soft Q-function objective ``J_Q`` with the soft
    state value ``V(s') = E[Q(s', a') - alpha log pi(a'|s')]`` (Haarnoja et al. 2018, "Soft
    Actor-Critic Algorithms and Applications", Sec. 4), with the clipped double Q of Fujimoto
    et al. 2018. A terminal ``s'`` (gymnasium's ``terminated``) has value zero; a truncated
    episode's last ``s'`` is not terminal and is bootstrapped.

    Args:
        reward: Rewards (n-step returns), float32 array ``(B,)``.
        discount: ``gamma ** n`` per experience, float32 array ``(B,)`` (or a scalar).
        is_state_terminal: 1.0 where ``s'`` is terminal, else 0.0, float32 ``(B,)``.
        next_q1: Target Q-function 1 at ``(s', a')``, ``(B, 1)`` or ``(B,)``.
        next_q2: Target Q-function 2 at ``(s', a')``, ``(B, 1)`` or ``(B,)``.
        next_log_prob: ``log pi(a'|s')``, ``(B,)``.
        temperature: The entropy temperature ``alpha``.

    Returns:
        The targets, an array ``(B,)`` of ``reward``'s dtype.

    Raises:
        ValueError: If the sizes disagree.
    """
    xp = backend.get_array_module(reward)
    batch_size = reward.shape[0]
    for name, value in (
        ("next_q1", next_q1),
        ("next_q2", next_q2),
        ("next_log_prob", next_log_prob),
    ):
        if value.size != batch_size:
            raise ValueError(
                f"compute_sac_target: {name} must hold {batch_size} values (one per "
                f"experience), got shape {value.shape}"
            )
    next_q = xp.minimum(next_q1.reshape(batch_size), next_q2.reshape(batch_size))
    next_v = next_q - temperature * next_log_prob.reshape(batch_size)
    return reward + discount * (1.0 - is_state_terminal) * next_v


def compute_sac_policy_loss(
    q: kusari.Variable, log_prob: kusari.Variable, temperature: float
) -> kusari.Variable:
    """SAC's policy loss ``mean(alpha log pi(a|s) - Q(s, a))`` with ``a ~ pi(.|s)``.

    The policy objective ``J_pi`` of Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and
    Applications", Sec. 4, in its reparameterized form (``a`` differentiable in the policy's
    parameters).

    Args:
        q: ``min(Q1(s, a), Q2(s, a))``, Variable ``(B,)``.
        log_prob: ``log pi(a|s)``, Variable ``(B,)``.
        temperature: The entropy temperature ``alpha``.

    Returns:
        A scalar Variable.
    """
    return F.mean(temperature * log_prob - q)


def compute_temperature_loss(
    temperature: kusari.Variable, log_prob: Any, entropy_target: float
) -> kusari.Variable:
    """The loss of the entropy temperature ``J(alpha) = -mean(alpha (log pi(a|s) + H))``.

    Minimizing it raises ``alpha`` while the policy's entropy ``-mean(log pi)`` is below the
    target ``H`` and lowers it while above (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms
    and Applications", eqs. 17-18).

    Args:
        temperature: ``alpha`` as a scalar Variable (from :class:`TemperatureHolder`).
        log_prob: ``log pi(a|s)`` of actions just sampled, an array ``(B,)`` (not
            differentiated).
        entropy_target: The target entropy ``H`` (commonly ``-A`` for ``A`` action dimensions).

    Returns:
        A scalar Variable.
    """
    xp = backend.get_array_module(log_prob)
    return -temperature * xp.mean(log_prob + entropy_target).astype(temperature.dtype)


class TemperatureHolder(kusari.Link):
    """A link holding the entropy temperature as a learnable ``log_temperature``.

    Learning the logarithm keeps the temperature positive.

    Args:
        initial_log_temperature: The initial ``log(alpha)``.

    Attributes:
        log_temperature (~kusari.Parameter): ``log(alpha)``, a float32 scalar.
    """

    def __init__(self, initial_log_temperature: float = 0.0) -> None:
        super().__init__()
        with self.init_scope():
            self.log_temperature = kusari.Parameter(
                numpy.array(initial_log_temperature, dtype=numpy.float32)
            )

    def forward(self) -> kusari.Variable:
        """Return the temperature ``exp(log_temperature)`` as a scalar Variable."""
        return F.exp(self.log_temperature)


class SoftActorCritic(_OffPolicyActorCritic):
    """Soft Actor-Critic: a stochastic policy trained to maximize return plus entropy.

    Haarnoja et al., "Soft Actor-Critic Algorithms and Applications", 2018 (arXiv:1812.05905):
    two Q-functions with target copies averaged softly (clipped double Q), a reparameterized
    policy, and, with ``entropy_target``, a temperature learned so the policy's entropy stays
    near the target (eqs. 17-18). Each update trains the Q-functions on the soft Bellman target
    (:func:`compute_sac_target`), then the policy (:func:`compute_sac_policy_loss`), then the
    temperature (:func:`compute_temperature_loss`), then moves the targets by
    ``soft_update_tau``.

    Args:
        policy: A link mapping a batch of states ``(B, ...)`` to a distribution over actions
            with ``sample()``, ``sample_with_log_prob()`` and ``most_probable`` (e.g. a
            :class:`~kusari_rl.distribution.SquashedGaussianDistribution`).
        q_func1: A link ``(states (B, ...), actions (B, A)) -> Q (B, 1)``.
        q_func2: A second link like ``q_func1``, initialized independently.
        policy_optimizer: An optimizer set up with ``policy``.
        q_func1_optimizer: An optimizer set up with ``q_func1``.
        q_func2_optimizer: An optimizer set up with ``q_func2``.
        replay_buffer: A replay buffer (:class:`~kusari_rl.replay_buffers.ReplayBuffer`).
        gamma: The discount factor, in ``[0, 1]``.
        gpu: A GPU id to move the links to (``None`` or negative: stay on the CPU).
        replay_start_size: No update happens while the buffer holds fewer experiences.
        minibatch_size: The number of experiences per update.
        update_interval: One update every this many steps.
        phi: The feature extractor applied to observations.
        soft_update_tau: The rate of the targets' moving average, in ``(0, 1]``.
        max_grad_norm: If given, the gradients of each network are rescaled to at most this
            global L2 norm before each step.
        logger: The logger.
        batch_states: Stacks observations into a batch (:func:`kusari_rl.misc.batch_states`).
        burnin_action_func: If given, called (with no argument) for the actions taken before
            the first update, e.g. ``env.action_space.sample``.
        initial_temperature: The initial temperature ``alpha``; the fixed one when
            ``entropy_target`` is ``None``.
        entropy_target: The target entropy (e.g. ``-A``); ``None`` keeps the temperature fixed.
        temperature_optimizer: The temperature's optimizer (set up here); ``None`` uses Adam
            with its defaults.
        act_deterministically: Whether :meth:`act` takes the most probable action instead of
            a sample.

    Raises:
        ValueError: If a hyperparameter is out of range or an optimizer is not set up with its
            link.
    """

    saved_attributes = (
        "policy",
        "q_func1",
        "q_func2",
        "target_q_func1",
        "target_q_func2",
        "policy_optimizer",
        "q_func1_optimizer",
        "q_func2_optimizer",
        "temperature_holder",
        "temperature_optimizer",
    )

    def __init__(
        self,
        policy: kusari.Link,
        q_func1: kusari.Link,
        q_func2: kusari.Link,
        policy_optimizer: Any,
        q_func1_optimizer: Any,
        q_func2_optimizer: Any,
        replay_buffer: Any,
        gamma: float,
        gpu: int | None = None,
        replay_start_size: int = 10000,
        minibatch_size: int = 100,
        update_interval: int = 1,
        phi: Callable[[Any], Any] = lambda x: x,
        soft_update_tau: float = 5e-3,
        max_grad_norm: float | None = None,
        logger: logging.Logger = logging.getLogger(__name__),  # noqa: B008 (ChainerRL's default)
        batch_states: Callable[..., Any] = _default_batch_states,
        burnin_action_func: Callable[[], Any] | None = None,
        initial_temperature: float = 1.0,
        entropy_target: float | None = None,
        temperature_optimizer: Any = None,
        act_deterministically: bool = True,
    ) -> None:
        owner = "SoftActorCritic"
        _check_gamma(owner, gamma)
        _check_tau(owner, soft_update_tau)
        _check_max_grad_norm(owner, max_grad_norm)
        _check_positive_int(owner, "minibatch_size", minibatch_size)
        _check_positive_int(owner, "update_interval", update_interval)
        if not initial_temperature > 0:
            raise ValueError(f"{owner}: initial_temperature must be > 0, got {initial_temperature}")
        for name, opt, link in (
            ("policy_optimizer", policy_optimizer, policy),
            ("q_func1_optimizer", q_func1_optimizer, q_func1),
            ("q_func2_optimizer", q_func2_optimizer, q_func2),
        ):
            _check_optimizer(owner, name, opt, link)
        self.policy = policy
        self.q_func1 = q_func1
        self.q_func2 = q_func2
        _to_device(gpu, policy, q_func1, q_func2)
        self.gamma = gamma
        self.gpu = gpu
        self.soft_update_tau = soft_update_tau
        self.max_grad_norm = max_grad_norm
        self.policy_optimizer = policy_optimizer
        self.q_func1_optimizer = q_func1_optimizer
        self.q_func2_optimizer = q_func2_optimizer
        self.replay_updater = ReplayUpdater(
            replay_buffer=replay_buffer,
            update_func=self.update,
            batchsize=minibatch_size,
            episodic_update=False,
            n_times_update=1,
            replay_start_size=replay_start_size,
            update_interval=update_interval,
        )
        self._init_acting(replay_buffer, phi, batch_states, burnin_action_func, logger)
        self.initial_temperature = initial_temperature
        self.entropy_target = entropy_target
        if entropy_target is not None:
            self.temperature_holder = TemperatureHolder(float(numpy.log(initial_temperature)))
            _to_device(gpu, self.temperature_holder)
            self.temperature_optimizer = (
                temperature_optimizer if temperature_optimizer is not None else optimizers.Adam()
            )
            self.temperature_optimizer.setup(self.temperature_holder)
        else:
            self.temperature_holder = None
            self.temperature_optimizer = None
        self.act_deterministically = act_deterministically

        self.target_q_func1 = copy.deepcopy(q_func1)
        self.target_q_func2 = copy.deepcopy(q_func2)

        self.q1_record: collections.deque = collections.deque(maxlen=1000)
        self.q2_record: collections.deque = collections.deque(maxlen=1000)
        self.entropy_record: collections.deque = collections.deque(maxlen=1000)
        self.q_func1_loss_record: collections.deque = collections.deque(maxlen=100)
        self.q_func2_loss_record: collections.deque = collections.deque(maxlen=100)

    @property
    def temperature(self) -> float:
        """The current entropy temperature ``alpha`` as a Python float."""
        if self.entropy_target is None:
            return float(self.initial_temperature)
        return float(numpy.exp(float(self.temperature_holder.log_temperature.array)))

    def sync_target_network(self) -> None:
        """Move each target Q-function towards its Q-function by ``soft_update_tau``."""
        synchronize_parameters(
            self.q_func1, self.target_q_func1, method="soft", tau=self.soft_update_tau
        )
        synchronize_parameters(
            self.q_func2, self.target_q_func2, method="soft", tau=self.soft_update_tau
        )

    def update_q_func(self, batch: dict[str, Any]) -> None:
        """One step of each Q-function towards the soft Bellman target.

        Args:
            batch: The output of :func:`~kusari_rl.replay_buffer.batch_experiences`.
        """
        batch_size = batch["reward"].shape[0]
        next_state = batch["next_state"]
        with kusari.no_backprop_mode(), kusari.using_config("train", False):
            next_actions, next_log_prob = self.policy(next_state).sample_with_log_prob()
            next_q1 = self.target_q_func1(next_state, next_actions)
            next_q2 = self.target_q_func2(next_state, next_actions)
            target_q = compute_sac_target(
                batch["reward"],
                batch["discount"],
                batch["is_state_terminal"],
                next_q1.array,
                next_q2.array,
                next_log_prob.array,
                self.temperature,
            )
        state, action = batch["state"], batch["action"]
        predict_q1 = self.q_func1(state, action)
        _check_q("SoftActorCritic", predict_q1, batch_size)
        predict_q2 = self.q_func2(state, action)
        _check_q("SoftActorCritic", predict_q2, batch_size)
        loss1 = 0.5 * F.mean_squared_error(predict_q1, target_q.reshape(predict_q1.shape))
        loss2 = 0.5 * F.mean_squared_error(predict_q2, target_q.reshape(predict_q2.shape))

        n = self.q_func1_optimizer.t + 1
        _minimize(
            self.q_func1_optimizer, loss1, f"SAC q_func1 loss at update {n}", self.max_grad_norm
        )
        _minimize(
            self.q_func2_optimizer, loss2, f"SAC q_func2 loss at update {n}", self.max_grad_norm
        )
        self.q1_record.extend(cuda.to_cpu(predict_q1.array).ravel().tolist())
        self.q2_record.extend(cuda.to_cpu(predict_q2.array).ravel().tolist())
        self.q_func1_loss_record.append(float(loss1.array))
        self.q_func2_loss_record.append(float(loss2.array))

    def update_policy_and_temperature(self, batch: dict[str, Any]) -> None:
        """One step of the policy on :func:`compute_sac_policy_loss`, then of the temperature.

        Args:
            batch: The output of :func:`~kusari_rl.replay_buffer.batch_experiences`.
        """
        state = batch["state"]
        batch_size = batch["reward"].shape[0]
        action_distrib = self.policy(state)
        actions, log_prob = action_distrib.sample_with_log_prob()
        q = F.minimum(self.q_func1(state, actions), self.q_func2(state, actions))
        q = _flat_q("SoftActorCritic", q, batch_size)
        loss = compute_sac_policy_loss(q, log_prob, self.temperature)
        n = self.policy_optimizer.t + 1
        _minimize(self.policy_optimizer, loss, f"SAC policy loss at update {n}", self.max_grad_norm)

        if self.entropy_target is not None:
            temperature_loss = compute_temperature_loss(
                self.temperature_holder(), log_prob.array, self.entropy_target
            )
            _minimize(
                self.temperature_optimizer, temperature_loss, f"SAC temperature loss at update {n}"
            )

        with kusari.no_backprop_mode():
            try:
                entropy = action_distrib.entropy.array
            except NotImplementedError:
                entropy = -log_prob.array
        self.entropy_record.extend(cuda.to_cpu(entropy).tolist())

    def update(self, experiences: list[Any], errors_out: Any = None) -> None:
        """Update the Q-functions, the policy, the temperature and the targets once.

        Args:
            experiences: Sampled experiences (lists of transitions), see
                :func:`~kusari_rl.replay_buffer.batch_experiences`.
            errors_out: Unused (for prioritized buffers' interface).

        Raises:
            NonFiniteError: If a loss is NaN or infinite.
        """
        batch = batch_experiences(
            experiences, self.xp, self.phi, self.gamma, batch_states=self.batch_states
        )
        self.update_q_func(batch)
        self.update_policy_and_temperature(batch)
        self.sync_target_network()

    def _n_policy_updates(self) -> int:
        return self.policy_optimizer.t

    def _training_actions(self, batch_xs: Any) -> list[Any]:
        return list(cuda.to_cpu(self.policy(batch_xs).sample().array))

    def _evaluation_actions(self, batch_xs: Any) -> list[Any]:
        distrib = self.policy(batch_xs)
        action = distrib.most_probable if self.act_deterministically else distrib.sample()
        return list(cuda.to_cpu(action.array))

    def get_statistics(self) -> list[tuple[str, Any]]:
        """Return the statistics as ``(name, value)`` pairs.

        ``average_q1``, ``average_q2`` and ``average_entropy`` are means over the last 1000
        predictions, the losses over the last 100 updates (NaN before the first);
        ``n_updates`` counts the policy steps; ``temperature`` is the current ``alpha``.
        """
        return [
            ("average_q1", _mean_or_nan(self.q1_record)),
            ("average_q2", _mean_or_nan(self.q2_record)),
            ("average_q_func1_loss", _mean_or_nan(self.q_func1_loss_record)),
            ("average_q_func2_loss", _mean_or_nan(self.q_func2_loss_record)),
            ("n_updates", int(self.policy_optimizer.t)),
            ("average_entropy", _mean_or_nan(self.entropy_record)),
            ("temperature", self.temperature),
        ]
