"""Base class of dataset iterators (Chainer v7's ``chainer.dataset.Iterator``)."""

from __future__ import annotations

from typing import Any


class Iterator:
    """An iterator that yields minibatches (lists of examples) of a dataset.

    Subclasses implement :meth:`__next__` and, when they hold state worth saving in a snapshot,
    :meth:`serialize`. An iterator is also a context manager that calls :meth:`finalize` on
    exit, so worker processes or threads are released.
    """

    def __iter__(self) -> Iterator:
        """Return the iterator itself."""
        return self

    def __next__(self) -> Any:
        """Return the next minibatch.

        Raises:
            StopIteration: The iterator does not repeat and has reached the end of the data.
        """
        raise NotImplementedError(f"{type(self).__name__}: __next__ is not implemented")

    def next(self) -> Any:
        """Return the next minibatch (the same as ``next(iterator)``)."""
        return self.__next__()

    def finalize(self) -> None:
        """Release resources held by the iterator (nothing in the base class)."""

    def __enter__(self) -> Iterator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finalize()

    def serialize(self, serializer: Any) -> None:
        """Save or load the iterator's state (nothing in the base class).

        Args:
            serializer: A serializer or a deserializer (``value = serializer(key, value)``).
        """
