"""Twin Delayed Deep Deterministic policy gradient (TD3; ChainerRL's ``TD3``)."""

from __future__ import annotations

import collections
import copy
import logging
from collections.abc import Callable
from typing import Any

import kusari
import kusari.functions as F
from kusari import backend
from kusari.backends import cuda
from kusari_rl.agents._off_policy import (
    _check_gamma,
    _check_max_grad_norm,
    _check_optimizer,
    _check_positive_int,
    _check_q,
    _check_tau,
    _mean_or_nan,
    _minimize,
    _OffPolicyActorCritic,
    _to_device,
)
from kusari_rl.misc.batch_states import batch_states as _default_batch_states
from kusari_rl.misc.copy_param import synchronize_parameters
from kusari_rl.replay_buffer import ReplayUpdater, batch_experiences

__all__ = ["TD3", "compute_td3_target", "default_target_policy_smoothing_func"]


def default_target_policy_smoothing_func(batch_action: Any) -> Any:
    """Target policy smoothing: add noise ``clip(N(0, 0.2), -0.5, 0.5)``, then clip to ``[-1, 1]``.

    Fujimoto et al. 2018, "Addressing Function Approximation Error in Actor-Critic Methods",
    Sec. 5.3 and Algorithm 1, with the noise of their experiments (the actions are assumed
    normalized to ``[-1, 1]``). The noise is drawn from the global generator of
    ``batch_action``'s array module.

    Args:
        batch_action: Target policy actions, float array ``(B, A)``.

    Returns:
        The smoothed actions, an array of the same shape and dtype.
    """
    xp = backend.get_array_module(batch_action)
    noise = xp.random.normal(0.0, 0.2, size=batch_action.shape).astype(batch_action.dtype)
    xp.clip(noise, -0.5, 0.5, out=noise)
    noise += batch_action
    return xp.clip(noise, -1.0, 1.0, out=noise)


def compute_td3_target(
    reward: Any, discount: Any, is_state_terminal: Any, next_q1: Any, next_q2: Any
) -> Any:
    """The clipped double-Q target ``y = r + discount * (1 - terminal) * min(Q1', Q2')``.

    ``Q1'`` and ``Q2'`` are the target Q-functions at ``(s', a')`` with ``a'`` the smoothed
    target policy action (Fujimoto et al. 2018, Sec. 4.2 and Algorithm 1). A terminal ``s'``
    (gymnasium's ``terminated``) has value zero; a truncated episode's last ``s'`` is not
    terminal and is bootstrapped.

    Args:
        reward: Rewards (n-step returns), float32 array ``(B,)``.
        discount: ``gamma ** n`` per experience, float32 ``(B,)`` (or a scalar).
        is_state_terminal: 1.0 where ``s'`` is terminal, else 0.0, float32 ``(B,)``.
        next_q1: Target Q-function 1 at ``(s', a')``, ``(B, 1)`` or ``(B,)``.
        next_q2: Target Q-function 2 at ``(s', a')``, ``(B, 1)`` or ``(B,)``.

    Returns:
        The targets, an array ``(B,)`` of ``reward``'s dtype.

    Raises:
        ValueError: If the sizes disagree.
    """
    xp = backend.get_array_module(reward)
    batch_size = reward.shape[0]
    for name, value in (("next_q1", next_q1), ("next_q2", next_q2)):
        if value.size != batch_size:
            raise ValueError(
                f"compute_td3_target: {name} must hold {batch_size} values (one per "
                f"experience), got shape {value.shape}"
            )
    next_q = xp.minimum(next_q1.reshape(batch_size), next_q2.reshape(batch_size))
    return reward + discount * (1.0 - is_state_terminal) * next_q


class TD3(_OffPolicyActorCritic):
    """Twin Delayed DDPG: DDPG with clipped double Q, delayed policy updates and smoothing.

    Fujimoto et al., "Addressing Function Approximation Error in Actor-Critic Methods", ICML
    2018. Every update trains both Q-functions on :func:`compute_td3_target`, whose next action
    comes from the target policy with noise (``target_policy_smoothing_func``); every
    ``policy_update_delay``-th update also trains the policy to maximize ``Q1(s, pi(s))`` and
    moves the three target networks by ``soft_update_tau``.

    Args:
        policy: A link mapping states ``(B, ...)`` to a deterministic distribution over
            actions in ``[-1, 1]`` (e.g. :class:`~kusari_rl.policies.FCDeterministicPolicy`).
        q_func1: A link ``(states (B, ...), actions (B, A)) -> Q (B, 1)``.
        q_func2: A second link like ``q_func1``, initialized independently.
        policy_optimizer: An optimizer set up with ``policy``.
        q_func1_optimizer: An optimizer set up with ``q_func1``.
        q_func2_optimizer: An optimizer set up with ``q_func2``.
        replay_buffer: A replay buffer (:class:`~kusari_rl.replay_buffers.ReplayBuffer`).
        gamma: The discount factor, in ``[0, 1]``.
        explorer: Adds exploration to the training actions (e.g.
            :class:`~kusari_rl.explorers.AdditiveGaussian`).
        gpu: A GPU id to move the links to (``None`` or negative: stay on the CPU).
        replay_start_size: No update happens while the buffer holds fewer experiences.
        minibatch_size: The number of experiences per update.
        update_interval: One update every this many steps.
        phi: The feature extractor applied to observations.
        soft_update_tau: The rate of the targets' moving average, in ``(0, 1]``.
        n_times_update: How many updates run each time one is due.
        max_grad_norm: If given, the gradients of each network are rescaled to at most this
            global L2 norm before each step.
        logger: The logger.
        batch_states: Stacks observations into a batch (:func:`kusari_rl.misc.batch_states`).
        burnin_action_func: If given, called (with no argument) for the actions taken before
            the first policy update, e.g. ``env.action_space.sample``.
        policy_update_delay: The policy and the targets are updated once every this many
            Q-function updates.
        target_policy_smoothing_func: Maps the target policy's actions ``(B, A)`` to the
            actions the target is computed at.

    Raises:
        ValueError: If a hyperparameter is out of range or an optimizer is not set up with its
            link.
    """

    saved_attributes = (
        "policy",
        "q_func1",
        "q_func2",
        "target_policy",
        "target_q_func1",
        "target_q_func2",
        "policy_optimizer",
        "q_func1_optimizer",
        "q_func2_optimizer",
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
        explorer: Any,
        gpu: int | None = None,
        replay_start_size: int = 10000,
        minibatch_size: int = 100,
        update_interval: int = 1,
        phi: Callable[[Any], Any] = lambda x: x,
        soft_update_tau: float = 5e-3,
        n_times_update: int = 1,
        max_grad_norm: float | None = None,
        logger: logging.Logger = logging.getLogger(__name__),  # noqa: B008 (ChainerRL's default)
        batch_states: Callable[..., Any] = _default_batch_states,
        burnin_action_func: Callable[[], Any] | None = None,
        policy_update_delay: int = 2,
        target_policy_smoothing_func: Callable[[Any], Any] = (default_target_policy_smoothing_func),
    ) -> None:
        owner = "TD3"
        _check_gamma(owner, gamma)
        _check_tau(owner, soft_update_tau)
        _check_max_grad_norm(owner, max_grad_norm)
        _check_positive_int(owner, "minibatch_size", minibatch_size)
        _check_positive_int(owner, "update_interval", update_interval)
        _check_positive_int(owner, "n_times_update", n_times_update)
        _check_positive_int(owner, "policy_update_delay", policy_update_delay)
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
        self.explorer = explorer
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
            n_times_update=n_times_update,
            replay_start_size=replay_start_size,
            update_interval=update_interval,
        )
        self._init_acting(replay_buffer, phi, batch_states, burnin_action_func, logger)
        self.policy_update_delay = policy_update_delay
        self.target_policy_smoothing_func = target_policy_smoothing_func

        self.target_policy = copy.deepcopy(policy)
        self.target_q_func1 = copy.deepcopy(q_func1)
        self.target_q_func2 = copy.deepcopy(q_func2)

        self.q1_record: collections.deque = collections.deque(maxlen=1000)
        self.q2_record: collections.deque = collections.deque(maxlen=1000)
        self.q_func1_loss_record: collections.deque = collections.deque(maxlen=100)
        self.q_func2_loss_record: collections.deque = collections.deque(maxlen=100)

    def sync_target_network(self) -> None:
        """Move the three target networks towards their sources by ``soft_update_tau``."""
        tau = self.soft_update_tau
        synchronize_parameters(self.policy, self.target_policy, method="soft", tau=tau)
        synchronize_parameters(self.q_func1, self.target_q_func1, method="soft", tau=tau)
        synchronize_parameters(self.q_func2, self.target_q_func2, method="soft", tau=tau)

    def update_q_func(self, batch: dict[str, Any]) -> None:
        """One step of each Q-function towards the clipped double-Q target.

        Args:
            batch: The output of :func:`~kusari_rl.replay_buffer.batch_experiences`.
        """
        batch_size = batch["reward"].shape[0]
        next_state = batch["next_state"]
        with kusari.no_backprop_mode(), kusari.using_config("train", False):
            next_actions = self.target_policy_smoothing_func(
                self.target_policy(next_state).sample().array
            )
            next_q1 = self.target_q_func1(next_state, next_actions)
            next_q2 = self.target_q_func2(next_state, next_actions)
            target_q = compute_td3_target(
                batch["reward"],
                batch["discount"],
                batch["is_state_terminal"],
                next_q1.array,
                next_q2.array,
            )
        state, action = batch["state"], batch["action"]
        predict_q1 = self.q_func1(state, action)
        _check_q("TD3", predict_q1, batch_size)
        predict_q2 = self.q_func2(state, action)
        _check_q("TD3", predict_q2, batch_size)
        loss1 = F.mean_squared_error(predict_q1, target_q.reshape(predict_q1.shape))
        loss2 = F.mean_squared_error(predict_q2, target_q.reshape(predict_q2.shape))

        n = self.q_func1_optimizer.t + 1
        _minimize(
            self.q_func1_optimizer, loss1, f"TD3 q_func1 loss at update {n}", self.max_grad_norm
        )
        _minimize(
            self.q_func2_optimizer, loss2, f"TD3 q_func2 loss at update {n}", self.max_grad_norm
        )
        self.q1_record.extend(cuda.to_cpu(predict_q1.array).ravel().tolist())
        self.q2_record.extend(cuda.to_cpu(predict_q2.array).ravel().tolist())
        self.q_func1_loss_record.append(float(loss1.array))
        self.q_func2_loss_record.append(float(loss2.array))

    def update_policy(self, batch: dict[str, Any]) -> None:
        """One step of the policy to maximize ``Q1(s, pi(s))`` (loss ``-mean(Q1)``).

        Args:
            batch: The output of :func:`~kusari_rl.replay_buffer.batch_experiences`.
        """
        state = batch["state"]
        q = self.q_func1(state, self.policy(state).sample())
        loss = -F.mean(q)
        n = self.policy_optimizer.t + 1
        _minimize(self.policy_optimizer, loss, f"TD3 policy loss at update {n}", self.max_grad_norm)

    def update(self, experiences: list[Any], errors_out: Any = None) -> None:
        """Update the Q-functions and, every ``policy_update_delay`` updates, the policy.

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
        if self.q_func1_optimizer.t % self.policy_update_delay == 0:
            self.update_policy(batch)
            self.sync_target_network()

    def _n_policy_updates(self) -> int:
        return self.policy_optimizer.t

    def _training_actions(self, batch_xs: Any) -> list[Any]:
        greedy = cuda.to_cpu(self.policy(batch_xs).sample().array)
        return [self.explorer.select_action(self.t, lambda a=a: a) for a in greedy]

    def _evaluation_actions(self, batch_xs: Any) -> list[Any]:
        return list(cuda.to_cpu(self.policy(batch_xs).sample().array))

    def get_statistics(self) -> list[tuple[str, Any]]:
        """Return the statistics as ``(name, value)`` pairs.

        ``average_q1`` and ``average_q2`` are means over the last 1000 predictions, the losses
        over the last 100 updates (NaN before the first); ``policy_n_updates`` and
        ``q_func_n_updates`` count the steps.
        """
        return [
            ("average_q1", _mean_or_nan(self.q1_record)),
            ("average_q2", _mean_or_nan(self.q2_record)),
            ("average_q_func1_loss", _mean_or_nan(self.q_func1_loss_record)),
            ("average_q_func2_loss", _mean_or_nan(self.q_func2_loss_record)),
            ("policy_n_updates", int(self.policy_optimizer.t)),
            ("q_func_n_updates", int(self.q_func1_optimizer.t)),
        ]
