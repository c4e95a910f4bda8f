import collections
import pickle

import numpy as np
import pytest
from scipy import stats

from kusari_rl.misc import RandomAccessQueue
from kusari_rl.misc.collections import _sample_distinct


def test_matches_deque_under_random_operations():
    rng = np.random.RandomState(0)
    for maxlen in (None, 1, 7):
        queue = RandomAccessQueue(maxlen=maxlen)
        reference = collections.deque(maxlen=maxlen)
        for step in range(600):
            op = rng.randint(4)
            if op == 0 or not reference:
                queue.append(step)
                reference.append(step)
            elif op == 1:
                assert queue.popleft() == reference.popleft()
            elif op == 2:
                items = list(range(step, step + rng.randint(4)))
                queue.extend(items)
                reference.extend(items)
            else:
                i = int(rng.randint(-len(reference), len(reference)))
                queue[i] = -step
                reference[i] = -step
            assert len(queue) == len(reference)
            assert list(queue) == list(reference)
            assert [queue[i] for i in range(-len(queue), len(queue))] == [
                reference[i] for i in range(-len(reference), len(reference))
            ]


def test_initial_items_are_trimmed_to_maxlen():
    queue = RandomAccessQueue(range(10), maxlen=4)
    assert list(queue) == [6, 7, 8, 9]
    assert repr(queue) == "RandomAccessQueue([6, 7, 8, 9], maxlen=4)"


def test_sample_returns_distinct_items_of_the_queue():
    queue = RandomAccessQueue(range(100), maxlen=50)
    queue.popleft()
    queue.append(100)
    np.random.seed(0)
    for k in (0, 1, 10, 49, 50):
        sample = queue.sample(k)
        assert len(sample) == k == len(set(sample))
        assert set(sample) <= set(queue)


def test_sample_is_uniform():
    queue = RandomAccessQueue(range(10))
    queue.popleft()
    queue.append(10)
    np.random.seed(1)
    counts = collections.Counter(x for _ in range(4000) for x in queue.sample(3))
    observed = [counts[x] for x in queue]
    assert stats.chisquare(observed).pvalue > 1e-3


def test_sample_distinct_large_population_is_uniform_over_positions():
    np.random.seed(2)
    draws = np.stack([_sample_distinct(20, 4) for _ in range(5000)])
    assert all(len(set(row)) == 4 for row in draws.tolist())
    for position in range(4):
        observed = np.bincount(draws[:, position], minlength=20)
        assert stats.chisquare(observed).pvalue > 1e-3


def test_sample_is_reproducible_with_a_seed():
    queue = RandomAccessQueue(range(1000))
    np.random.seed(3)
    first = queue.sample(32)
    np.random.seed(3)
    assert queue.sample(32) == first


def test_pickle_round_trip():
    queue = RandomAccessQueue(range(5), maxlen=5)
    queue.popleft()
    queue.append(5)
    restored = pickle.loads(pickle.dumps(queue))
    assert list(restored) == [1, 2, 3, 4, 5]
    restored.append(6)
    assert list(restored) == [2, 3, 4, 5, 6]


def test_bad_input():
    queue = RandomAccessQueue([1, 2])
    with pytest.raises(IndexError, match="index 2 out of range for length 2"):
        queue[2]
    with pytest.raises(IndexError, match="index -3 out of range"):
        queue[-3] = 0
    with pytest.raises(ValueError, match=r"RandomAccessQueue.sample: k must be in \[0, 2\], got 3"):
        queue.sample(3)
    with pytest.raises(ValueError, match="maxlen must be >= 0"):
        RandomAccessQueue(maxlen=-1)
    empty = RandomAccessQueue()
    with pytest.raises(IndexError, match="pop from an empty queue"):
        empty.popleft()
