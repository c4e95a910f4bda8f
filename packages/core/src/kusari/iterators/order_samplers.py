"""Order samplers: how an iterator orders the examples of each epoch (Chainer v7)."""

from __future__ import annotations

from typing import Any

import numpy


class OrderSampler:
    """Base class of order samplers.

    An order sampler is called at the start of each epoch with the order of the epoch that ended
    and the position in it where the iterator stood, and returns the order of the next epoch:
    an integer array of the same length whose entries index the dataset.
    """

    def __call__(self, current_order: numpy.ndarray, current_position: int) -> numpy.ndarray:
        """Return the order of the next epoch.

        Args:
            current_order: The order of the epoch that ended, shape ``(N,)``.
            current_position: The iterator's position in ``current_order``.

        Returns:
            The new order, an integer array of shape ``(N,)``.
        """
        raise NotImplementedError(f"{type(self).__name__}: __call__ is not implemented")


class ShuffleOrderSampler(OrderSampler):
    """Order sampler that draws a fresh random permutation each epoch.

    Args:
        random_state: A :class:`numpy.random.RandomState` to draw from; ``None`` uses NumPy's
            global one, so ``numpy.random.seed`` makes the shuffling reproducible.
    """

    def __init__(self, random_state: numpy.random.RandomState | None = None) -> None:
        self._random = numpy.random.random.__self__ if random_state is None else random_state

    def __call__(self, current_order: Any, current_position: int) -> numpy.ndarray:
        """Return a random permutation of ``range(len(current_order))``."""
        return self._random.permutation(len(current_order))
