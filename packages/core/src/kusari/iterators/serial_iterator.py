"""The plain single-process iterator over a dataset (Chainer v7's ``SerialIterator``)."""

from __future__ import annotations

from typing import Any

import numpy

from kusari.dataset.iterator import Iterator
from kusari.iterators.order_samplers import OrderSampler, ShuffleOrderSampler


class SerialIterator(Iterator):
    """Iterator that reads minibatches of a dataset in the calling process.

    Each call of ``next`` returns a list of ``batch_size`` examples. An epoch visits every
    example once, in dataset order or in an order drawn by the order sampler at the start of
    each epoch. With ``repeat=True`` the iterator runs forever and a batch that reaches the end
    of an epoch is filled up from the start of the next one; with ``repeat=False`` the last
    batch may be smaller and the following call raises :class:`StopIteration`.

    Args:
        dataset: Dataset to iterate (supports ``len`` and integer ``[]``).
        batch_size: Number of examples in a minibatch.
        repeat: Whether to run over the dataset repeatedly.
        shuffle: ``True`` to shuffle with :class:`ShuffleOrderSampler`, ``False`` to keep the
            dataset order, ``None`` to use ``order_sampler`` (a :class:`ShuffleOrderSampler`
            when that is ``None`` as well).
        order_sampler: A callable ``(current_order, current_position) -> new_order`` that
            orders each epoch, e.g. a :class:`ShuffleOrderSampler` with its own random state.
            Only with ``shuffle=None``.

    Raises:
        ValueError: ``batch_size`` is not positive, or both ``shuffle`` and ``order_sampler``
            are given.

    Example:
        >>> it = SerialIterator(list(range(5)), 2, shuffle=False)
        >>> it.next(), it.next(), it.next()
        ([0, 1], [2, 3], [4, 0])
        >>> it.epoch, it.is_new_epoch
        (1, True)
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int,
        repeat: bool = True,
        shuffle: bool | None = None,
        order_sampler: OrderSampler | None = None,
    ) -> None:
        is_int = isinstance(batch_size, (int, numpy.integer)) and not isinstance(batch_size, bool)
        if not is_int or batch_size <= 0:
            raise ValueError(
                f"SerialIterator: batch_size must be a positive int, got {batch_size!r}"
            )
        if shuffle is not None and order_sampler is not None:
            raise ValueError(
                "SerialIterator: shuffle is not None and an order_sampler is given; pass "
                "shuffle=None to use the order_sampler"
            )
        if shuffle or (shuffle is None and order_sampler is None):
            order_sampler = ShuffleOrderSampler()
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self._repeat = repeat
        self.order_sampler = order_sampler
        self.reset()

    def __next__(self) -> list[Any]:
        """Return the next minibatch as a list of examples.

        Raises:
            StopIteration: ``repeat`` is ``False`` and the epoch is over.
            ValueError: ``repeat`` is ``True`` and the dataset is empty, or the order sampler
                returned an order of another length.
        """
        self._previous_epoch_detail = self.epoch_detail
        if not self._repeat and self._epoch > 0:
            raise StopIteration
        n = self._epoch_size
        if n == 0:
            if self._repeat:
                raise ValueError("SerialIterator: the dataset is empty; an iterator that "
                                 "repeats needs at least one example")
            self._epoch = 1
            self._is_new_epoch = True
            raise StopIteration
        position, epoch, order = self._current_position, self._epoch, self._order
        remaining = self.batch_size
        chunks = []
        is_new_epoch = False
        while True:
            end = min(position + remaining, n)
            chunks.append(numpy.arange(position, end) if order is None else order[position:end])
            remaining -= end - position
            if end < n:
                position = end
                break
            if order is not None:
                order = self._next_order(order, position)
            epoch += 1
            is_new_epoch = True
            position = 0
            if remaining == 0 or not self._repeat:
                break
        self._current_position, self._epoch, self._order = position, epoch, order
        self._is_new_epoch = is_new_epoch
        return [self.dataset[index] for index in numpy.concatenate(chunks)]

    next = __next__

    def _next_order(self, order: numpy.ndarray, position: int) -> numpy.ndarray:
        new_order = self.order_sampler(order, position)
        if len(new_order) != len(order):
            raise ValueError(
                f"SerialIterator: the order sampler returned an order of length "
                f"{len(new_order)}; expected {len(order)}"
            )
        return new_order

    @property
    def epoch(self) -> int:
        """Number of epochs completed."""
        return self._epoch

    @property
    def current_position(self) -> int:
        """Position of the next example in the current epoch's order."""
        return self._current_position

    @property
    def is_new_epoch(self) -> bool:
        """Whether the last batch reached the end of an epoch."""
        return self._is_new_epoch

    @property
    def epoch_detail(self) -> float:
        """Epochs completed, with the fraction of the current one: ``epoch + position / N``."""
        n = self._epoch_size
        return float(self._epoch) if n == 0 else self._epoch + self._current_position / n

    @property
    def previous_epoch_detail(self) -> float | None:
        """:attr:`epoch_detail` before the last batch, or ``None`` before the first batch."""
        if self._previous_epoch_detail < 0:
            return None
        return self._previous_epoch_detail

    @property
    def repeat(self) -> bool:
        """Whether the iterator runs over the dataset repeatedly."""
        return self._repeat

    @property
    def _epoch_size(self) -> int:
        return len(self.dataset) if self._order is None else len(self._order)

    def reset(self) -> None:
        """Go back to the start of the first epoch (drawing a new order when shuffling)."""
        self._current_position = 0
        self._epoch = 0
        self._is_new_epoch = False
        self._order = None
        if self.order_sampler is not None:
            self._order = self._next_order(numpy.arange(len(self.dataset)), 0)
        self._previous_epoch_detail = -1.0

    def serialize(self, serializer: Any) -> None:
        """Save or load the position, epoch and order, so a resumed run yields the same batches.

        Entries: ``current_position``, ``epoch``, ``is_new_epoch``, ``order`` (only when the
        iterator has an order sampler) and ``previous_epoch_detail`` (``-1.0`` for ``None``).

        Args:
            serializer: A serializer or a deserializer (``value = serializer(key, value)``).
        """
        self._current_position = int(serializer("current_position", self._current_position))
        self._epoch = int(serializer("epoch", self._epoch))
        self._is_new_epoch = bool(serializer("is_new_epoch", self._is_new_epoch))
        if self._order is not None:
            self._order = numpy.asarray(serializer("order", self._order))
        self._previous_epoch_detail = float(
            serializer("previous_epoch_detail", self._previous_epoch_detail)
        )
