"""What DDPG, TD3 and SAC share: acting, replay bookkeeping and one optimizer step.

The three agents act the same way in one or in a batch of environments, store the same
transitions in their replay buffer and let a :class:`~kusari_rl.replay_buffer.ReplayUpdater`
decide when to learn; they differ only in how an action is picked and in ``update``.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy

import kusari
from kusari.optimizer_hooks import GradientClipping
from kusari_rl.agent import AttributeSavingMixin, BatchAgent
from kusari_rl.misc.nonfinite import check_finite


def _mean_or_nan(values: Iterable[float]) -> float:
    """The mean of ``values`` as a Python float, NaN when there are none."""
    values = list(values)
    return float(numpy.mean(values)) if values else float("nan")


def _check_gamma(owner: str, gamma: float) -> None:
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"{owner}: gamma must be in [0, 1], got {gamma}")


def _check_tau(owner: str, tau: float) -> None:
    if not 0.0 < tau <= 1.0:
        raise ValueError(f"{owner}: soft_update_tau must be in (0, 1], got {tau}")


def _check_positive_int(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
        raise ValueError(f"{owner}: {name} must be an integer >= 1, got {value!r}")


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


def _to_device(gpu: int | None, *links: kusari.Link) -> None:
    if gpu is not None and gpu >= 0:
        device = kusari.get_device(f"@cupy:{gpu}")
        for link in links:
            link.to_device(device)


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


class _OffPolicyActorCritic(AttributeSavingMixin, BatchAgent):
    """Acting and replay bookkeeping of an off-policy actor-critic agent.

    A subclass sets, before calling :meth:`_init_acting`, ``self.policy``, and implements
    :meth:`_training_actions`, :meth:`_evaluation_actions`, :meth:`_n_policy_updates` and
    ``update(experiences, errors_out=None)``.
    """

    def _init_acting(
        self,
        replay_buffer: Any,
        phi: Callable[[Any], Any],
        batch_states: Callable[..., Any],
        burnin_action_func: Callable[[], Any] | None,
        logger: logging.Logger,
    ) -> None:
        self.replay_buffer = replay_buffer
        self.phi = phi
        self.batch_states = batch_states
        self.burnin_action_func = burnin_action_func
        self.logger = logger
        self.xp = self.policy.xp
        self.t = 0
        self.last_state: Any = None
        self.last_action: Any = None
        self.batch_last_obs: list[Any] = []
        self.batch_last_action: list[Any] = []

    @abc.abstractmethod
    def _training_actions(self, batch_xs: Any) -> list[Any]:
        """Actions for training (explored or sampled), one per row of ``batch_xs``."""

    @abc.abstractmethod
    def _evaluation_actions(self, batch_xs: Any) -> list[Any]:
        """Actions for evaluation, one per row of ``batch_xs``."""

    @abc.abstractmethod
    def _n_policy_updates(self) -> int:
        """The number of policy updates so far (burn-in actions are taken while it is 0)."""

    def _after_step(self) -> None:
        """Called after every environment step in training (target syncs by step count)."""

    def _actions(self, batch_obs: Sequence[Any], training: bool) -> list[Any]:
        with kusari.no_backprop_mode(), kusari.using_config("train", False):
            batch_xs = self.batch_states(batch_obs, self.xp, self.phi)
            if training:
                return self._training_actions(batch_xs)
            return self._evaluation_actions(batch_xs)

    def _burning_in(self) -> bool:
        return self.burnin_action_func is not None and self._n_policy_updates() == 0

    # -- one environment ------------------------------------------------------------------------
    def act_and_train(self, obs: Any, reward: float) -> Any:
        """Pick a training action and store the transition that ``obs`` and ``reward`` end.

        Args:
            obs: The current observation.
            reward: The reward for the previous action (ignored at an episode's first step).

        Returns:
            The action, an array of shape ``(A,)`` (or what ``burnin_action_func`` returns).
        """
        if self._burning_in():
            action = self.burnin_action_func()
        else:
            action = self._actions([obs], training=True)[0]
        self.t += 1
        if self.last_state is not None:
            self.replay_buffer.append(
                state=self.last_state,
                action=self.last_action,
                reward=reward,
                next_state=obs,
                next_action=action,
                is_state_terminal=False,
            )
        self.last_state = obs
        self.last_action = action
        self._after_step()
        self.replay_updater.update_if_necessary(self.t)
        return action

    def act(self, obs: Any) -> Any:
        """Pick an evaluation action for ``obs`` (no exploration, no learning).

        Returns:
            An array of shape ``(A,)``.
        """
        return self._actions([obs], training=False)[0]

    def stop_episode_and_train(self, state: Any, reward: float, done: bool = False) -> None:
        """Store the last transition of the episode and end it.

        Args:
            state: The observation the episode ended in.
            reward: The reward for the last action.
            done: Whether ``state`` is terminal (gymnasium's ``terminated``); ``False`` for a
                truncated episode, whose target then bootstraps from ``state``.

        Raises:
            RuntimeError: If no training action was taken in this episode.
        """
        if self.last_state is None:
            raise RuntimeError(
                f"{type(self).__name__}.stop_episode_and_train: no action was taken in this "
                "episode; call act_and_train first"
            )
        self.replay_buffer.append(
            state=self.last_state,
            action=self.last_action,
            reward=reward,
            next_state=state,
            next_action=self.last_action,
            is_state_terminal=bool(done),
        )
        self.stop_episode()

    def stop_episode(self) -> None:
        """End the current episode: forget the last state and close it in the replay buffer."""
        self.last_state = None
        self.last_action = None
        self.replay_buffer.stop_current_episode()

    # -- a batch of environments ----------------------------------------------------------------
    def batch_act_and_train(self, batch_obs: Sequence[Any]) -> list[Any]:
        """Pick one training action per environment and remember them for the next observe.

        Args:
            batch_obs: One observation per environment.

        Returns:
            One action per environment.
        """
        if self._burning_in():
            batch_action = [self.burnin_action_func() for _ in range(len(batch_obs))]
        else:
            batch_action = self._actions(batch_obs, training=True)
        self.batch_last_obs = list(batch_obs)
        self.batch_last_action = list(batch_action)
        return batch_action

    def batch_act(self, batch_obs: Sequence[Any]) -> list[Any]:
        """Pick one evaluation action per environment.

        Returns:
            One array of shape ``(A,)`` per environment.
        """
        return self._actions(batch_obs, training=False)

    def batch_observe_and_train(
        self,
        batch_obs: Sequence[Any],
        batch_reward: Sequence[float],
        batch_done: Sequence[bool],
        batch_reset: Sequence[bool],
    ) -> None:
        """Store one transition per environment and update when the schedule says so.

        Args:
            batch_obs: The observation each environment returned.
            batch_reward: The reward each environment returned.
            batch_done: Whether each observation is terminal (gymnasium's ``terminated``).
            batch_reset: Whether each environment's episode was cut although not terminal
                (gymnasium's ``truncated``); its target bootstraps from the observation.

        Raises:
            RuntimeError: If no :meth:`batch_act_and_train` came first.
            ValueError: If the sequences' lengths differ from the number of environments.
        """
        n = len(self.batch_last_obs)
        if n == 0:
            raise RuntimeError(
                f"{type(self).__name__}.batch_observe_and_train: call batch_act_and_train first"
            )
        lengths = (len(batch_obs), len(batch_reward), len(batch_done), len(batch_reset))
        if any(length != n for length in lengths):
            raise ValueError(
                f"{type(self).__name__}.batch_observe_and_train: expected {n} environments, got "
                f"batch_obs, batch_reward, batch_done, batch_reset of lengths {lengths}"
            )
        for i in range(n):
            self.t += 1
            if self.batch_last_obs[i] is not None:
                self.replay_buffer.append(
                    state=self.batch_last_obs[i],
                    action=self.batch_last_action[i],
                    reward=batch_reward[i],
                    next_state=batch_obs[i],
                    next_action=None,
                    is_state_terminal=bool(batch_done[i]),
                    env_id=i,
                )
                if batch_reset[i] or batch_done[i]:
                    self.batch_last_obs[i] = None
                    self.replay_buffer.stop_current_episode(env_id=i)
            self._after_step()
            self.replay_updater.update_if_necessary(self.t)

    def batch_observe(
        self,
        batch_obs: Sequence[Any],
        batch_reward: Sequence[float],
        batch_done: Sequence[bool],
        batch_reset: Sequence[bool],
    ) -> None:
        """Observe evaluation outcomes: nothing to do (the networks keep no state)."""
