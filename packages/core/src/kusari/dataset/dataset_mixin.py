"""Base class for datasets that index examples one at a time (Chainer v7's ``DatasetMixin``)."""

from __future__ import annotations

from typing import Any

import numpy


class DatasetMixin:
    """Indexing by ``int``, ``slice``, list or array on top of :meth:`get_example`.

    A subclass implements :meth:`__len__` and :meth:`get_example` (one example at an integer
    index); ``dataset[index]`` then works for an integer (one example), a slice, a list or a
    :class:`numpy.ndarray` of indices (a list of examples), as the iterators expect.

    Example:
        >>> class Squares(DatasetMixin):
        ...     def __len__(self):
        ...         return 5
        ...     def get_example(self, i):
        ...         return i * i
        >>> Squares()[1:4]
        [1, 4, 9]
    """

    def __getitem__(self, index: Any) -> Any:
        """Return one example, or a list of examples for a slice, list or array of indices.

        Args:
            index: An ``int``, a ``slice``, a ``list`` of ints or an integer
                :class:`numpy.ndarray`.

        Returns:
            The example at ``index`` for an integer; a list of examples otherwise.
        """
        if isinstance(index, slice):
            return [self.get_example(i) for i in range(*index.indices(len(self)))]
        if isinstance(index, (list, numpy.ndarray)):
            return [self.get_example(i) for i in index]
        return self.get_example(index)

    def __len__(self) -> int:
        """Return the number of examples; subclasses must implement it."""
        raise NotImplementedError(f"{type(self).__name__}: __len__ is not implemented")

    def get_example(self, i: int) -> Any:
        """Return the ``i``-th example; subclasses must implement it.

        Args:
            i: Index of the example.

        Returns:
            The example, in any form the converter of the training loop understands.
        """
        raise NotImplementedError(f"{type(self).__name__}: get_example is not implemented")
