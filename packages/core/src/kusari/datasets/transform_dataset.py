"""A dataset that applies a function to each example (Chainer v7's ``TransformDataset``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kusari.dataset.dataset_mixin import DatasetMixin


class TransformDataset(DatasetMixin):
    """Dataset that returns ``transform(dataset[i])`` as its ``i``-th example.

    The transform runs each time an example is read, so it can draw random augmentations.

    Args:
        dataset: The base dataset.
        transform: Function that takes one example of ``dataset`` and returns the new example.

    Example:
        >>> ds = TransformDataset([1, 2, 3], lambda x: x * 10)
        >>> ds[1:]
        [20, 30]
    """

    def __init__(self, dataset: Any, transform: Callable[[Any], Any]) -> None:
        self._dataset = dataset
        self._transform = transform

    def __len__(self) -> int:
        return len(self._dataset)

    def get_example(self, i: int) -> Any:
        """Return ``transform(dataset[i])``."""
        return self._transform(self._dataset[i])
