import collections
import pickle

import numpy as np
import pytest
from scipy import stats

from kusari_rl.misc import MinTree, PrioritizedBuffer, SumTree
from kusari_rl.replay_buffers import PrioritizedEpisodicReplayBuffer, PrioritizedReplayBuffer


def test_sum_tree_find_matches_cumulative_sums():
    rng = np.random.RandomState(0)
    for size in (1, 2, 5, 16, 37):
        tree = SumTree(size)
        leaves = rng.rand(size) * (rng.rand(size) > 0.3)
        leaves[rng.randint(size)] = 1.0
        tree[np.arange(size)] = leaves
        for i in rng.randint(size, size=5).tolist():
            leaves[i] = rng.rand()
            tree[i] = leaves[i]
        np.testing.assert_allclose(tree.sum(), leaves.sum())
        np.testing.assert_array_equal(tree[np.arange(size)], leaves)
        prefix = rng.uniform(0, leaves.sum(), size=200)
        expected = np.searchsorted(np.cumsum(leaves), prefix, side="right")
        np.testing.assert_array_equal(tree.find(prefix), expected)


def test_sum_tree_find_never_returns_empty_leaves_at_the_edge():
    tree = SumTree(6)
    tree[np.array([1, 3])] = [0.1, 0.2]
    found = tree.find(np.array([0.0, tree.sum(), tree.sum() * (1 + 1e-12), 1e9]))
    np.testing.assert_array_equal(found, [1, 3, 3, 3])


def test_sum_tree_sampling_distribution():
    weights = np.array([1.0, 0.0, 3.0, 0.5, 2.5, 0.0, 1.0])
    tree = SumTree(len(weights))
    tree[np.arange(len(weights))] = weights
    np.random.seed(0)
    counts = np.bincount(tree.sample(20000), minlength=len(weights))
    assert counts[weights == 0].sum() == 0
    positive = weights > 0
    expected = 20000 * weights[positive] / weights.sum()
    assert stats.chisquare(counts[positive], expected).pvalue > 1e-3


def test_min_tree_tracks_the_minimum():
    rng = np.random.RandomState(1)
    tree = MinTree(13)
    leaves = np.full(13, np.inf)
    assert tree.min() == np.inf
    for _ in range(50):
        index = rng.randint(13, size=rng.randint(1, 4))
        values = rng.rand(len(index))
        leaves[index] = values
        tree[index] = values
        assert tree.min() == leaves.min()
        i = int(rng.randint(13))
        leaves[i] = np.inf
        tree[i] = np.inf
        assert tree.min() == leaves.min()


def test_trees_bad_input():
    with pytest.raises(ValueError, match="SumTree: size must be an integer >= 1, got 0"):
        SumTree(0)
    tree = MinTree(4)
    with pytest.raises(IndexError, match=r"MinTree: index 4 out of range \[0, 4\)"):
        tree[4] = 1.0
    with pytest.raises(IndexError, match="index -1 out of range"):
        tree[np.array([0, -1])]
    with pytest.raises(ValueError, match="SumTree.sample: the leaves sum to 0.0"):
        SumTree(3).sample(1)


def test_buffer_is_a_fifo_with_capacity():
    buffer = PrioritizedBuffer(capacity=3)
    for i in range(5):
        buffer.append(i, priority=i + 1.0)
    assert len(buffer) == 3 and list(buffer) == [2, 3, 4]
    assert buffer.popleft() == 2
    buffer.append(5)
    assert list(buffer) == [3, 4, 5]


def test_unbounded_buffer_grows_and_keeps_priorities():
    buffer = PrioritizedBuffer()
    reference = collections.deque()
    for i in range(100):
        buffer.append(i, priority=float(i % 7 + 1))
        reference.append(i)
        if i % 3 == 0:
            assert buffer.popleft() == reference.popleft()
    assert list(buffer) == list(reference)
    np.random.seed(0)
    values, probabilities, min_prob = buffer.sample(len(buffer))
    assert sorted(values) == sorted(reference)
    priorities = np.array([v % 7 + 1.0 for v in values])
    np.testing.assert_allclose(probabilities, priorities / priorities.sum())
    np.testing.assert_allclose(min_prob, 1.0 / priorities.sum())


def test_single_draw_distribution_and_distinct_batches():
    priorities = [1.0, 2.0, 4.0, 8.0, 0.5]
    buffer = PrioritizedBuffer(wait_priority_after_sampling=False)
    for i, p in enumerate(priorities):
        buffer.append(i, priority=p)
    np.random.seed(3)
    counts = collections.Counter(buffer.sample(1)[0][0] for _ in range(6000))
    observed = [counts[i] for i in range(5)]
    expected = 6000 * np.array(priorities) / sum(priorities)
    assert stats.chisquare(observed, expected).pvalue > 1e-3
    for _ in range(50):
        values, probabilities, _ = buffer.sample(4)
        assert len(set(values)) == 4
        np.testing.assert_allclose(probabilities, np.take(priorities, values) / sum(priorities))


def test_set_last_priority_changes_what_is_sampled():
    buffer = PrioritizedBuffer()
    for i in range(4):
        buffer.append(i)
    np.random.seed(0)
    values, probabilities, min_prob = buffer.sample(2)
    np.testing.assert_allclose(probabilities, [0.25, 0.25])
    assert min_prob == 0.25
    buffer.set_last_priority([5.0, 1.0])
    assert buffer.max_priority == 5.0
    buffer.append(4)
    values2, probabilities2, min_prob2 = buffer.sample(5)
    expected = {values[0]: 5.0, values[1]: 1.0, 4: 5.0}
    total = 5.0 + 1.0 + 5.0 + 2 * 1.0
    np.testing.assert_allclose(probabilities2, [expected.get(v, 1.0) / total for v in values2])
    np.testing.assert_allclose(min_prob2, 1.0 / total)


def test_uniform_ratio_probabilities():
    buffer = PrioritizedBuffer()
    for i, p in enumerate([1.0, 3.0, 6.0]):
        buffer.append(i, priority=p)
    np.random.seed(0)
    values, probabilities, min_prob = buffer.sample(3, uniform_ratio=0.5)
    expected = [0.5 / 3 + 0.5 * [1.0, 3.0, 6.0][v] / 10 for v in values]
    np.testing.assert_allclose(probabilities, expected)
    np.testing.assert_allclose(min_prob, 0.5 / 3 + 0.5 * 0.1)


def test_wait_priority_protocol_errors():
    buffer = PrioritizedBuffer(capacity=2)
    buffer.append("a")
    buffer.append("b")
    with pytest.raises(RuntimeError, match="no sample to set priorities for"):
        buffer.set_last_priority([1.0])
    buffer.sample(1)
    with pytest.raises(RuntimeError, match="called twice before set_last_priority"):
        buffer.sample(1)
    with pytest.raises(RuntimeError, match="waits for set_last_priority"):
        buffer.append("c")
    with pytest.raises(ValueError, match="got 2 priorities for 1 sampled items"):
        buffer.set_last_priority([1.0, 2.0])
    with pytest.raises(ValueError, match="priorities must be positive and finite"):
        buffer.set_last_priority([0.0])
    buffer.set_last_priority([2.0])
    buffer.append("c")
    assert list(buffer) == ["b", "c"]
    with pytest.raises(ValueError, match=r"n must be in \[0, 2\], got 3"):
        buffer.sample(3)
    with pytest.raises(ValueError, match=r"uniform_ratio must be in \[0, 1\]"):
        buffer.sample(1, uniform_ratio=1.5)
    with pytest.raises(ValueError, match="capacity must be an integer >= 1 or None"):
        PrioritizedBuffer(capacity=0)
    with pytest.raises(IndexError, match="pop from an empty buffer"):
        PrioritizedBuffer().popleft()


def test_buffer_pickle_round_trip_samples_identically():
    buffer = PrioritizedBuffer(capacity=20)
    for i in range(30):
        buffer.append(i, priority=1.0 + i % 4)
    restored = pickle.loads(pickle.dumps(buffer))
    np.random.seed(7)
    expected = buffer.sample(5)
    np.random.seed(7)
    actual = restored.sample(5)
    assert actual[0] == expected[0]
    np.testing.assert_array_equal(actual[1], expected[1])


def _fill(buffer, n, terminal_every=None):
    for t in range(n):
        terminal = terminal_every is not None and t % terminal_every == terminal_every - 1
        buffer.append(state=t, action=t, reward=1.0, next_state=t + 1, is_state_terminal=terminal)


def test_prioritized_replay_weights_priorities_and_beta_annealing():
    buffer = PrioritizedReplayBuffer(
        alpha=0.5, beta0=0.4, betasteps=4, eps=0.01, error_min=0, error_max=1
    )
    _fill(buffer, 6)
    np.random.seed(0)
    sampled = buffer.sample(6)
    np.testing.assert_allclose([e[0]["weight"] for e in sampled], np.ones(6))
    np.testing.assert_allclose(buffer.beta, 0.55)
    errors = np.array([0.0, 0.25, 0.5, 2.0, 1.0, 0.09])
    buffer.update_errors(errors)
    priorities = (np.clip(errors, 0, 1) + 0.01) ** 0.5
    by_action = {e[0]["action"]: p for e, p in zip(sampled, priorities, strict=True)}
    sampled = buffer.sample(3)
    probabilities = np.array([by_action[e[0]["action"]] for e in sampled]) / priorities.sum()
    expected = (probabilities / probabilities.min()) ** -0.55
    np.testing.assert_allclose([e[0]["weight"] for e in sampled], expected)
    buffer.update_errors([0.5, 0.5, 0.5])
    for _ in range(4):
        buffer.sample(1)
        buffer.update_errors([0.5])
    assert buffer.beta == 1.0


@pytest.mark.parametrize("normalize_by_max", ["memory", False])
def test_prioritized_replay_weight_normalizations(normalize_by_max):
    buffer = PrioritizedReplayBuffer(
        alpha=1.0, beta0=0.5, betasteps=None, eps=0.0, normalize_by_max=normalize_by_max
    )
    _fill(buffer, 4)
    np.random.seed(0)
    sampled = buffer.sample(4)
    buffer.update_errors([0.1, 0.2, 0.3, 0.4])
    priority = {e[0]["action"]: p for e, p in zip(sampled, [0.1, 0.2, 0.3, 0.4], strict=True)}
    sampled = buffer.sample(2)
    probabilities = np.array([priority[e[0]["action"]] for e in sampled])
    if normalize_by_max == "memory":
        expected = (probabilities / 0.1) ** -0.5
    else:
        expected = (4 * probabilities) ** -0.5
    np.testing.assert_allclose([e[0]["weight"] for e in sampled], expected)
    assert buffer.beta == 0.5


def test_prioritized_replay_n_step_and_save_load(tmp_path):
    buffer = PrioritizedReplayBuffer(capacity=10, num_steps=3)
    _fill(buffer, 15, terminal_every=5)
    assert len(buffer) == 10
    assert all(1 <= len(e) <= 3 for e in buffer.memory)
    buffer.save(tmp_path / "prb.pkl")
    restored = PrioritizedReplayBuffer(capacity=10, num_steps=3)
    restored.load(tmp_path / "prb.pkl")
    np.random.seed(4)
    expected = buffer.sample(4)
    np.random.seed(4)
    actual = restored.sample(4)
    assert [[t["action"] for t in e] for e in actual] == [
        [t["action"] for t in e] for e in expected
    ]
    assert [e[0]["weight"] for e in actual] == [e[0]["weight"] for e in expected]


def test_prioritized_replay_bad_input():
    with pytest.raises(ValueError, match="PrioritizedReplayBuffer: alpha must be >= 0, got -1"):
        PrioritizedReplayBuffer(alpha=-1)
    with pytest.raises(ValueError, match=r"beta0 must be in \[0, 1\], got 2"):
        PrioritizedReplayBuffer(beta0=2)
    with pytest.raises(ValueError, match="normalize_by_max must be True, False, 'batch' or"):
        PrioritizedReplayBuffer(normalize_by_max="max")
    with pytest.raises(ValueError, match=r"error_min \(2\) > error_max \(1\)"):
        PrioritizedReplayBuffer(error_min=2)
    buffer = PrioritizedReplayBuffer(eps=0.0)
    _fill(buffer, 2)
    with pytest.raises(ValueError, match="asked for 3 experiences but the buffer holds 2"):
        buffer.sample(3)
    buffer.sample(1)
    with pytest.raises(ValueError, match="priorities must be positive"):
        buffer.update_errors([0.0])


def test_prioritized_episodic_replay():
    buffer = PrioritizedEpisodicReplayBuffer(
        capacity=8, alpha=1.0, beta0=1.0, eps=0.0, default_priority_func=len
    )
    _fill(buffer, 9, terminal_every=3)
    assert buffer.n_episodes == 2 and buffer.capacity_left == 2 and len(buffer) == 8
    assert sorted(e[0]["action"] for e in buffer.episodic_memory) == [3, 6]
    np.random.seed(0)
    episodes, weights = buffer.sample_episodes(2, max_len=2)
    assert all(len(e) == 2 for e in episodes)
    np.testing.assert_allclose(weights, [1.0, 1.0])
    priority = {episodes[0][0]["action"] // 3 * 3: 1.0, episodes[1][0]["action"] // 3 * 3: 3.0}
    buffer.update_errors([priority[e[0]["action"] // 3 * 3] for e in episodes])
    counts = collections.Counter()
    for _ in range(800):
        (episode,), (weight,) = buffer.sample_episodes(1)
        start = episode[0]["action"]
        counts[start] += 1
        assert weight == 1.0
        buffer.update_errors([priority[start]])
    observed = [counts[start] for start in priority]
    expected = 800 * np.array(list(priority.values())) / 4.0
    assert stats.chisquare(observed, expected).pvalue > 1e-3


def test_prioritized_episodic_save_load_restores_capacity(tmp_path):
    buffer = PrioritizedEpisodicReplayBuffer(capacity=10, return_sample_weights=False)
    _fill(buffer, 6, terminal_every=3)
    buffer.save(tmp_path / "pe.pkl")
    restored = PrioritizedEpisodicReplayBuffer(capacity=10, return_sample_weights=False)
    restored.load(tmp_path / "pe.pkl")
    assert restored.capacity_left == 4 and restored.n_episodes == 2
    np.random.seed(0)
    episodes = restored.sample_episodes(2)
    assert sorted(e[0]["action"] for e in episodes) == [0, 3]
    with pytest.raises(ValueError, match=r"uniform_ratio must be in \[0, 1\], got -0.5"):
        PrioritizedEpisodicReplayBuffer(uniform_ratio=-0.5)


def test_growing_while_a_sample_waits_keeps_its_items():
    buffer = PrioritizedBuffer()
    for i in range(16):
        buffer.append(i)
    buffer.popleft()
    buffer.append(16)
    np.random.seed(0)
    values, _, _ = buffer.sample(2)
    buffer.append(17)
    buffer.set_last_priority([50.0, 30.0])
    priority = {values[0]: 50.0, values[1]: 30.0}
    all_values, probabilities, _ = buffer.sample(len(buffer))
    expected = [priority.get(v, 1.0) / (80.0 + 15) for v in all_values]
    np.testing.assert_allclose(probabilities, expected)
    assert list(buffer) == list(range(1, 18))
