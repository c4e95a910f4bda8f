"""Subsets of a dataset and ways to split one (Chainer v7's ``chainer.datasets.sub_dataset``).

Used to hold out a validation set, or to build the folds of cross validation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

from kusari.dataset.dataset_mixin import DatasetMixin


class SubDataset(DatasetMixin):
    """A contiguous interval of a base dataset, optionally read through a permutation.

    The ``i``-th example (``i >= 0``) is ``dataset[order[start + i]]``, or ``dataset[start + i]``
    without ``order``. A negative ``i`` counts from ``finish``: ``finish + i`` replaces
    ``start + i``. The examples are not copied.

    Args:
        dataset: The base dataset.
        start: First index (into ``order`` when given) of the subset.
        finish: One past the last index of the subset.
        order: A permutation of ``range(len(dataset))``, or ``None`` for the identity.

    Raises:
        ValueError: ``start < 0``, ``finish > len(dataset)``, or ``len(order) != len(dataset)``.
    """

    def __init__(
        self,
        dataset: Any,
        start: int,
        finish: int,
        order: Sequence[int] | numpy.ndarray | None = None,
    ) -> None:
        if start < 0 or finish > len(dataset):
            raise ValueError(
                f"SubDataset: the subset [{start}, {finish}) overruns the base dataset of "
                f"length {len(dataset)}"
            )
        if order is not None and len(order) != len(dataset):
            raise ValueError(
                f"SubDataset: len(order) ({len(order)}) != len(dataset) ({len(dataset)}); order "
                "must be a permutation of the base dataset's indices"
            )
        self._dataset = dataset
        self._start = start
        self._finish = finish
        self._size = finish - start
        self._order = order

    def __len__(self) -> int:
        return self._size

    def get_example(self, i: int) -> Any:
        """Return the ``i``-th example of the subset.

        Raises:
            IndexError: ``i`` is outside ``[-len(self), len(self))``.
        """
        if i >= 0:
            if i >= self._size:
                raise IndexError(f"SubDataset: index {i} out of range for length {self._size}")
            index = self._start + i
        else:
            if i < -self._size:
                raise IndexError(f"SubDataset: index {i} out of range for length {self._size}")
            index = self._finish + i
        if self._order is not None:
            index = self._order[index]
        return self._dataset[index]


def split_dataset(
    dataset: Any, split_at: int, order: Sequence[int] | numpy.ndarray | None = None
) -> tuple[SubDataset, SubDataset]:
    """Split a dataset into two subsets at one position.

    The two subsets share no example and together cover the whole dataset.

    Args:
        dataset: The dataset to split.
        split_at: Position at which to split, ``0 <= split_at <= len(dataset)``.
        order: A permutation of the indices (see :class:`SubDataset`), or ``None``.

    Returns:
        The subsets of indices ``order[:split_at]`` and ``order[split_at:]``.

    Raises:
        TypeError: ``split_at`` is not an integer.
        ValueError: ``split_at`` is negative or larger than ``len(dataset)``.
    """
    if not isinstance(split_at, (int, numpy.integer)) or isinstance(split_at, bool):
        raise TypeError(f"split_dataset: split_at must be an int, got {type(split_at).__name__}")
    n_examples = len(dataset)
    if split_at < 0:
        raise ValueError(f"split_dataset: split_at must be non-negative, got {split_at}")
    if split_at > n_examples:
        raise ValueError(
            f"split_dataset: split_at ({split_at}) exceeds the dataset size ({n_examples})"
        )
    return (
        SubDataset(dataset, 0, split_at, order),
        SubDataset(dataset, split_at, n_examples, order),
    )


def split_dataset_random(
    dataset: Any, first_size: int, seed: int | None = None
) -> tuple[SubDataset, SubDataset]:
    """Split a dataset into two subsets of randomly chosen examples.

    Args:
        dataset: The dataset to split.
        first_size: Number of examples in the first subset.
        seed: Seed of the permutation (``numpy.random.RandomState(seed)``); the same seed always
            gives the same split. ``None`` draws a fresh permutation.

    Returns:
        A subset of ``first_size`` examples drawn without replacement, and one of the rest.

    Raises:
        TypeError: ``first_size`` is not an integer.
        ValueError: ``first_size`` is negative or larger than ``len(dataset)``.
    """
    order = numpy.random.RandomState(seed).permutation(len(dataset))
    return split_dataset(dataset, first_size, order)


def split_dataset_n(
    dataset: Any, n: int, order: Sequence[int] | numpy.ndarray | None = None
) -> list[SubDataset]:
    """Split a dataset into ``n`` subsets of equal size.

    Each subset has ``len(dataset) // n`` examples; the last ``len(dataset) % n`` examples (in
    ``order``) belong to no subset.

    Args:
        dataset: The dataset to split.
        n: Number of subsets, ``n >= 1``.
        order: A permutation of the indices (see :class:`SubDataset`), or ``None``.

    Returns:
        ``n`` subsets; the ``k``-th holds indices ``order[k * m:(k + 1) * m]`` with
        ``m = len(dataset) // n``.

    Raises:
        ValueError: ``n`` is smaller than 1.
    """
    if n < 1:
        raise ValueError(f"split_dataset_n: n must be a positive int, got {n}")
    sub_size = len(dataset) // n
    return [SubDataset(dataset, sub_size * k, sub_size * (k + 1), order) for k in range(n)]


def split_dataset_n_random(dataset: Any, n: int, seed: int | None = None) -> list[SubDataset]:
    """Split a dataset into ``n`` subsets of equal size with randomly chosen examples.

    Args:
        dataset: The dataset to split.
        n: Number of subsets, ``n >= 1``.
        seed: Seed of the permutation (``numpy.random.RandomState(seed)``), or ``None``.

    Returns:
        ``n`` subsets of ``len(dataset) // n`` examples each (see :func:`split_dataset_n`).

    Raises:
        ValueError: ``n`` is smaller than 1.
    """
    order = numpy.random.RandomState(seed).permutation(len(dataset))
    return split_dataset_n(dataset, n, order)


def get_cross_validation_datasets(
    dataset: Any, n_folds: int, order: Sequence[int] | numpy.ndarray | None = None
) -> list[tuple[SubDataset, SubDataset]]:
    """Build the ``(train, test)`` splits of ``n_folds``-fold cross validation.

    The test sets of the folds share no example, cover the whole dataset, and differ in size by
    at most one; each training set is the rest of the dataset.

    Args:
        dataset: The dataset to split.
        n_folds: Number of folds, ``n_folds >= 1``.
        order: A permutation of the indices (see :class:`SubDataset`), or ``None``.

    Returns:
        ``n_folds`` pairs ``(train, test)`` of :class:`SubDataset`.

    Raises:
        ValueError: ``n_folds`` is smaller than 1.
    """
    if n_folds < 1:
        raise ValueError(
            f"get_cross_validation_datasets: n_folds must be a positive int, got {n_folds}"
        )
    order = numpy.arange(len(dataset)) if order is None else numpy.array(order)
    whole_size = len(dataset)
    borders = [whole_size * k // n_folds for k in range(n_folds + 1)]
    test_sizes = [borders[k + 1] - borders[k] for k in range(n_folds)]
    splits = []
    for test_size in reversed(test_sizes):
        splits.append(split_dataset(dataset, whole_size - test_size, order))
        order = numpy.roll(order, test_size)
    return splits


def get_cross_validation_datasets_random(
    dataset: Any, n_folds: int, seed: int | None = None
) -> list[tuple[SubDataset, SubDataset]]:
    """Build the splits of ``n_folds``-fold cross validation over a random permutation.

    Args:
        dataset: The dataset to split.
        n_folds: Number of folds, ``n_folds >= 1``.
        seed: Seed of the permutation (``numpy.random.RandomState(seed)``), or ``None``.

    Returns:
        ``n_folds`` pairs ``(train, test)`` of :class:`SubDataset`
        (see :func:`get_cross_validation_datasets`).

    Raises:
        ValueError: ``n_folds`` is smaller than 1.
    """
    order = numpy.random.RandomState(seed).permutation(len(dataset))
    return get_cross_validation_datasets(dataset, n_folds, order)
