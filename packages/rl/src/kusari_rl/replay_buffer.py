"""Replay buffer interfaces, batching of sampled transitions and the update schedule.

ChainerRL's ``chainerrl.replay_buffer``. The buffers themselves live in
:mod:`kusari_rl.replay_buffers`; their names are re-exported here as ChainerRL does.

A buffer stores *transitions*, dicts with the keys ``state``, ``action``, ``reward``,
``next_state``, ``next_action`` and ``is_state_terminal`` (plus any extra keys given to
``append``). :meth:`AbstractReplayBuffer.sample` returns *experiences*: each is a list of 1 to
``num_steps`` consecutive transitions of one episode, for n-step returns.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import Any

import numpy

from kusari_rl.misc.batch_states import batch_states as _default_batch_states

# The buffers import this module for the base classes, so their names are re-exported lazily
# (module ``__getattr__``, PEP 562) to avoid an import cycle.
_BUFFER_NAMES = (
    "EpisodicReplayBuffer",
    "PrioritizedEpisodicReplayBuffer",
    "PrioritizedReplayBuffer",
    "PriorityWeightError",
    "ReplayBuffer",
)

__all__ = [
    "AbstractEpisodicReplayBuffer",
    "AbstractReplayBuffer",
    "ReplayUpdater",
    "batch_experiences",
    "random_subseq",
    *_BUFFER_NAMES,
]


def __getattr__(name: str) -> Any:
    if name in _BUFFER_NAMES:
        from kusari_rl import replay_buffers

        return getattr(replay_buffers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_BUFFER_NAMES])


class AbstractReplayBuffer(abc.ABC):
    """A store of transitions that agents append to and later sample minibatches from."""

    @abc.abstractmethod
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
        """Store one transition.

        Args:
            state: The observation ``s_t``.
            action: The action ``a_t``.
            reward: The reward ``r_t``.
            next_state: The observation ``s_{t+1}``.
            next_action: The action ``a_{t+1}`` (``None`` for off-policy agents).
            is_state_terminal: Whether ``s_{t+1}`` is terminal (gymnasium's ``terminated``; a
                truncated episode passes ``False``).
            env_id: A hashable that tells the environments of a batch agent apart.
            **kwargs: Extra items stored in the transition dict.
        """

    @abc.abstractmethod
    def sample(self, n: int) -> list[Any]:
        """Return ``n`` distinct experiences picked at random.

        Args:
            n: The number of experiences.

        Returns:
            A list of ``n`` experiences.
        """

    @abc.abstractmethod
    def __len__(self) -> int:
        """Return the number of stored experiences."""

    @abc.abstractmethod
    def save(self, filename: str) -> None:
        """Write the stored experiences to the file ``filename`` (atomically)."""

    @abc.abstractmethod
    def load(self, filename: str) -> None:
        """Replace the stored experiences by those in the file ``filename``."""

    @abc.abstractmethod
    def stop_current_episode(self, env_id: Any = 0) -> None:
        """End the current episode of the environment ``env_id`` without a terminal state.

        Call this when an episode is cut (a time limit) before appending the first transition
        of the next one; an episode that ended with ``is_state_terminal=True`` needs no call.

        Args:
            env_id: The environment whose episode is cut.
        """


class AbstractEpisodicReplayBuffer(AbstractReplayBuffer):
    """A replay buffer that also samples whole episodes (for recurrent or off-policy-AC agents)."""

    @abc.abstractmethod
    def sample_episodes(self, n_episodes: int, max_len: int | None = None) -> Any:
        """Return ``n_episodes`` distinct episodes picked at random.

        Args:
            n_episodes: The number of episodes.
            max_len: If given, an episode longer than this is replaced by one of its
                sub-sequences of length ``max_len``, picked at random.

        Returns:
            A list of episodes, each a list of transitions.
        """

    @property
    @abc.abstractmethod
    def n_episodes(self) -> int:
        """The number of stored episodes."""


def random_subseq(seq: Sequence[Any], subseq_len: int) -> Sequence[Any]:
    """Return a random contiguous part of ``seq`` of length ``subseq_len``, or ``seq`` if shorter.

    Args:
        seq: A sequence (an episode).
        subseq_len: The length of the part.

    Returns:
        ``seq`` itself if ``len(seq) <= subseq_len``, else a slice of it.
    """
    if len(seq) <= subseq_len:
        return seq
    start = numpy.random.randint(len(seq) - subseq_len + 1)
    return seq[start : start + subseq_len]


def _to_xp(array: numpy.ndarray, xp: Any) -> Any:
    return array if xp is numpy else xp.asarray(array)


def _n_step_rewards(
    experiences: Sequence[Sequence[dict]], lengths: numpy.ndarray, gamma: float
) -> numpy.ndarray:
    rewards = numpy.asarray([t["reward"] for e in experiences for t in e], dtype=numpy.float64)
    if len(rewards) == len(experiences):
        return rewards.astype(numpy.float32)
    starts = numpy.cumsum(lengths) - lengths
    steps = numpy.arange(len(rewards)) - numpy.repeat(starts, lengths)
    return numpy.add.reduceat(rewards * gamma**steps, starts).astype(numpy.float32)


def batch_experiences(
    experiences: Sequence[Sequence[dict]],
    xp: Any,
    phi: Callable[[Any], Any],
    gamma: float,
    batch_states: Callable[[Sequence[Any], Any, Callable[[Any], Any]], Any] = (
        _default_batch_states
    ),
) -> dict[str, Any]:
    """Turn ``B`` sampled experiences into batch arrays for an n-step update.

    An experience ``[t_0, ..., t_{j-1}]`` (``1 <= j <= n``) gives the n-step return
    ``sum_k gamma^k r_k``; its target bootstraps from the last transition's ``next_state``
    with the factor ``discount = gamma^j`` unless that transition is terminal (Sutton & Barto
    2018, Sec. 7.1; Mnih et al. 2016 for n-step Q-learning).

    Args:
        experiences: ``B`` experiences, each a list of 1 to n consecutive transition dicts.
        xp: :mod:`numpy` or :mod:`cupy`; the arrays are created on its device.
        phi: The feature extractor applied to each state.
        gamma: The discount factor.
        batch_states: The function stacking states into a batch
            (:func:`kusari_rl.misc.batch_states`).

    Returns:
        A dict with ``'state'`` and ``'next_state'`` (from ``batch_states``, shape
        ``(B, ...)``), ``'action'`` (shape ``(B, ...)``; float64 actions become float32),
        ``'reward'``, ``'is_state_terminal'`` and ``'discount'`` (float32, shape ``(B,)``), and
        ``'next_action'`` (shape ``(B, ...)``) when every last transition has a
        ``next_action`` that is not ``None``, as ChainerRL.

    Raises:
        ValueError: If ``experiences`` is empty or holds an empty experience.
    """
    if len(experiences) == 0:
        raise ValueError("batch_experiences: experiences is empty")
    if not all(experiences):
        raise ValueError("batch_experiences: every experience needs at least one transition")
    firsts = [e[0] for e in experiences]
    lasts = [e[-1] for e in experiences]
    lengths = numpy.fromiter((len(e) for e in experiences), numpy.int64, len(experiences))
    batch = {
        "state": batch_states([t["state"] for t in firsts], xp, phi),
        "action": _to_xp(_actions([t["action"] for t in firsts]), xp),
        "reward": _to_xp(_n_step_rewards(experiences, lengths, gamma), xp),
        "next_state": batch_states([t["next_state"] for t in lasts], xp, phi),
        "is_state_terminal": _to_xp(
            numpy.asarray([t["is_state_terminal"] for t in lasts], dtype=numpy.float32), xp
        ),
        "discount": _to_xp((gamma ** lengths.astype(numpy.float64)).astype(numpy.float32), xp),
    }
    next_actions = [t["next_action"] for t in lasts]
    if all(a is not None for a in next_actions):
        batch["next_action"] = _to_xp(_actions(next_actions), xp)
    return batch


def _actions(actions: list[Any]) -> numpy.ndarray:
    array = numpy.asarray(actions)
    if array.dtype == numpy.float64:
        return array.astype(numpy.float32)
    return array


class ReplayUpdater:
    """Decide when to update from replay, sample the minibatches and call the update.

    Args:
        replay_buffer: The buffer to sample from.
        update_func: Called with the sampled experiences (``episodic_update=False``) or the
            sampled episodes (``episodic_update=True``).
        batchsize: The number of experiences (or episodes) per update.
        episodic_update: Sample whole episodes with ``sample_episodes`` instead of experiences.
        n_times_update: How many updates to run each time an update is due.
        replay_start_size: No update happens while the buffer holds fewer experiences.
        update_interval: An update is due every ``update_interval`` iterations.
        episodic_update_len: With ``episodic_update``, the longest episode part sampled
            (``None``: whole episodes).

    Raises:
        ValueError: If a size or interval is not a positive integer or
            ``batchsize > replay_start_size``.
    """

    def __init__(
        self,
        replay_buffer: AbstractReplayBuffer,
        update_func: Callable[[Any], Any],
        batchsize: int,
        episodic_update: bool,
        n_times_update: int,
        replay_start_size: int,
        update_interval: int,
        episodic_update_len: int | None = None,
    ) -> None:
        for name, value in (
            ("batchsize", batchsize),
            ("n_times_update", n_times_update),
            ("update_interval", update_interval),
        ):
            if int(value) != value or value < 1:
                raise ValueError(f"ReplayUpdater: {name} must be an integer >= 1, got {value}")
        if batchsize > replay_start_size:
            raise ValueError(
                f"ReplayUpdater: batchsize ({batchsize}) must be <= replay_start_size "
                f"({replay_start_size})"
            )
        self.replay_buffer = replay_buffer
        self.update_func = update_func
        self.batchsize = batchsize
        self.episodic_update = episodic_update
        self.episodic_update_len = episodic_update_len
        self.n_times_update = n_times_update
        self.replay_start_size = replay_start_size
        self.update_interval = update_interval

    def update_if_necessary(self, iteration: int) -> bool:
        """Run ``n_times_update`` updates if one is due at ``iteration``.

        Args:
            iteration: The number of steps taken so far.

        Returns:
            Whether updates ran.
        """
        if len(self.replay_buffer) < self.replay_start_size:
            return False
        if self.episodic_update and self.replay_buffer.n_episodes < self.batchsize:
            return False
        if iteration % self.update_interval != 0:
            return False
        for _ in range(self.n_times_update):
            if self.episodic_update:
                episodes = self.replay_buffer.sample_episodes(
                    self.batchsize, self.episodic_update_len
                )
                self.update_func(episodes)
            else:
                self.update_func(self.replay_buffer.sample(self.batchsize))
        return True
