"""Sum and min trees, and a FIFO buffer sampled in proportion to priorities.

The trees are arrays holding a complete binary tree (node ``i`` has children ``2i`` and
``2i + 1``; the leaves start at the first power of two ``>= size``), so updates and proportional
draws cost O(log N) and run for a whole batch of indices in one NumPy call per tree level.
Used for prioritized experience replay (Schaul et al. 2016, Sec. 3.3 and Appendix B.2.1).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

import numpy

from kusari_rl.misc.collections import _sample_distinct

__all__ = ["MinTree", "PrioritizedBuffer", "SumTree"]


class _SegmentTree:
    """A complete binary tree over ``size`` leaves whose inner nodes combine their children."""

    _neutral: float
    _combine: Callable[[Any, Any], Any]  # elementwise on arrays
    _combine_one: Callable[[Any, Any], Any]  # on two scalars, without NumPy's call overhead

    def __init__(self, size: int) -> None:
        if isinstance(size, bool) or int(size) != size or size < 1:
            raise ValueError(f"{type(self).__name__}: size must be an integer >= 1, got {size}")
        self.size = int(size)
        self._depth = max(0, (self.size - 1).bit_length())
        self._offset = 1 << self._depth
        self._tree = numpy.full(2 * self._offset, self._neutral, dtype=numpy.float64)

    def __len__(self) -> int:
        return self.size

    def _check(self, index: Any) -> None:
        if numpy.size(index) == 0:
            return
        low, high = numpy.min(index), numpy.max(index)
        if low < 0 or high >= self.size:
            bad = low if low < 0 else high
            raise IndexError(f"{type(self).__name__}: index {bad} out of range [0, {self.size})")

    def __getitem__(self, index: Any) -> Any:
        """Return the leaf value(s) at ``index`` (an int or an int array)."""
        self._check(index)
        return self._get(numpy.asarray(index))

    def _get(self, index: numpy.ndarray) -> numpy.ndarray:
        return self._tree[index + self._offset]

    def __setitem__(self, index: Any, value: Any) -> None:
        """Set the leaf value(s) at ``index`` and update their ancestors.

        ``index`` is an int or an int array (for repeated indices the last value wins).
        """
        if isinstance(index, (int, numpy.integer)):
            if not 0 <= index < self.size:
                raise IndexError(
                    f"{type(self).__name__}: index {index} out of range [0, {self.size})"
                )
            self._set_one(int(index), float(value))
            return
        index = numpy.asarray(index, dtype=numpy.int64)
        self._check(index)
        self._set_many(index, value)

    def _set_many(self, index: numpy.ndarray, value: Any) -> None:
        if index.size == 0:
            return
        tree = self._tree
        pairs = tree.reshape(-1, 2)  # row k holds the children of node k
        combine = self._combine
        nodes = index + self._offset
        tree[nodes] = value
        for _ in range(self._depth):
            nodes >>= 1  # repeated parents get the same value, so no numpy.unique
            children = pairs.take(nodes, axis=0)
            tree[nodes] = combine(children[:, 0], children[:, 1])

    def _set_one(self, index: int, value: float) -> None:
        tree = self._tree
        combine = self._combine_one
        node = index + self._offset
        tree[node] = value
        node >>= 1
        while node:
            tree[node] = combine(tree[2 * node], tree[2 * node + 1])
            node >>= 1


class SumTree(_SegmentTree):
    """Leaves hold non-negative weights; :meth:`sample` picks leaves in proportion to them.

    Args:
        size: The number of leaves (all start at 0).

    Raises:
        ValueError: If ``size`` is not a positive integer.
    """

    _neutral = 0.0
    _combine = staticmethod(numpy.add)
    _combine_one = staticmethod(operator.add)

    def sum(self) -> float:
        """Return the sum of all leaves (O(1))."""
        return float(self._tree[1])

    def find(self, prefix: numpy.ndarray) -> numpy.ndarray:
        """Return, for each value ``u``, the leaf ``i`` whose cumulative interval holds ``u``.

        That is ``sum(leaves[:i]) <= u < sum(leaves[:i + 1])``: a walk from the root per value,
        all values at once. Leaves of weight 0 are never returned, even for ``u`` at or beyond
        :meth:`sum` through rounding.

        Args:
            prefix: Float array of shape ``(n,)`` with values in ``[0, sum())``.

        Returns:
            An int64 array of shape ``(n,)``.
        """
        prefix = numpy.asarray(prefix, dtype=numpy.float64)
        tree = self._tree
        value = prefix.copy()
        node = numpy.ones(value.shape, dtype=numpy.int64)
        for _ in range(self._depth):
            node <<= 1
            left_sum = tree[node]
            right = value >= left_sum
            value -= left_sum * right
            node += right
        empty = tree[node] <= 0
        if empty.any():
            node[empty] = self._find_nonempty(prefix[empty])
        return node - self._offset

    def _find_nonempty(self, prefix: numpy.ndarray) -> numpy.ndarray:
        # The walk of find, but never into a subtree of sum 0 (reached only through rounding).
        pairs = self._tree.reshape(-1, 2)
        value = prefix.copy()
        node = numpy.ones(value.shape, dtype=numpy.int64)
        for _ in range(self._depth):
            children = pairs.take(node, axis=0)
            right = (value >= children[:, 0]) & (children[:, 1] > 0)
            value -= children[:, 0] * right
            node = 2 * node + right
        return node

    def sample(self, n: int) -> numpy.ndarray:
        """Draw ``n`` leaves with replacement, leaf ``i`` with probability ``leaves[i] / sum()``.

        Uses :mod:`numpy.random`.

        Returns:
            An int64 array of shape ``(n,)``.

        Raises:
            ValueError: If the sum of the leaves is not positive.
        """
        total = self.sum()
        if not total > 0:
            raise ValueError(f"SumTree.sample: the leaves sum to {total}, expected > 0")
        return self.find(numpy.random.uniform(0.0, total, size=n))


class MinTree(_SegmentTree):
    """Leaves hold values; :meth:`min` returns the smallest in O(1).

    Args:
        size: The number of leaves (all start at ``+inf``).

    Raises:
        ValueError: If ``size`` is not a positive integer.
    """

    _neutral = numpy.inf
    _combine = staticmethod(numpy.minimum)
    _combine_one = staticmethod(min)

    def min(self) -> float:
        """Return the smallest leaf (``inf`` when all are unset)."""
        return float(self._tree[1])


class PrioritizedBuffer:
    """A FIFO queue whose items are sampled in proportion to their priorities.

    Items live in a ring of slots mirrored by a :class:`SumTree` (for sampling) and a
    :class:`MinTree` (for the smallest probability); without ``capacity`` the ring doubles
    when full. A batch is drawn without repeats: repeated draws are redrawn from the rest, as
    if the items already drawn had priority 0 (sampling without replacement, as ChainerRL).

    With ``wait_priority_after_sampling`` every :meth:`sample` must be followed by one
    :meth:`set_last_priority` (the new priorities of the sampled items) before the next
    :meth:`sample` or :meth:`popleft`; breaking that order raises :class:`RuntimeError`.
    Without it, :meth:`set_last_priority` is optional.

    Args:
        capacity: The largest number of items; appending to a full buffer drops the oldest.
            ``None`` for no limit.
        wait_priority_after_sampling: See above.
        initial_max_priority: The priority of items appended without one, until a larger
            priority is set.

    Raises:
        ValueError: If ``capacity`` is not a positive integer or ``initial_max_priority`` is not
            positive.
    """

    def __init__(
        self,
        capacity: int | None = None,
        wait_priority_after_sampling: bool = True,
        initial_max_priority: float = 1.0,
    ) -> None:
        if capacity is not None and (
            isinstance(capacity, bool) or int(capacity) != capacity or capacity < 1
        ):
            raise ValueError(
                f"PrioritizedBuffer: capacity must be an integer >= 1 or None, got {capacity}"
            )
        if not (0 < initial_max_priority < numpy.inf):
            raise ValueError(
                "PrioritizedBuffer: initial_max_priority must be positive and finite, got "
                f"{initial_max_priority}"
            )
        self.capacity = None if capacity is None else int(capacity)
        self.wait_priority_after_sampling = wait_priority_after_sampling
        self.max_priority = float(initial_max_priority)
        self._allocate(self.capacity or 16)
        self._sampled: numpy.ndarray | None = None

    def _allocate(self, slots: int) -> None:
        self._data: list[Any] = [None] * slots
        self._sums = SumTree(slots)
        self._mins = MinTree(slots)
        self._head = 0
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Any]:
        """Iterate over the items, oldest first."""
        return (self._data[i] for i in self._slots(numpy.arange(self._len)).tolist())

    def _slots(self, indices: numpy.ndarray) -> numpy.ndarray:
        return (indices + self._head) % len(self._data)

    def _check_priority(self, priority: numpy.ndarray, what: str) -> None:
        if priority.size and not (numpy.all(priority > 0) and numpy.all(numpy.isfinite(priority))):
            raise ValueError(
                f"PrioritizedBuffer.{what}: priorities must be positive and finite, got "
                f"{priority.tolist()}"
            )

    def append(self, value: Any, priority: float | None = None) -> None:
        """Add ``value`` with ``priority`` (default: the largest priority seen so far).

        Raises:
            ValueError: If ``priority`` is not positive and finite.
            RuntimeError: If the buffer is full and a sample waits for its priorities.
        """
        if priority is None:
            priority = self.max_priority
        else:
            self._check_priority(numpy.asarray(priority, dtype=numpy.float64), "append")
        if self._len == self.capacity:
            self.popleft()
        elif self._len == len(self._data):
            self._grow()
        slot = (self._head + self._len) % len(self._data)
        self._data[slot] = value
        self._sums[slot] = priority
        self._mins[slot] = priority
        self._len += 1

    def _grow(self) -> None:
        order = self._slots(numpy.arange(self._len))
        data = [self._data[i] for i in order.tolist()]
        sums, mins = self._sums._get(order), self._mins._get(order)
        if self._sampled is not None:
            self._sampled = (self._sampled - self._head) % len(self._data)
        self._allocate(2 * len(data))
        self._data[: len(data)] = data
        self._sums._set_many(numpy.arange(len(data)), sums)
        self._mins._set_many(numpy.arange(len(data)), mins)
        self._len = len(data)

    def popleft(self) -> Any:
        """Remove and return the oldest item.

        Raises:
            IndexError: If the buffer is empty.
            RuntimeError: If a sample waits for its priorities (its items would move).
        """
        if self._len == 0:
            raise IndexError("PrioritizedBuffer.popleft: pop from an empty buffer")
        if self._sampled is not None:
            if self.wait_priority_after_sampling:
                raise RuntimeError(
                    "PrioritizedBuffer.popleft: the last sample waits for set_last_priority"
                )
            self._sampled = None
        slot = self._head
        value = self._data[slot]
        self._data[slot] = None
        self._sums[slot] = 0.0
        self._mins[slot] = numpy.inf
        self._head = (slot + 1) % len(self._data)
        self._len -= 1
        return value

    def sample(self, n: int, uniform_ratio: float = 0) -> tuple[list[Any], numpy.ndarray, float]:
        """Draw ``n`` distinct items, mixing uniform and prioritized draws.

        Each item is drawn uniformly with probability ``uniform_ratio`` (the count of uniform
        draws is binomial), else in proportion to its priority. Uses :mod:`numpy.random`.

        Args:
            n: The number of items, at most ``len(self)``.
            uniform_ratio: The share of uniform draws, in ``[0, 1]``.

        Returns:
            ``(values, probabilities, min_prob)``: the items; float64 array of shape ``(n,)``,
            each item's probability of being drawn in one draw
            (``uniform_ratio / N + (1 - uniform_ratio) * p_i / sum_j p_j``); the smallest such
            probability in the buffer.

        Raises:
            ValueError: If ``n`` or ``uniform_ratio`` is out of range.
            RuntimeError: If the last sample still waits for its priorities.
        """
        if self.wait_priority_after_sampling and self._sampled is not None:
            raise RuntimeError(
                "PrioritizedBuffer.sample: called twice before set_last_priority; set the "
                "priorities of the last sample first"
            )
        if not 0 <= n <= self._len:
            raise ValueError(f"PrioritizedBuffer.sample: n must be in [0, {self._len}], got {n}")
        if not 0 <= uniform_ratio <= 1:
            raise ValueError(
                f"PrioritizedBuffer.sample: uniform_ratio must be in [0, 1], got {uniform_ratio}"
            )
        total = self._sums.sum()
        n_uniform = numpy.random.binomial(n, uniform_ratio) if uniform_ratio > 0 else 0
        uniform = self._slots(_sample_distinct(self._len, n_uniform))
        slots = self._draw_prioritized(n - n_uniform, uniform)
        self._sampled = slots
        priorities = self._mins._get(slots)
        scale = (1 - uniform_ratio) / total
        probabilities = uniform_ratio / self._len + scale * priorities
        min_prob = uniform_ratio / self._len + scale * self._mins.min()
        return [self._data[i] for i in slots.tolist()], probabilities, min_prob

    def _draw_prioritized(self, n: int, chosen: numpy.ndarray) -> numpy.ndarray:
        # Draws n slots not in chosen, in proportion to priority and without repeats, and
        # returns them after chosen. Repeats are redrawn with the chosen slots' priorities set
        # to 0 for the time of the draw.
        zeroed = False
        while n > 0:
            if chosen.size:
                self._sums._set_many(chosen, 0.0)
                zeroed = True
            slots = self._sums.sample(n)
            _, first = numpy.unique(slots, return_index=True)
            slots = slots[numpy.sort(first)]
            chosen = numpy.concatenate([chosen, slots])
            n -= len(slots)
        if zeroed:
            self._sums._set_many(chosen, self._mins._get(chosen))
        return chosen

    def set_last_priority(self, priority: Any) -> None:
        """Give the items of the last :meth:`sample` new priorities.

        Args:
            priority: ``n`` positive floats, in the order of the sampled items.

        Raises:
            RuntimeError: If there is no sample to set priorities for.
            ValueError: If the count differs from the sample or a priority is not positive.
        """
        if self._sampled is None:
            raise RuntimeError(
                "PrioritizedBuffer.set_last_priority: no sample to set priorities for (call "
                "sample first; each sample takes one set_last_priority)"
            )
        priority = numpy.asarray(priority, dtype=numpy.float64).reshape(-1)
        if len(priority) != len(self._sampled):
            raise ValueError(
                f"PrioritizedBuffer.set_last_priority: got {len(priority)} priorities for "
                f"{len(self._sampled)} sampled items"
            )
        self._check_priority(priority, "set_last_priority")
        self._sums._set_many(self._sampled, priority)
        self._mins._set_many(self._sampled, priority)
        if priority.size:
            self.max_priority = max(self.max_priority, float(priority.max()))
        self._sampled = None
