"""Soft Actor-Critic (SAC) with automatic entropy tuning (ChainerRL's ``SoftActorCritic``)."""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable
from typing import Any

import numpy

import kusari
import kusari.functions as F
from kusari import backend, optimizers
from kusari.backends import cuda
from kusari_rl.agents._off_policy import (
    _flat_q,
    _mean_or_nan,
    _minimize,
    _TwinCriticActorCritic,
)
from kusari_rl.agents._replay_agent import _to_device
from kusari_rl.misc.batch_states import batch_states as _default_batch_states

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


class SoftActorCritic(_TwinCriticActorCritic):
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

    _owner = "SoftActorCritic"
    _loss_label = "SAC"
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
        if not initial_temperature > 0:
            raise ValueError(
                f"SoftActorCritic: initial_temperature must be > 0, got {initial_temperature}"
            )
        self._init_twin_critics(
            (policy, q_func1, q_func2),
            (policy_optimizer, q_func1_optimizer, q_func2_optimizer),
            max_grad_norm,
            replay_buffer=replay_buffer,
            update_func=self.update,
            gamma=gamma,
            gpu=gpu,
            replay_start_size=replay_start_size,
            minibatch_size=minibatch_size,
            update_interval=update_interval,
            n_times_update=1,
            soft_update_tau=soft_update_tau,
            phi=phi,
            batch_states=batch_states,
            burnin_action_func=burnin_action_func,
            logger=logger,
        )
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
        self.entropy_record: collections.deque = collections.deque(maxlen=1000)

    @property
    def temperature(self) -> float:
        """The current entropy temperature ``alpha`` as a Python float."""
        if self.entropy_target is None:
            return float(self.initial_temperature)
        return float(numpy.exp(float(self.temperature_holder.log_temperature.array)))

    def _compute_target_q(self, batch: dict[str, Any]) -> Any:
        """The soft Bellman target (:func:`compute_sac_target`) at actions sampled now."""
        next_state = batch["next_state"]
        next_actions, next_log_prob = self.policy(next_state).sample_with_log_prob()
        next_q1, next_q2 = self._target_q_values(next_state, next_actions)
        return compute_sac_target(
            batch["reward"],
            batch["discount"],
            batch["is_state_terminal"],
            next_q1,
            next_q2,
            next_log_prob.array,
            self.temperature,
        )

    def _critic_loss(self, predict_q: kusari.Variable, target_q: Any) -> kusari.Variable:
        """Half the mean squared error (the soft Q objective ``J_Q``)."""
        return 0.5 * F.mean_squared_error(predict_q, target_q)

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
        batch = self._batch_experiences(experiences)
        self.update_q_func(batch)
        self.update_policy_and_temperature(batch)
        self.sync_target_network()

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
            *self._critic_statistics(),
            ("n_updates", int(self.policy_optimizer.t)),
            ("average_entropy", _mean_or_nan(self.entropy_record)),
            ("temperature", self.temperature),
        ]
