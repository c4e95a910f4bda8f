"""A dataset of dicts built from several named datasets (Chainer v7's ``DictDataset``)."""

from __future__ import annotations

from typing import Any

import numpy


class DictDataset:
    """Dataset whose ``i``-th example is a dict of the ``i``-th examples of named datasets.

    Args:
        **datasets: Datasets of the same length, by key.

    Raises:
        ValueError: No dataset is given, or the datasets differ in length.

    Example:
        >>> ds = DictDataset(x=numpy.zeros((3, 2)), t=numpy.arange(3))
        >>> sorted(ds[2])
        ['t', 'x']
    """

    def __init__(self, **datasets: Any) -> None:
        if not datasets:
            raise ValueError("DictDataset: no datasets are given; expected at least one")
        lengths = {key: len(dataset) for key, dataset in datasets.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"DictDataset: dataset length mismatch: {lengths}")
        self._datasets = datasets
        self._length = next(iter(lengths.values()))

    def __getitem__(self, index: Any) -> Any:
        """Return one dict for an integer index, a list of dicts for a slice, list or array."""
        batches = {key: dataset[index] for key, dataset in self._datasets.items()}
        if isinstance(index, (slice, list, numpy.ndarray)):
            length = len(next(iter(batches.values())))
            return [{key: batch[i] for key, batch in batches.items()} for i in range(length)]
        return batches

    def __len__(self) -> int:
        return self._length
