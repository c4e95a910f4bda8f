"""What DDPG, TD3 and SAC share: checks, acting, twin critics and one optimizer step.

The three agents act the same way in one or in a batch of environments and store their
transitions as every replay agent does (:class:`~kusari_rl.agents._replay_agent._ReplayAgent`);
TD3 and SAC also train two Q-functions the same way (:class:`_TwinCriticActorCritic`). They
differ in how an action is picked, in the critics' target and in the policy's update.
"""

from __future__ import annotations

import abc
import collections
import copy
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy

import kusari
import kusari.functions as F
from kusari.backends import cuda
from kusari.optimizer_hooks import GradientClipping
from kusari_rl.agents._replay_agent import (
    _check_gamma,
    _check_positive_int,
    _ReplayAgent,
    _to_device,
)
from kusari_rl.misc.copy_param import synchronize_parameters
from kusari_rl.misc.nonfinite import check_finite


def _mean_or_nan(values: Iterable[float]) -> float:
    """The mean of ``values`` as a Python float, NaN when there are none."""
    values = list(values)
    return float(numpy.mean(values)) if values else float("nan")


def _check_tau(owner: str, tau: float) -> None:
    if not 0.0 < tau <= 1.0:
        raise ValueError(f"{owner}: soft_update_tau must be in (0, 1], got {tau}")


def _check_max_grad_norm(owner: str, max_grad_norm: float | None) -> None:
    if max_grad_norm is not None and not max_grad_norm > 0:
        raise ValueError(f"{owner}: max_grad_norm must be None or > 0, got {max_grad_norm}")


def _check_optimizer(owner: str, name: str, optimizer: Any, link: kusari.Link) -> None:
    target = getattr(optimizer, "target", None)
    if target is None:
        raise ValueError(f"{owner}: {name} must be set up (optimizer.setup(link)) first")
    if target is not link:
        raise ValueError(
            f"{owner}: {name} is set up with a {type(target).__name__}, not with the link it "
            "should train"
        )


def _check_q(owner: str, q: kusari.Variable, batch_size: int) -> None:
    """Check that a Q-function returned one value per state-action pair."""
    if q.size != batch_size:
        raise ValueError(
            f"{owner}: a Q-function must return one value per state-action pair (shape "
            f"({batch_size}, 1) or ({batch_size},)), got shape {q.shape}"
        )


def _flat_q(owner: str, q: kusari.Variable, batch_size: int) -> kusari.Variable:
    """Check ``q`` as :func:`_check_q` does and flatten it to ``(B,)``."""
    _check_q(owner, q, batch_size)
    return q.reshape(batch_size) if q.ndim != 1 else q


def _minimize(
    optimizer: Any, loss: kusari.Variable, what: str, max_grad_norm: float | None = None
) -> None:
    """Take one step of ``optimizer`` on ``loss`` after checking that ``loss`` is finite.

    Only the gradients of the optimizer's own parameters are computed: ``kusari.grad`` runs
    backward only where one of them lies upstream, so an actor loss that goes through a
    Q-function costs no weight gradients of the Q-function (one big matrix product per layer
    saved) and leaves its ``grad`` alone.

    Raises:
        NonFiniteError: If ``loss`` is NaN or infinite.
    """
    check_finite(loss, what)
    params = list(optimizer.target.params(False))
    kusari.grad([loss], params, set_grad=True)
    if max_grad_norm is not None:
        GradientClipping(max_grad_norm)(optimizer)
    optimizer.update()


class _OffPolicyActorCritic(_ReplayAgent):
    """Set-up and acting of an off-policy actor-critic agent.

    A subclass names itself in ``_owner`` (error messages) and ``_loss_label`` (non-finite loss
    messages), sets ``self.policy`` before calling :meth:`_init_off_policy`, and implements
    :meth:`_n_policy_updates` and ``update(experiences, errors_out=None)``. The default
    training and evaluation actions are those of a deterministic policy with an explorer
    (DDPG, TD3).
    """

    _owner: str
    _loss_label: str

    def _init_off_policy(
        self,
        trained: Sequence[tuple[str, kusari.Link, Any]],
        *,
        replay_buffer: Any,
        update_func: Callable[[Any], Any],
        gamma: float,
        gpu: int | None,
        replay_start_size: int,
        minibatch_size: int,
        update_interval: int,
        n_times_update: int,
        soft_update_tau: float,
        phi: Callable[[Any], Any],
        batch_states: Callable[..., Any],
        burnin_action_func: Callable[[], Any] | None,
        logger: logging.Logger,
        episodic_update: bool = False,
        episodic_update_len: int | None = None,
    ) -> None:
        """Check the common arguments, move the links to ``gpu`` and set up replay and acting.

        ``trained`` holds ``(optimizer argument name, link, optimizer)`` for each trained link;
        the other arguments are the agents' constructor arguments of the same names.

        Raises:
            ValueError: If an argument is out of range or an optimizer is not set up with its
                link.
        """
        owner = self._owner
        _check_gamma(owner, gamma)
        _check_tau(owner, soft_update_tau)
        for name, value in (
            ("minibatch_size", minibatch_size),
            ("update_interval", update_interval),
            ("n_times_update", n_times_update),
        ):
            _check_positive_int(owner, name, value)
        for name, link, optimizer in trained:
            _check_optimizer(owner, name, optimizer, link)
        _to_device(gpu, *(link for _, link, _ in trained))
        self.gamma = gamma
        self.gpu = gpu
        self.soft_update_tau = soft_update_tau
        self.phi = phi
        self.batch_states = batch_states
        self.burnin_action_func = burnin_action_func
        self.logger = logger
        self.xp = self.policy.xp
        self._init_replay(
            replay_buffer,
            update_func,
            minibatch_size=minibatch_size,
            n_times_update=n_times_update,
            replay_start_size=replay_start_size,
            update_interval=update_interval,
            episodic_update=episodic_update,
            episodic_update_len=episodic_update_len,
        )

    @abc.abstractmethod
    def _n_policy_updates(self) -> int:
        """The number of policy updates so far (burn-in actions are taken while it is 0)."""

    def _training_actions(self, batch_xs: Any) -> list[Any]:
        """Training actions, one per row of ``batch_xs``: the policy's, through the explorer."""
        greedy = cuda.to_cpu(self.policy(batch_xs).sample().array)
        return [self.explorer.select_action(self.t, lambda a=a: a) for a in greedy]

    def _evaluation_actions(self, batch_xs: Any) -> list[Any]:
        """Evaluation actions, one per row of ``batch_xs``: the policy's."""
        return list(cuda.to_cpu(self.policy(batch_xs).sample().array))

    def _actions(self, batch_obs: Sequence[Any], training: bool) -> list[Any]:
        with kusari.no_backprop_mode(), kusari.using_config("train", False):
            batch_xs = self.batch_states(batch_obs, self.xp, self.phi)
            if training:
                return self._training_actions(batch_xs)
            return self._evaluation_actions(batch_xs)

    def _burning_in(self) -> bool:
        return self.burnin_action_func is not None and self._n_policy_updates() == 0

    def _select_training_action(self, obs: Any) -> Any:
        if self._burning_in():
            return self.burnin_action_func()
        return self._actions([obs], training=True)[0]

    def _select_training_actions(self, batch_obs: Sequence[Any]) -> list[Any]:
        if self._burning_in():
            return [self.burnin_action_func() for _ in range(len(batch_obs))]
        return self._actions(batch_obs, training=True)

    def act(self, obs: Any) -> Any:
        """Pick an evaluation action for ``obs`` (no exploration, no learning).

        Returns:
            An array of shape ``(A,)``.
        """
        return self._actions([obs], training=False)[0]

    def batch_act(self, batch_obs: Sequence[Any]) -> list[Any]:
        """Pick one evaluation action per environment.

        Returns:
            One array of shape ``(A,)`` per environment.
        """
        return self._actions(batch_obs, training=False)

    def stop_episode(self) -> None:
        """End the current episode: forget the last state and close it in the replay buffer."""
        self._end_episode()


class _TwinCriticActorCritic(_OffPolicyActorCritic):
    """Two Q-functions trained towards one target, with soft target copies (TD3, SAC).

    Fujimoto et al. 2018's clipped double Q. A subclass calls :meth:`_init_twin_critics` and
    implements :meth:`_compute_target_q`; it may override :meth:`_critic_loss`.
    """

    def _init_twin_critics(
        self,
        links: tuple[kusari.Link, kusari.Link, kusari.Link],
        link_optimizers: tuple[Any, Any, Any],
        max_grad_norm: float | None,
        **off_policy_args: Any,
    ) -> None:
        """Check and store the networks and optimizers, copy the targets, start the records.

        ``links`` are the policy and the two Q-functions, ``link_optimizers`` their
        optimizers; ``off_policy_args`` go to :meth:`_init_off_policy`.

        Raises:
            ValueError: If an argument is out of range or an optimizer is not set up with its
                link.
        """
        _check_max_grad_norm(self._owner, max_grad_norm)
        policy, q_func1, q_func2 = links
        policy_optimizer, q_func1_optimizer, q_func2_optimizer = link_optimizers
        self.policy = policy
        self.q_func1 = q_func1
        self.q_func2 = q_func2
        self._init_off_policy(
            (
                ("policy_optimizer", policy, policy_optimizer),
                ("q_func1_optimizer", q_func1, q_func1_optimizer),
                ("q_func2_optimizer", q_func2, q_func2_optimizer),
            ),
            **off_policy_args,
        )
        self.max_grad_norm = max_grad_norm
        self.policy_optimizer = policy_optimizer
        self.q_func1_optimizer = q_func1_optimizer
        self.q_func2_optimizer = q_func2_optimizer
        self.target_q_func1 = copy.deepcopy(q_func1)
        self.target_q_func2 = copy.deepcopy(q_func2)
        self.q1_record: collections.deque = collections.deque(maxlen=1000)
        self.q2_record: collections.deque = collections.deque(maxlen=1000)
        self.q_func1_loss_record: collections.deque = collections.deque(maxlen=100)
        self.q_func2_loss_record: collections.deque = collections.deque(maxlen=100)

    @abc.abstractmethod
    def _compute_target_q(self, batch: dict[str, Any]) -> Any:
        """The critics' targets ``(B,)`` for ``batch`` (called without backprop)."""

    def _target_q_values(self, next_state: Any, next_actions: Any) -> tuple[Any, Any]:
        """Both target Q-functions at ``(next_state, next_actions)``, as arrays."""
        return (
            self.target_q_func1(next_state, next_actions).array,
            self.target_q_func2(next_state, next_actions).array,
        )

    def _critic_loss(self, predict_q: kusari.Variable, target_q: Any) -> kusari.Variable:
        """A critic's loss: the mean squared error of its predictions."""
        return F.mean_squared_error(predict_q, target_q)

    def update_q_func(self, batch: dict[str, Any]) -> None:
        """One step of each Q-function towards the agent's target.

        Args:
            batch: The output of :func:`~kusari_rl.replay_buffer.batch_experiences`.

        Raises:
            NonFiniteError: If a loss is NaN or infinite.
        """
        batch_size = batch["reward"].shape[0]
        with kusari.no_backprop_mode(), kusari.using_config("train", False):
            target_q = self._compute_target_q(batch)
        state, action = batch["state"], batch["action"]
        predict_q1 = self.q_func1(state, action)
        _check_q(self._owner, predict_q1, batch_size)
        predict_q2 = self.q_func2(state, action)
        _check_q(self._owner, predict_q2, batch_size)
        loss1 = self._critic_loss(predict_q1, target_q.reshape(predict_q1.shape))
        loss2 = self._critic_loss(predict_q2, target_q.reshape(predict_q2.shape))

        n = self.q_func1_optimizer.t + 1
        label = self._loss_label
        _minimize(
            self.q_func1_optimizer, loss1, f"{label} q_func1 loss at update {n}", self.max_grad_norm
        )
        _minimize(
            self.q_func2_optimizer, loss2, f"{label} q_func2 loss at update {n}", self.max_grad_norm
        )
        self.q1_record.extend(cuda.to_cpu(predict_q1.array).ravel().tolist())
        self.q2_record.extend(cuda.to_cpu(predict_q2.array).ravel().tolist())
        self.q_func1_loss_record.append(float(loss1.array))
        self.q_func2_loss_record.append(float(loss2.array))

    def sync_target_network(self) -> None:
        """Move each target Q-function towards its Q-function by ``soft_update_tau``."""
        tau = self.soft_update_tau
        synchronize_parameters(self.q_func1, self.target_q_func1, method="soft", tau=tau)
        synchronize_parameters(self.q_func2, self.target_q_func2, method="soft", tau=tau)

    def _n_policy_updates(self) -> int:
        return self.policy_optimizer.t

    def _critic_statistics(self) -> list[tuple[str, float]]:
        """The critics' statistics: mean predictions (last 1000) and losses (last 100)."""
        return [
            ("average_q1", _mean_or_nan(self.q1_record)),
            ("average_q2", _mean_or_nan(self.q2_record)),
            ("average_q_func1_loss", _mean_or_nan(self.q_func1_loss_record)),
            ("average_q_func2_loss", _mean_or_nan(self.q_func2_loss_record)),
        ]
