"""Episodic replay with episodes sampled in proportion to priorities (Schaul et al. 2016)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kusari_rl.misc.collections import RandomAccessQueue
from kusari_rl.misc.prioritized import PrioritizedBuffer
from kusari_rl.replay_buffers.episodic import EpisodicReplayBuffer
from kusari_rl.replay_buffers.prioritized import PriorityWeightError


class PrioritizedEpisodicReplayBuffer(EpisodicReplayBuffer, PriorityWeightError):
    """An :class:`EpisodicReplayBuffer` whose :meth:`sample_episodes` is prioritized.

    Episodes get the priority ``default_priority_func(episode)`` when stored (default: the
    largest priority seen so far); after sampling, the agent gives one error per episode to
    :meth:`update_errors`. Transitions (:meth:`sample`) are sampled uniformly, as in
    ChainerRL; when more than ``capacity`` transitions are stored the oldest episodes go.

    Args:
        capacity: The largest number of stored transitions; ``None`` for no limit.
        alpha: How much prioritization is used (0: uniform).
        beta0: The initial importance-sampling exponent.
        betasteps: The number of samplings until beta reaches 1.
        eps: Added to every error before the exponent.
        normalize_by_max: See :class:`~kusari_rl.replay_buffers.PriorityWeightError`.
        default_priority_func: Maps a new episode (a list of transitions) to its priority;
            ``None`` for the largest priority seen so far.
        uniform_ratio: The share of episodes sampled uniformly, in ``[0, 1]``.
        wait_priority_after_sampling: Require :meth:`update_errors` after every
            :meth:`sample_episodes` (see :class:`kusari_rl.misc.PrioritizedBuffer`).
        return_sample_weights: :meth:`sample_episodes` returns ``(episodes, weights)`` if
            ``True``, else the episodes only.
        error_min: Errors are clipped from below to this value.
        error_max: Errors are clipped from above to this value.

    Raises:
        ValueError: If an argument is out of range.
    """

    def __init__(
        self,
        capacity: int | None = None,
        alpha: float = 0.6,
        beta0: float = 0.4,
        betasteps: float | None = 2e5,
        eps: float = 1e-8,
        normalize_by_max: bool | str = True,
        default_priority_func: Callable[[list[dict]], float] | None = None,
        uniform_ratio: float = 0,
        wait_priority_after_sampling: bool = True,
        return_sample_weights: bool = True,
        error_min: float | None = None,
        error_max: float | None = None,
    ) -> None:
        EpisodicReplayBuffer.__init__(self, capacity)
        PriorityWeightError.__init__(
            self, alpha, beta0, betasteps, eps, normalize_by_max, error_min, error_max
        )
        if not 0 <= uniform_ratio <= 1:
            raise ValueError(
                f"PrioritizedEpisodicReplayBuffer: uniform_ratio must be in [0, 1], got "
                f"{uniform_ratio}"
            )
        self.memory = RandomAccessQueue(maxlen=self.capacity)
        self.episodic_memory = PrioritizedBuffer(
            capacity=None, wait_priority_after_sampling=wait_priority_after_sampling
        )
        self.capacity_left = self.capacity
        self.default_priority_func = default_priority_func
        self.uniform_ratio = uniform_ratio
        self.return_sample_weights = return_sample_weights

    def sample_episodes(self, n_episodes: int, max_len: int | None = None) -> Any:
        """Return ``n_episodes`` distinct episodes drawn by priority, with their weights.

        Args:
            n_episodes: The number of episodes.
            max_len: If given, longer episodes are cut to a random part of this length.

        Returns:
            ``(episodes, weights)`` (``weights``: a list of floats) if
            ``return_sample_weights``, else ``episodes``.

        Raises:
            ValueError: If fewer than ``n_episodes`` episodes are stored.
            RuntimeError: If the errors of the last sample were not given to
                :meth:`update_errors`.
        """
        self._check_n_episodes(n_episodes)
        episodes, probabilities, min_prob = self.episodic_memory.sample(
            n_episodes, uniform_ratio=self.uniform_ratio
        )
        episodes = self._cut(episodes, max_len)
        if not self.return_sample_weights:
            return episodes
        return episodes, self.weights_from_probabilities(probabilities, min_prob).tolist()

    def _population(self) -> int:
        return len(self.episodic_memory)

    def update_errors(self, errors: Any) -> None:
        """Set the priorities of the last sampled episodes from one error each.

        Raises:
            RuntimeError: If there was no sample since the last call.
            ValueError: If the count differs from the sample or a priority is not positive.
        """
        self.episodic_memory.set_last_priority(self.priority_from_errors(errors))

    def load(self, filename: str) -> None:
        """Replace the stored transitions and episodes by those pickled by :meth:`save`.

        Only load files you trust: unpickling runs code named in the file.

        Raises:
            FileNotFoundError: If the file does not exist.
            TypeError: If the file was not written by this kind of buffer.
        """
        super().load(filename)
        if self.capacity is not None:
            self.capacity_left = self.capacity - sum(len(e) for e in self.episodic_memory)

    def _store(self, episode: list[dict]) -> None:
        priority = None
        if self.default_priority_func is not None:
            priority = self.default_priority_func(episode)
        self.memory.extend([transition] for transition in episode)
        self.episodic_memory.append(episode, priority=priority)
        if self.capacity_left is not None:
            self.capacity_left -= len(episode)
            while self.capacity_left < 0:
                self.capacity_left += len(self.episodic_memory.popleft())
