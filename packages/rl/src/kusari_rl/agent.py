"""The agent interface (ChainerRL's ``chainerrl.agent``).

An agent acts in an environment and learns from what it observes. Single-environment training
calls :meth:`Agent.act_and_train` at every step and :meth:`Agent.stop_episode_and_train` when an
episode ends; batch agents take a whole batch of environments at once (:class:`BatchAgent`).

Episode ends follow gymnasium's two flags: ``terminated`` (a terminal state: its value is zero,
nothing is bootstrapped) and ``truncated`` (a time limit: the episode is cut, but the last state
still has a value, so targets bootstrap from it). Single-environment agents get ``done=terminated``;
batch agents get ``batch_done=terminated`` and ``batch_reset=truncated``.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Sequence
from typing import Any

from kusari import serializers

__all__ = ["Agent", "AsyncAgent", "AttributeSavingMixin", "BatchAgent"]


class Agent(abc.ABC):
    """Abstract agent: acts, learns, saves and reports statistics."""

    @abc.abstractmethod
    def act_and_train(self, obs: Any, reward: float) -> Any:
        """Pick an action for training and learn from the reward of the previous action.

        Args:
            obs: The current observation.
            reward: The reward received for the previous action.

        Returns:
            The action to take.
        """

    @abc.abstractmethod
    def act(self, obs: Any) -> Any:
        """Pick an action for evaluation, without learning.

        Args:
            obs: The current observation.

        Returns:
            The action to take.
        """

    @abc.abstractmethod
    def stop_episode_and_train(self, state: Any, reward: float, done: bool = False) -> None:
        """Learn from the last transition of an episode and end it.

        Args:
            state: The observation the episode ended in.
            reward: The reward received for the last action.
            done: Whether ``state`` is terminal (gymnasium's ``terminated``). A truncated episode
                passes ``False``, so the value of ``state`` is bootstrapped.
        """

    @abc.abstractmethod
    def stop_episode(self) -> None:
        """End the current evaluation episode (resets recurrent states, if any)."""

    @abc.abstractmethod
    def save(self, dirname: str) -> None:
        """Save the agent's learned state into the folder ``dirname``."""

    @abc.abstractmethod
    def load(self, dirname: str) -> None:
        """Load the agent's learned state from the folder ``dirname``."""

    @abc.abstractmethod
    def get_statistics(self) -> list[tuple[str, Any]]:
        """Return statistics as a list of ``(name, value)`` pairs, e.g. ``[('average_q', 1.2)]``."""


class AttributeSavingMixin:
    """Save and load the attributes named in ``saved_attributes``, one file each.

    Every attribute is written to ``<dirname>/<name>.npz`` with :func:`kusari.serializers.save_npz`
    (atomically), except attributes that are themselves :class:`AttributeSavingMixin` (nested
    agents), which are saved into the sub-folder ``<dirname>/<name>/``. Attributes that are
    ``None`` are skipped.
    """

    saved_attributes: Sequence[str] = ()

    def save(self, dirname: str) -> None:
        """Save the attributes into the folder ``dirname`` (created if missing).

        Raises:
            ValueError: If a nested agent contains itself.
        """
        self._save(os.fspath(dirname), ())

    def _save(self, dirname: str, ancestors: tuple[int, ...]) -> None:
        os.makedirs(dirname, exist_ok=True)
        ancestors = (*ancestors, id(self))
        for name in self.saved_attributes:
            obj = getattr(self, name)
            if obj is None:
                continue
            if isinstance(obj, AttributeSavingMixin):
                if id(obj) in ancestors:
                    raise ValueError(f"{type(self).__name__}.save: attribute {name!r} is a cycle")
                obj._save(os.path.join(dirname, name), ancestors)
            else:
                serializers.save_npz(os.path.join(dirname, f"{name}.npz"), obj)

    def load(self, dirname: str) -> None:
        """Load the attributes from the folder ``dirname`` written by :meth:`save`.

        Raises:
            FileNotFoundError: If ``dirname`` or one of the attribute files is missing.
            ValueError: If a nested agent contains itself.
        """
        dirname = os.fspath(dirname)
        if not os.path.isdir(dirname):
            raise FileNotFoundError(f"{type(self).__name__}.load: no folder {dirname!r}")
        self._load(dirname, ())

    def _load(self, dirname: str, ancestors: tuple[int, ...]) -> None:
        ancestors = (*ancestors, id(self))
        for name in self.saved_attributes:
            obj = getattr(self, name)
            if obj is None:
                continue
            if isinstance(obj, AttributeSavingMixin):
                if id(obj) in ancestors:
                    raise ValueError(f"{type(self).__name__}.load: attribute {name!r} is a cycle")
                obj._load(os.path.join(dirname, name), ancestors)
            else:
                serializers.load_npz(os.path.join(dirname, f"{name}.npz"), obj)


class AsyncAgent(Agent):
    """An agent trained asynchronously by several processes sharing some links.

    Attributes:
        process_idx: The index of the process this copy runs in (``None`` for the main one).
        shared_attributes: Names of the attributes whose parameters the processes share.
    """

    process_idx: int | None = None
    shared_attributes: Sequence[str] = ()


class BatchAgent(Agent):
    """An agent that acts in a batch of environments at once (vectorized environments)."""

    @abc.abstractmethod
    def batch_act_and_train(self, batch_obs: Sequence[Any]) -> Sequence[Any]:
        """Pick one training action per environment.

        Args:
            batch_obs: One observation per environment.

        Returns:
            One action per environment.
        """

    @abc.abstractmethod
    def batch_act(self, batch_obs: Sequence[Any]) -> Sequence[Any]:
        """Pick one evaluation action per environment, without learning."""

    @abc.abstractmethod
    def batch_observe_and_train(
        self,
        batch_obs: Sequence[Any],
        batch_reward: Sequence[float],
        batch_done: Sequence[bool],
        batch_reset: Sequence[bool],
    ) -> None:
        """Learn from the outcome of the last batch of actions.

        Args:
            batch_obs: The observation each environment returned.
            batch_reward: The reward each environment returned.
            batch_done: Whether each observation is terminal (gymnasium's ``terminated``).
            batch_reset: Whether each environment's episode was cut and will be reset although
                its observation is not terminal (gymnasium's ``truncated``); its value is
                bootstrapped.
        """

    @abc.abstractmethod
    def batch_observe(
        self,
        batch_obs: Sequence[Any],
        batch_reward: Sequence[float],
        batch_done: Sequence[bool],
        batch_reset: Sequence[bool],
    ) -> None:
        """Observe the outcome of the last batch of evaluation actions (no learning)."""
