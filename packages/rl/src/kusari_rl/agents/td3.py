"""Twin Delayed Deep Deterministic policy gradient (TD3; ChainerRL's ``TD3``)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

import kusari
import kusari.functions as F
from kusari import backend
from kusari_rl.agents._off_policy import _minimize, _TwinCriticActorCritic
from kusari_rl.agents._replay_agent import _check_positive_int
from kusari_rl.misc.batch_states import batch_states as _default_batch_states
from kusari_rl.misc.copy_param import synchronize_parameters

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


class TD3(_TwinCriticActorCritic):
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

    _owner = "TD3"
    _loss_label = "TD3"
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
        _check_positive_int("TD3", "policy_update_delay", policy_update_delay)
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
            n_times_update=n_times_update,
            soft_update_tau=soft_update_tau,
            phi=phi,
            batch_states=batch_states,
            burnin_action_func=burnin_action_func,
            logger=logger,
        )
        self.explorer = explorer
        self.policy_update_delay = policy_update_delay
        self.target_policy_smoothing_func = target_policy_smoothing_func
        self.target_policy = copy.deepcopy(policy)

    def sync_target_network(self) -> None:
        """Move the three target networks towards their sources by ``soft_update_tau``."""
        synchronize_parameters(
            self.policy, self.target_policy, method="soft", tau=self.soft_update_tau
        )
        super().sync_target_network()

    def _compute_target_q(self, batch: dict[str, Any]) -> Any:
        """The clipped double-Q target (:func:`compute_td3_target`) at smoothed actions."""
        next_state = batch["next_state"]
        next_actions = self.target_policy_smoothing_func(
            self.target_policy(next_state).sample().array
        )
        next_q1, next_q2 = self._target_q_values(next_state, next_actions)
        return compute_td3_target(
            batch["reward"], batch["discount"], batch["is_state_terminal"], next_q1, next_q2
        )

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
        batch = self._batch_experiences(experiences)
        self.update_q_func(batch)
        if self.q_func1_optimizer.t % self.policy_update_delay == 0:
            self.update_policy(batch)
            self.sync_target_network()

    def get_statistics(self) -> list[tuple[str, Any]]:
        """Return the statistics as ``(name, value)`` pairs.

        ``average_q1`` and ``average_q2`` are means over the last 1000 predictions, the losses
        over the last 100 updates (NaN before the first); ``policy_n_updates`` and
        ``q_func_n_updates`` count the steps.
        """
        return [
            *self._critic_statistics(),
            ("policy_n_updates", int(self.policy_optimizer.t)),
            ("q_func_n_updates", int(self.q_func1_optimizer.t)),
        ]
