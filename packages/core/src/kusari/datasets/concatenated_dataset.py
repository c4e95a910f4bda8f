"""Datasets joined end to end (Chainer v7's ``ConcatenatedDataset``)."""

from __future__ import annotations

from typing import Any

from kusari.dataset.dataset_mixin import DatasetMixin


class ConcatenatedDataset(DatasetMixin):
    """Dataset made of the examples of several datasets, one after another.

    With datasets of lengths ``n0, n1, ...``, indices ``0 .. n0 - 1`` read the first dataset,
    ``n0 .. n0 + n1 - 1`` the second, and so on.

    Args:
        *datasets: The datasets to join.

    Example:
        >>> ConcatenatedDataset([1, 2], [3])[:]
        [1, 2, 3]
    """

    def __init__(self, *datasets: Any) -> None:
        self._datasets = datasets

    def __len__(self) -> int:
        return sum(len(dataset) for dataset in self._datasets)

    def get_example(self, i: int) -> Any:
        """Return the ``i``-th example of the joined datasets.

        Raises:
            IndexError: ``i`` is negative or not smaller than the total length.
        """
        if i < 0:
            raise IndexError(f"ConcatenatedDataset: index {i} is negative; expected 0 <= i")
        rest = i
        for dataset in self._datasets:
            if rest < len(dataset):
                return dataset[rest]
            rest -= len(dataset)
        raise IndexError(f"ConcatenatedDataset: index {i} out of range for length {len(self)}")
