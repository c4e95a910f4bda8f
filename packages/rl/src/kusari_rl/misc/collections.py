"""A FIFO queue with O(1) random access, for replay memories (ChainerRL's ``misc.collections``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import numpy

__all__ = ["RandomAccessQueue"]


def _sample_distinct(n: int, k: int) -> numpy.ndarray:
    """Draw ``k`` distinct integers from ``range(n)``, every ordered choice equally likely.

    Draws with replacement from :mod:`numpy.random` and redraws the repeats, so the cost is
    ``O(k)`` when ``k`` is small next to ``n`` (a full permutation would cost ``O(n)``).

    Returns:
        An int64 array of shape ``(k,)``.
    """
    if k == 0:
        return numpy.empty(0, dtype=numpy.int64)
    if 3 * k >= n:
        return numpy.random.choice(n, k, replace=False).astype(numpy.int64)
    indices = numpy.random.randint(n, size=k, dtype=numpy.int64)
    while True:
        _, first = numpy.unique(indices, return_index=True)
        if len(first) == k:
            return indices
        kept = indices[numpy.sort(first)]
        redrawn = numpy.random.randint(n, size=k - len(kept), dtype=numpy.int64)
        indices = numpy.concatenate([kept, redrawn])


class RandomAccessQueue:
    """A FIFO queue (like :class:`collections.deque`) with O(1) indexing and fast sampling.

    ``append``, ``popleft``, ``__getitem__``, ``__setitem__`` and ``len`` are amortized O(1):
    the queue is two Python lists, the front one reversed, so ``popleft`` pops from a list's end.

    Args:
        iterable: Initial items, oldest first.
        maxlen: The largest number of items kept; appending to a full queue drops the oldest
            item. ``None`` for no limit.

    Raises:
        ValueError: If ``maxlen`` is negative.
    """

    def __init__(self, iterable: Iterable[Any] = (), maxlen: int | None = None) -> None:
        if maxlen is not None and maxlen < 0:
            raise ValueError(f"RandomAccessQueue: maxlen must be >= 0 or None, got {maxlen}")
        self.maxlen = maxlen
        self._front: list[Any] = []
        self._back: list[Any] = list(iterable)
        self._trim()

    def _trim(self) -> None:
        if self.maxlen is not None:
            excess = len(self) - self.maxlen
            if excess > 0:
                self._back = [*reversed(self._front), *self._back][excess:]
                self._front = []

    def __len__(self) -> int:
        return len(self._front) + len(self._back)

    def __iter__(self) -> Iterator[Any]:
        return itertools.chain(reversed(self._front), self._back)

    def __repr__(self) -> str:
        return f"RandomAccessQueue({list(self)!r}, maxlen={self.maxlen})"

    def _locate(self, i: int) -> tuple[list[Any], int]:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"RandomAccessQueue: index {i} out of range for length {n}")
        if i < 0:
            i += n
        nf = len(self._front)
        if i < nf:
            return self._front, nf - 1 - i
        return self._back, i - nf

    def __getitem__(self, i: int) -> Any:
        items, j = self._locate(i)
        return items[j]

    def __setitem__(self, i: int, x: Any) -> None:
        items, j = self._locate(i)
        items[j] = x

    def append(self, x: Any) -> None:
        """Add ``x`` at the right end, dropping the leftmost item if the queue is full."""
        self._back.append(x)
        if self.maxlen is not None and len(self) > self.maxlen:
            self.popleft()

    def extend(self, xs: Iterable[Any]) -> None:
        """Add the items of ``xs`` at the right end, dropping the oldest items beyond ``maxlen``."""
        self._back.extend(xs)
        self._trim()

    def popleft(self) -> Any:
        """Remove and return the leftmost (oldest) item.

        Raises:
            IndexError: If the queue is empty.
        """
        if not self._front:
            if not self._back:
                raise IndexError("RandomAccessQueue.popleft: pop from an empty queue")
            self._front = self._back
            self._front.reverse()
            self._back = []
        return self._front.pop()

    def sample(self, k: int) -> list[Any]:
        """Pick ``k`` distinct items uniformly at random (with :mod:`numpy.random`).

        Args:
            k: The number of items.

        Returns:
            A list of ``k`` items, in random order.

        Raises:
            ValueError: If ``k`` is negative or larger than the queue.
        """
        n = len(self)
        if not 0 <= k <= n:
            raise ValueError(f"RandomAccessQueue.sample: k must be in [0, {n}], got {k}")
        front, back = self._front, self._back
        last = len(front) - 1
        return [
            front[last - i] if i <= last else back[i - last - 1]
            for i in _sample_distinct(n, k).tolist()
        ]
