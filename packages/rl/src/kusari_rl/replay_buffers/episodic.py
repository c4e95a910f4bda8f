"""A replay buffer that keeps whole episodes, for episodic and recurrent updates."""

from __future__ import annotations

import collections
from typing import Any

from kusari_rl.misc.collections import RandomAccessQueue
from kusari_rl.replay_buffer import AbstractEpisodicReplayBuffer, random_subseq
from kusari_rl.replay_buffers import _util


class EpisodicReplayBuffer(AbstractEpisodicReplayBuffer):
    """Experience replay that stores finished episodes and samples transitions or episodes.

    Transitions of each ``env_id`` are held until their episode ends (a terminal transition or
    :meth:`stop_current_episode`); then the episode is stored whole. :meth:`sample` returns
    one-transition experiences (lists of one dict, as :class:`ReplayBuffer` with
    ``num_steps=1``); :meth:`sample_episodes` returns episodes. When more than ``capacity``
    transitions are stored, the oldest episodes are dropped whole.

    Args:
        capacity: The largest number of stored transitions; ``None`` for no limit.

    Raises:
        ValueError: If ``capacity`` is not a positive integer.
    """

    def __init__(self, capacity: int | None = None) -> None:
        self.capacity = _util.check_capacity(capacity, type(self).__name__)
        self.current_episode: collections.defaultdict[Any, list[dict]] = collections.defaultdict(
            list
        )
        self.episodic_memory: Any = RandomAccessQueue()
        self.memory = RandomAccessQueue()

    def append(
        self,
        state: Any,
        action: Any,
        reward: float,
        next_state: Any = None,
        next_action: Any = None,
        is_state_terminal: bool = False,
        env_id: Any = 0,
        **kwargs: Any,
    ) -> None:
        """Add a transition to the current episode of ``env_id``; a terminal one ends it.

        See :meth:`kusari_rl.replay_buffer.AbstractReplayBuffer.append` for the arguments.
        """
        self.current_episode[env_id].append(
            {
                "state": state,
                "action": action,
                "reward": reward,
                "next_state": next_state,
                "next_action": next_action,
                "is_state_terminal": is_state_terminal,
                **kwargs,
            }
        )
        if is_state_terminal:
            self.stop_current_episode(env_id=env_id)

    def sample(self, n: int) -> list[list[dict]]:
        """Return ``n`` distinct one-transition experiences picked uniformly at random.

        Raises:
            ValueError: If fewer than ``n`` transitions are stored.
        """
        if not 0 <= n <= len(self.memory):
            raise ValueError(
                f"{type(self).__name__}.sample: asked for {n} transitions but the buffer "
                f"holds {len(self.memory)}"
            )
        return self.memory.sample(n)

    def sample_episodes(self, n_episodes: int, max_len: int | None = None) -> Any:
        """Return ``n_episodes`` distinct episodes picked uniformly at random.

        Args:
            n_episodes: The number of episodes.
            max_len: If given, longer episodes are cut to a random part of this length.

        Returns:
            A list of episodes, each a list of transition dicts.

        Raises:
            ValueError: If fewer than ``n_episodes`` episodes are stored.
        """
        self._check_n_episodes(n_episodes)
        return self._cut(self.episodic_memory.sample(n_episodes), max_len)

    def _check_n_episodes(self, n_episodes: int) -> None:
        if not 0 <= n_episodes <= self.n_episodes:
            raise ValueError(
                f"{type(self).__name__}.sample_episodes: asked for {n_episodes} episodes but "
                f"the buffer holds {self.n_episodes}"
            )

    @staticmethod
    def _cut(episodes: list[list[dict]], max_len: int | None) -> list[Any]:
        if max_len is None:
            return episodes
        return [random_subseq(episode, max_len) for episode in episodes]

    def __len__(self) -> int:
        return len(self.memory)

    @property
    def n_episodes(self) -> int:
        """The number of stored episodes."""
        return len(self.episodic_memory)

    def save(self, filename: str) -> None:
        """Pickle the stored transitions and episodes into ``filename``, atomically.

        Unfinished episodes are not saved.
        """
        _util.dump_atomic(
            (self.memory, self.episodic_memory), filename, f"{type(self).__name__}.save"
        )

    def load(self, filename: str) -> None:
        """Replace the stored transitions and episodes by those pickled by :meth:`save`.

        Only load files you trust: unpickling runs code named in the file.

        Raises:
            FileNotFoundError: If the file does not exist.
            TypeError: If the file was not written by this kind of buffer.
        """
        what = f"{type(self).__name__}.load"
        loaded = _util.load(filename, tuple, what)
        expected = (type(self.memory), type(self.episodic_memory))
        if len(loaded) != 2 or not all(map(isinstance, loaded, expected)):
            raise TypeError(
                f"{what}: {filename!r} holds ({', '.join(type(x).__name__ for x in loaded)}), "
                f"expected ({expected[0].__name__}, {expected[1].__name__})"
            )
        self.memory, self.episodic_memory = loaded

    def stop_current_episode(self, env_id: Any = 0) -> None:
        """Store the current episode of ``env_id`` (if any) and start a new one.

        Args:
            env_id: The environment whose episode ends.
        """
        episode = self.current_episode.pop(env_id, None)
        if not episode:
            return
        self._store(episode)

    def _store(self, episode: list[dict]) -> None:
        self.episodic_memory.append(episode)
        self.memory.extend([transition] for transition in episode)
        while self.capacity is not None and len(self.memory) > self.capacity:
            for _ in range(len(self.episodic_memory.popleft())):
                self.memory.popleft()
