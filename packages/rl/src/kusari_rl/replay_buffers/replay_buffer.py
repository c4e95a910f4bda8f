"""The uniform experience replay buffer with n-step experiences (Mnih et al. 2015)."""

from __future__ import annotations

import collections
import functools
from typing import Any

from kusari_rl.misc.collections import RandomAccessQueue
from kusari_rl.replay_buffer import AbstractReplayBuffer
from kusari_rl.replay_buffers import _util


class ReplayBuffer(AbstractReplayBuffer):
    """Experience replay with uniform sampling (Mnih et al. 2015, DQN).

    Each stored experience is a list of up to ``num_steps`` consecutive transitions of one
    episode, starting at a different step: with ``num_steps=3`` an episode ``t0 t1 t2 t3``
    ending in a terminal state yields ``[t0 t1 t2]``, ``[t1 t2 t3]``, ``[t2 t3]`` and ``[t3]``.
    Transitions are kept per ``env_id`` until their experiences are complete, so environments
    of a batch agent never mix. :func:`kusari_rl.replay_buffer.batch_experiences` turns sampled
    experiences into n-step targets.

    Args:
        capacity: The largest number of experiences kept (the oldest go first); ``None`` for no
            limit.
        num_steps: ``n`` of the n-step experiences.

    Raises:
        ValueError: If ``capacity`` or ``num_steps`` is not a positive integer.
    """

    def __init__(self, capacity: int | None = None, num_steps: int = 1) -> None:
        self.capacity = _util.check_capacity(capacity, type(self).__name__)
        if isinstance(num_steps, bool) or int(num_steps) != num_steps or num_steps < 1:
            raise ValueError(
                f"{type(self).__name__}: num_steps must be an integer >= 1, got {num_steps}"
            )
        self.num_steps = int(num_steps)
        self.memory = self._new_memory()
        self.last_n_transitions: collections.defaultdict[Any, collections.deque] = (
            collections.defaultdict(functools.partial(collections.deque, maxlen=self.num_steps))
        )

    def _new_memory(self) -> Any:
        return RandomAccessQueue(maxlen=self.capacity)

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
        """Store one transition of the environment ``env_id``.

        See :meth:`kusari_rl.replay_buffer.AbstractReplayBuffer.append` for the arguments. A
        terminal transition also stores the shorter experiences that end the episode.
        """
        last = self.last_n_transitions[env_id]
        last.append(
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
            self._flush(last)
        elif len(last) == self.num_steps:
            self.memory.append(list(last))

    def _flush(self, last: collections.deque) -> None:
        while last:
            self.memory.append(list(last))
            last.popleft()

    def stop_current_episode(self, env_id: Any = 0) -> None:
        """Store the unfinished experiences of ``env_id``'s episode, which was cut.

        The experiences starting in the last ``num_steps - 1`` steps are shorter than
        ``num_steps``; their last transition is not terminal, so targets bootstrap from it.

        Args:
            env_id: The environment whose episode is cut.
        """
        last = self.last_n_transitions[env_id]
        if len(last) == self.num_steps:
            last.popleft()
        self._flush(last)

    def sample(self, num_experiences: int) -> list[list[dict]]:
        """Return ``num_experiences`` distinct experiences picked uniformly at random.

        Args:
            num_experiences: The number of experiences.

        Returns:
            A list of experiences, each a list of 1 to ``num_steps`` transition dicts.

        Raises:
            ValueError: If the buffer holds fewer experiences.
        """
        if not 0 <= num_experiences <= len(self.memory):
            raise ValueError(
                f"{type(self).__name__}.sample: asked for {num_experiences} experiences but "
                f"the buffer holds {len(self.memory)}"
            )
        return self.memory.sample(num_experiences)

    def __len__(self) -> int:
        return len(self.memory)

    def save(self, filename: str) -> None:
        """Pickle the stored experiences into ``filename``, atomically.

        Unfinished n-step experiences are not saved (ChainerRL's behaviour).
        """
        _util.dump_atomic(self.memory, filename, f"{type(self).__name__}.save")

    def load(self, filename: str) -> None:
        """Replace the stored experiences by those pickled in ``filename`` by :meth:`save`.

        Only load files you trust: unpickling runs code named in the file.

        Raises:
            FileNotFoundError: If the file does not exist.
            TypeError: If the file was not written by this kind of buffer.
        """
        self.memory = _util.load(filename, type(self.memory), f"{type(self).__name__}.load")
