import os

import numpy as np
import pytest

from kusari_rl import replay_buffer, replay_buffers
from kusari_rl.replay_buffer import ReplayUpdater, batch_experiences


def _append_steps(buffer, steps, env_id=0, terminal_at=None):
    for t in steps:
        buffer.append(
            state=np.full(2, t, dtype=np.float32),
            action=t,
            reward=float(t),
            next_state=np.full(2, t + 1, dtype=np.float32),
            is_state_terminal=(t == terminal_at),
            env_id=env_id,
        )


def _actions(experiences):
    return sorted(tuple(t["action"] for t in e) for e in experiences)


def test_module_reexports_the_buffers_as_chainerrl():
    for name in replay_buffers.__all__:
        assert getattr(replay_buffer, name) is getattr(replay_buffers, name)
        assert name in replay_buffer.__all__
    assert "ReplayBuffer" in dir(replay_buffer)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        replay_buffer.Nope  # noqa: B018


def test_one_step_capacity_evicts_the_oldest():
    buffer = replay_buffers.ReplayBuffer(capacity=3)
    _append_steps(buffer, range(5))
    assert len(buffer) == 3
    assert [e[0]["action"] for e in buffer.memory] == [2, 3, 4]
    assert all(len(e) == 1 for e in buffer.memory)
    assert buffer.memory[0][0]["next_action"] is None


def test_n_step_sequences_with_a_terminal_state():
    buffer = replay_buffers.ReplayBuffer(num_steps=3)
    _append_steps(buffer, range(2))
    assert len(buffer) == 0
    _append_steps(buffer, range(2, 5), terminal_at=4)
    assert [tuple(t["action"] for t in e) for e in buffer.memory] == [
        (0, 1, 2),
        (1, 2, 3),
        (2, 3, 4),
        (3, 4),
        (4,),
    ]
    assert len(buffer.last_n_transitions[0]) == 0


def test_terminal_before_the_window_is_full():
    buffer = replay_buffers.ReplayBuffer(num_steps=4)
    _append_steps(buffer, range(2), terminal_at=1)
    _append_steps(buffer, range(10, 13))
    assert _actions(buffer.memory) == [(0, 1), (1,)]
    buffer.stop_current_episode()
    assert _actions(buffer.memory) == [(0, 1), (1,), (10, 11, 12), (11, 12), (12,)]


def test_stop_current_episode_flushes_a_full_window_without_duplicates():
    buffer = replay_buffers.ReplayBuffer(num_steps=2)
    _append_steps(buffer, range(4))
    assert _actions(buffer.memory) == [(0, 1), (1, 2), (2, 3)]
    buffer.stop_current_episode()
    assert _actions(buffer.memory) == [(0, 1), (1, 2), (2, 3), (3,)]
    assert not buffer.memory[-1][-1]["is_state_terminal"]
    buffer.stop_current_episode()
    assert len(buffer) == 4


def test_env_ids_are_kept_apart():
    buffer = replay_buffers.ReplayBuffer(num_steps=2)
    for t in range(3):
        _append_steps(buffer, [t], env_id="a")
        _append_steps(buffer, [100 + t], env_id="b")
    assert _actions(buffer.memory) == [(0, 1), (1, 2), (100, 101), (101, 102)]
    buffer.stop_current_episode(env_id="b")
    assert _actions(buffer.memory)[-1] == (102,)
    assert len(buffer.last_n_transitions["a"]) == 2
    _append_steps(buffer, [3], env_id="a", terminal_at=3)
    assert (2, 3) in _actions(buffer.memory) and (3,) in _actions(buffer.memory)


def test_extra_keys_are_stored():
    buffer = replay_buffers.ReplayBuffer()
    buffer.append(1, 0, 0.0, 2, next_action=1, mu=0.5)
    assert buffer.memory[0][0]["mu"] == 0.5
    assert buffer.memory[0][0]["next_action"] == 1


def test_sample_returns_distinct_experiences():
    buffer = replay_buffers.ReplayBuffer(num_steps=1)
    _append_steps(buffer, range(50))
    np.random.seed(0)
    sample = buffer.sample(20)
    assert len({e[0]["action"] for e in sample}) == 20
    assert buffer.sample(0) == []


def _transition(state, action, reward, next_state, terminal, next_action=None):
    return {
        "state": np.asarray(state, dtype=np.float64),
        "action": action,
        "reward": reward,
        "next_state": np.asarray(next_state, dtype=np.float64),
        "next_action": next_action,
        "is_state_terminal": terminal,
    }


def test_batch_experiences_matches_hand_computed_n_step_targets():
    gamma = 0.9
    experiences = [
        [
            _transition([0, 0], 1, 1.0, [1, 1], False),
            _transition([1, 1], 0, 2.0, [2, 2], False),
            _transition([2, 2], 1, 3.0, [3, 3], False),
        ],
        [_transition([5, 5], 0, -1.0, [6, 6], False), _transition([6, 6], 1, 4.0, [7, 7], True)],
        [_transition([8, 8], 1, 0.5, [9, 9], True)],
        [_transition([4, 4], 0, 2.0, [5, 5], False)],
    ]
    batch = batch_experiences(experiences, np, lambda x: x * 2, gamma)
    np.testing.assert_array_equal(batch["state"], [[0, 0], [10, 10], [16, 16], [8, 8]])
    np.testing.assert_array_equal(batch["next_state"], [[6, 6], [14, 14], [18, 18], [10, 10]])
    np.testing.assert_array_equal(batch["action"], [1, 0, 1, 0])
    np.testing.assert_allclose(
        batch["reward"], [1 + 0.9 * 2 + 0.81 * 3, -1 + 0.9 * 4, 0.5, 2.0], rtol=1e-6
    )
    np.testing.assert_array_equal(batch["is_state_terminal"], [0, 1, 1, 0])
    np.testing.assert_allclose(batch["discount"], [0.729, 0.81, 0.9, 0.9], rtol=1e-6)
    for key in ("state", "next_state", "reward", "is_state_terminal", "discount"):
        assert batch[key].dtype == np.float32
    assert "next_action" not in batch


def test_batch_experiences_next_action_and_float_actions():
    experiences = [
        [_transition([0.0], np.array([0.5, -0.5]), 1.0, [1.0], False, next_action=np.ones(2))],
        [_transition([1.0], np.array([0.1, 0.2]), 2.0, [2.0], True, next_action=np.zeros(2))],
    ]
    batch = batch_experiences(experiences, np, lambda x: x, 0.99)
    assert batch["action"].dtype == np.float32
    assert batch["action"].shape == (2, 2)
    np.testing.assert_array_equal(batch["next_action"], [[1, 1], [0, 0]])
    np.testing.assert_allclose(batch["discount"], [0.99, 0.99])


def test_batch_experiences_from_a_buffer_bootstraps_truncated_episodes():
    buffer = replay_buffers.ReplayBuffer(num_steps=2)
    _append_steps(buffer, range(3))
    buffer.stop_current_episode()
    batch = batch_experiences(list(buffer.memory), np, lambda x: x, 0.5)
    np.testing.assert_array_equal(batch["action"], [0, 1, 2])
    np.testing.assert_allclose(batch["reward"], [0 + 0.5 * 1, 1 + 0.5 * 2, 2])
    np.testing.assert_array_equal(batch["is_state_terminal"], [0, 0, 0])
    np.testing.assert_allclose(batch["discount"], [0.25, 0.25, 0.5])
    np.testing.assert_array_equal(batch["next_state"][:, 0], [2, 3, 3])


def test_batch_experiences_bad_input():
    with pytest.raises(ValueError, match="batch_experiences: experiences is empty"):
        batch_experiences([], np, lambda x: x, 0.9)
    with pytest.raises(ValueError, match="at least one transition"):
        batch_experiences([[]], np, lambda x: x, 0.9)


def test_save_load_round_trip_gives_identical_samples(tmp_path):
    buffer = replay_buffers.ReplayBuffer(capacity=30, num_steps=2)
    _append_steps(buffer, range(40), terminal_at=39)
    path = tmp_path / "rbuf.pkl"
    buffer.save(path)
    assert os.listdir(tmp_path) == ["rbuf.pkl"]
    restored = replay_buffers.ReplayBuffer(capacity=30, num_steps=2)
    restored.load(path)
    assert len(restored) == len(buffer) == 30
    np.random.seed(5)
    expected = buffer.sample(8)
    np.random.seed(5)
    actual = restored.sample(8)
    assert _actions(actual) == _actions(expected)
    assert [tuple(t["action"] for t in e) for e in actual] == [
        tuple(t["action"] for t in e) for e in expected
    ]
    restored.append(0, 0, 0.0, 0)
    restored.append(0, 0, 0.0, 0)
    assert len(restored) == 30


def test_failed_save_keeps_the_old_file(tmp_path):
    buffer = replay_buffers.ReplayBuffer()
    _append_steps(buffer, range(3), terminal_at=2)
    path = tmp_path / "rbuf.pkl"
    buffer.save(path)
    before = path.read_bytes()
    buffer.append(lambda: None, 0, 0.0, is_state_terminal=True)
    with pytest.raises(Exception, match="pickle"):
        buffer.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["rbuf.pkl"]


def test_save_and_load_bad_paths(tmp_path):
    buffer = replay_buffers.ReplayBuffer()
    with pytest.raises(FileNotFoundError, match="ReplayBuffer.save: no folder"):
        buffer.save(tmp_path / "missing" / "rbuf.pkl")
    episodic = replay_buffers.EpisodicReplayBuffer()
    episodic.save(tmp_path / "episodic.pkl")
    with pytest.raises(TypeError, match="ReplayBuffer.load: .* holds a tuple, expected"):
        buffer.load(tmp_path / "episodic.pkl")


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="ReplayBuffer: capacity must be an integer >= 1"):
        replay_buffers.ReplayBuffer(capacity=0)
    with pytest.raises(ValueError, match="capacity must be an integer >= 1 or None, got 2.5"):
        replay_buffers.ReplayBuffer(capacity=2.5)
    with pytest.raises(TypeError, match="ReplayBuffer: capacity must be an int or None"):
        replay_buffers.ReplayBuffer(capacity="10")
    with pytest.raises(ValueError, match="ReplayBuffer: num_steps must be an integer >= 1"):
        replay_buffers.ReplayBuffer(num_steps=0)
    assert replay_buffers.ReplayBuffer(capacity=1e3).capacity == 1000
    buffer = replay_buffers.ReplayBuffer()
    with pytest.raises(ValueError, match="asked for 1 experiences but the buffer holds 0"):
        buffer.sample(1)


class _Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, batch):
        self.calls.append(batch)


def test_replay_updater_schedule():
    buffer = replay_buffers.ReplayBuffer()
    update = _Recorder()
    updater = ReplayUpdater(
        buffer,
        update,
        batchsize=2,
        episodic_update=False,
        n_times_update=3,
        replay_start_size=4,
        update_interval=2,
    )
    _append_steps(buffer, range(3))
    assert not updater.update_if_necessary(2)
    _append_steps(buffer, [3])
    assert not updater.update_if_necessary(3)
    assert updater.update_if_necessary(4)
    assert len(update.calls) == 3
    assert all(len(batch) == 2 and len(batch[0]) == 1 for batch in update.calls)


def test_replay_updater_episodic():
    buffer = replay_buffers.EpisodicReplayBuffer()
    update = _Recorder()
    updater = ReplayUpdater(buffer, update, 2, True, 1, 2, 1, episodic_update_len=2)
    _append_steps(buffer, range(5), terminal_at=4)
    assert not updater.update_if_necessary(1)
    _append_steps(buffer, range(3), terminal_at=2)
    assert updater.update_if_necessary(1)
    (episodes,) = update.calls
    assert len(episodes) == 2 and all(len(e) == 2 for e in episodes)


def test_replay_updater_bad_input():
    buffer = replay_buffers.ReplayBuffer()
    with pytest.raises(ValueError, match=r"batchsize \(8\) must be <= replay_start_size \(4\)"):
        ReplayUpdater(buffer, print, 8, False, 1, 4, 1)
    with pytest.raises(ValueError, match="update_interval must be an integer >= 1, got 0"):
        ReplayUpdater(buffer, print, 1, False, 1, 4, 0)


def test_episodic_buffer_stores_whole_episodes_per_env():
    buffer = replay_buffers.EpisodicReplayBuffer(capacity=6)
    _append_steps(buffer, range(3), env_id=0)
    _append_steps(buffer, range(10, 12), env_id=1, terminal_at=11)
    assert buffer.n_episodes == 1 and len(buffer) == 2
    buffer.stop_current_episode(env_id=0)
    buffer.stop_current_episode(env_id=0)
    assert buffer.n_episodes == 2 and len(buffer) == 5
    _append_steps(buffer, range(20, 22), terminal_at=21)
    assert buffer.n_episodes == 2 and len(buffer) == 5
    assert sorted(tuple(t["action"] for t in e) for e in buffer.episodic_memory) == [
        (0, 1, 2),
        (20, 21),
    ]
    np.random.seed(0)
    assert all(len(e) == 1 for e in buffer.sample(5))
    episodes = buffer.sample_episodes(2, max_len=2)
    assert sorted(len(e) for e in episodes) == [2, 2]
    for episode in episodes:
        actions = [t["action"] for t in episode]
        assert actions[1] == actions[0] + 1


def test_episodic_buffer_save_load_and_bad_input(tmp_path):
    buffer = replay_buffers.EpisodicReplayBuffer()
    _append_steps(buffer, range(4), terminal_at=3)
    _append_steps(buffer, range(2), terminal_at=1)
    buffer.save(tmp_path / "ep.pkl")
    restored = replay_buffers.EpisodicReplayBuffer()
    restored.load(tmp_path / "ep.pkl")
    assert restored.n_episodes == 2 and len(restored) == 6
    np.random.seed(1)
    expected = buffer.sample_episodes(2)
    np.random.seed(1)
    assert [[t["action"] for t in e] for e in restored.sample_episodes(2)] == [
        [t["action"] for t in e] for e in expected
    ]
    with pytest.raises(ValueError, match="asked for 3 episodes but the buffer holds 2"):
        buffer.sample_episodes(3)
    with pytest.raises(ValueError, match="asked for 7 transitions but the buffer holds 6"):
        buffer.sample(7)
    plain = replay_buffers.ReplayBuffer()
    plain.save(tmp_path / "plain.pkl")
    with pytest.raises(TypeError, match="EpisodicReplayBuffer.load: .* holds a RandomAccessQueue"):
        restored.load(tmp_path / "plain.pkl")
