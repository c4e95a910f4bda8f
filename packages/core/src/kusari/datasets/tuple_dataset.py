"""A dataset of tuples zipped from several datasets (Chainer v7's ``TupleDataset``)."""

from __future__ import annotations

from typing import Any

import numpy


class TupleDataset:
    """Dataset whose ``i``-th example is the tuple of the ``i``-th examples of several datasets.

    Args:
        *datasets: Datasets of the same length: arrays (indexed along the first axis), lists or
            any objects supporting ``len`` and ``[]``.

    Raises:
        ValueError: No dataset is given, or the datasets differ in length.

    Example:
        >>> ds = TupleDataset(numpy.zeros((3, 2)), numpy.arange(3))
        >>> ds[1]
        (array([0., 0.]), np.int64(1))
    """

    def __init__(self, *datasets: Any) -> None:
        if not datasets:
            raise ValueError("TupleDataset: no datasets are given; expected at least one")
        length = len(datasets[0])
        for i, dataset in enumerate(datasets[1:], start=1):
            if len(dataset) != length:
                raise ValueError(
                    f"TupleDataset: dataset length mismatch: len(datasets[0]) is {length}, "
                    f"len(datasets[{i}]) is {len(dataset)}"
                )
        self._datasets = datasets
        self._length = length

    def __getitem__(self, index: Any) -> Any:
        """Return one tuple for an integer index, a list of tuples for a slice, list or array."""
        batches = [dataset[index] for dataset in self._datasets]
        if isinstance(index, (slice, list, numpy.ndarray)):
            return [tuple(batch[i] for batch in batches) for i in range(len(batches[0]))]
        return tuple(batches)

    def __len__(self) -> int:
        return self._length
