"""What every agent learning from a replay buffer shares: transition bookkeeping and schedule.

DQN (and its descendants), DDPG, TD3 and SAC store the same transitions the same way, in one
environment or in a batch of them: they remember the last observation and action of each
environment, append ``(s, a, r, s', terminal)`` once the next observation comes, close an
environment's episode in the buffer when it ends, and let a
:class:`~kusari_rl.replay_buffer.ReplayUpdater` decide when to learn. They differ in how a
training action is chosen and in what happens after each step (target synchronization).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import Any

import numpy

import kusari
from kusari_rl.agent import AttributeSavingMixin, BatchAgent
from kusari_rl.replay_buffer import ReplayUpdater, batch_experiences


def _check_gamma(owner: str, gamma: float) -> None:
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"{owner}: gamma must be in [0, 1], got {gamma}")


def _check_positive_int(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")


def _to_device(gpu: int | None, *links: kusari.Link) -> None:
    if gpu is not None and gpu >= 0:
        device = kusari.get_device(f"@cupy:{gpu}")
        for link in links:
            link.to_device(device)


class _ReplayAgent(AttributeSavingMixin, BatchAgent):
    """Replay bookkeeping of an off-policy agent, in one or in a batch of environments.

    A subclass sets ``xp``, ``phi``, ``gamma`` and ``batch_states``, calls
    :meth:`_init_replay` in its constructor, implements
    :meth:`_select_training_action` and :meth:`_select_training_actions`, and may override
    :meth:`_after_step`. Transitions are stored with ``next_action=None`` (no agent here reads
    it).
    """

    def _init_replay(
        self,
        replay_buffer: Any,
        update_func: Callable[[Any], Any],
        minibatch_size: int,
        n_times_update: int,
        replay_start_size: int,
        update_interval: int,
        episodic_update: bool = False,
        episodic_update_len: int | None = None,
    ) -> None:
        """Set up the replay buffer, its updater and the per-environment memory."""
        self.replay_buffer = replay_buffer
        self.replay_updater = ReplayUpdater(
            replay_buffer=replay_buffer,
            update_func=update_func,
            batchsize=minibatch_size,
            episodic_update=episodic_update,
            n_times_update=n_times_update,
            replay_start_size=replay_start_size,
            update_interval=update_interval,
            episodic_update_len=episodic_update_len,
        )
        self.t = 0
        self.last_state: Any = None
        self.last_action: Any = None
        self.batch_last_obs: list[Any] = []
        self.batch_last_action: list[Any] = []

    @abc.abstractmethod
    def _select_training_action(self, obs: Any) -> Any:
        """The training (exploratory) action for one observation."""

    @abc.abstractmethod
    def _select_training_actions(self, batch_obs: Sequence[Any]) -> list[Any]:
        """The training (exploratory) actions for a batch of observations, one per row."""

    def _batch_experiences(self, experiences: Sequence[Sequence[dict]]) -> dict[str, Any]:
        """:func:`~kusari_rl.replay_buffer.batch_experiences` with the agent's settings."""
        return batch_experiences(
            experiences, self.xp, self.phi, self.gamma, batch_states=self.batch_states
        )

    def _after_step(self) -> None:
        """Called after every training step, before the update check (target syncs by step)."""

    def _end_episode(self) -> None:
        """Forget the last state and action and close the episode in the replay buffer."""
        self.last_state = None
        self.last_action = None
        self.replay_buffer.stop_current_episode()

    # -- one environment ------------------------------------------------------------------------
    def act_and_train(self, obs: Any, reward: float) -> Any:
        """Choose a training action, store the transition ``obs`` ends and update if it is time.

        Args:
            obs: The current observation.
            reward: The reward of the previous action (ignored at an episode's first step).

        Returns:
            The action.
        """
        action = self._select_training_action(obs)
        self.t += 1
        if self.last_state is not None:
            self.replay_buffer.append(
                state=self.last_state,
                action=self.last_action,
                reward=reward,
                next_state=obs,
                is_state_terminal=False,
            )
        self.last_state = obs
        self.last_action = action
        self._after_step()
        self.replay_updater.update_if_necessary(self.t)
        return action

    def stop_episode_and_train(self, state: Any, reward: float, done: bool = False) -> None:
        """Store the episode's last transition and end the episode.

        Args:
            state: The observation the episode ended in.
            reward: The reward of the last action.
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
            is_state_terminal=bool(done),
        )
        self._end_episode()

    # -- a batch of environments ----------------------------------------------------------------
    def batch_act_and_train(self, batch_obs: Sequence[Any]) -> list[Any]:
        """Choose one training action per environment and remember them for the next observe.

        Args:
            batch_obs: One observation per environment.

        Returns:
            One action per environment.
        """
        batch_action = self._select_training_actions(batch_obs)
        self.batch_last_obs = list(batch_obs)
        self.batch_last_action = list(batch_action)
        return batch_action

    def batch_observe_and_train(
        self,
        batch_obs: Sequence[Any],
        batch_reward: Sequence[float],
        batch_done: Sequence[bool],
        batch_reset: Sequence[bool],
    ) -> None:
        """Store one transition per environment and update when the schedule says so.

        Each environment counts as one step. An environment whose episode ended (``done`` or
        ``reset``) closes its episode in the replay buffer.

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
                    is_state_terminal=bool(batch_done[i]),
                    env_id=i,
                )
                if batch_done[i] or batch_reset[i]:
                    self.batch_last_obs[i] = None
                    self.batch_last_action[i] = None
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
