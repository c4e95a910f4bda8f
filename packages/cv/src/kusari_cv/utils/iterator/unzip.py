"""The inverse of ``zip`` for iterables, lazily."""

from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator
from typing import Any


class _Unzipper:
    # Pulls tuples from the source and queues each field for its iterator. A field whose
    # iterator has been garbage-collected is no longer queued, so e.g. images that nobody
    # will read again are not kept in memory.

    def __init__(self, source: Iterator[Any], first: tuple[Any, ...]) -> None:
        self.source = source
        self.queues: list[collections.deque | None] = [collections.deque([v]) for v in first]

    def fetch(self, index: int) -> Any:
        queue = self.queues[index]
        if not queue:
            values = next(self.source)
            for queue_j, value in zip(self.queues, values, strict=True):
                if queue_j is not None:
                    queue_j.append(value)
        return queue.popleft()


class _UnzippedIterator(Iterator[Any]):
    def __init__(self, unzipper: _Unzipper, index: int) -> None:
        self._unzipper = unzipper
        self._index = index

    def __next__(self) -> Any:
        return self._unzipper.fetch(self._index)

    def __del__(self) -> None:
        self._unzipper.queues[self._index] = None


def unzip(iterable: Iterable[tuple[Any, ...]]) -> tuple[Iterator[Any], ...]:
    """Turn an iterable of tuples into a tuple of iterators, one per field.

    ``unzip(zip(a, b))`` yields iterators over the values of ``a`` and ``b``. The source is read
    lazily; values fetched for one iterator are buffered for the others until they read them
    (or are garbage-collected).

    Args:
        iterable: Tuples that all have the length of the first one.

    Returns:
        tuple of iterators: One iterator per field of the tuples; an empty tuple when
        ``iterable`` is empty.

    Example:
        >>> names, sizes = unzip([("a", 1), ("b", 2)])
        >>> list(sizes)
        [1, 2]
    """
    source = iter(iterable)
    try:
        first = next(source)
    except StopIteration:
        return ()
    unzipper = _Unzipper(source, tuple(first))
    return tuple(_UnzippedIterator(unzipper, i) for i in range(len(first)))
