import gymnasium
import numpy as np
import pytest
from _rl_toy_envs import ChainEnv, PointEnv

from kusari_rl import wrappers


class RecordActionEnv(gymnasium.Env):
    """Records the actions it receives; never ends on its own."""

    def __init__(self, action_space, terminate_at=None):
        self.action_space = action_space
        self.observation_space = gymnasium.spaces.Box(0, 255, (2,), np.uint8)
        self.actions = []
        self.terminate_at = terminate_at
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.array([1, 2], dtype=np.uint8), {}

    def step(self, action):
        self.actions.append(action)
        self.t += 1
        return np.array([3, 4], dtype=np.uint8), 2.0, self.t == self.terminate_at, False, {}


def test_cast_observation():
    env = wrappers.CastObservation(RecordActionEnv(gymnasium.spaces.Discrete(2)), np.float64)
    obs, _ = env.reset()
    assert obs.dtype == np.float64
    np.testing.assert_array_equal(obs, [1.0, 2.0])
    assert env.original_observation.dtype == np.uint8
    assert env.observation_space.dtype == np.float64
    np.testing.assert_array_equal(env.observation_space.high, [255.0, 255.0])
    obs, *_ = env.step(0)
    np.testing.assert_array_equal(obs, [3.0, 4.0])
    np.testing.assert_array_equal(env.original_observation, np.array([3, 4], dtype=np.uint8))


def test_cast_observation_to_float32():
    env = wrappers.CastObservationToFloat32(RecordActionEnv(gymnasium.spaces.Discrete(2)))
    obs, _ = env.reset()
    assert obs.dtype == np.float32
    assert env.observation_space.contains(obs)


def test_normalize_action_space_maps_affinely():
    space = gymnasium.spaces.Box(
        np.array([-2.0, 0.0], np.float32), np.array([2.0, 10.0], np.float32), dtype=np.float32
    )
    inner = RecordActionEnv(space)
    env = wrappers.NormalizeActionSpace(inner)
    assert env.action_space == gymnasium.spaces.Box(-1.0, 1.0, (2,), np.float32)
    env.reset()
    for a in ([-1.0, -1.0], [1.0, 1.0], [0.0, 0.5]):
        env.step(np.array(a, dtype=np.float32))
    low, high = space.low.astype(np.float64), space.high.astype(np.float64)
    expected = [low + (np.array(a) + 1) * (high - low) / 2 for a in ([-1, -1], [1, 1], [0, 0.5])]
    np.testing.assert_allclose(inner.actions, expected, rtol=1e-6)
    assert all(a.dtype == np.float32 for a in inner.actions)


def test_normalize_action_space_bad_input():
    with pytest.raises(TypeError, match="NormalizeActionSpace: the action space must be a"):
        wrappers.NormalizeActionSpace(ChainEnv())
    unbounded = gymnasium.spaces.Box(-np.inf, np.inf, (1,), np.float32)
    with pytest.raises(ValueError, match="NormalizeActionSpace: the action space must have finite"):
        wrappers.NormalizeActionSpace(RecordActionEnv(unbounded))


def test_scale_reward():
    env = wrappers.ScaleReward(RecordActionEnv(gymnasium.spaces.Discrete(2)), 0.25)
    env.reset()
    _, reward, *_ = env.step(0)
    assert reward == 0.5
    assert env.original_reward == 2.0


def test_randomize_action_fraction_and_seeding():
    inner = RecordActionEnv(gymnasium.spaces.Discrete(4, start=1))
    env = wrappers.RandomizeAction(inner, 0.5)
    env.reset(seed=3)
    for _ in range(2000):
        env.step(1)
    actions = np.asarray(inner.actions)
    assert set(actions.tolist()) == {1, 2, 3, 4}
    # Half are random, of which a quarter are 1 again: 1 - 0.5 * 3/4 of them stay 1.
    assert abs(np.mean(actions == 1) - 0.625) < 0.04
    replay_inner = RecordActionEnv(gymnasium.spaces.Discrete(4, start=1))
    replay = wrappers.RandomizeAction(replay_inner, 0.5)
    replay.reset(seed=3)
    for _ in range(2000):
        replay.step(1)
    assert replay_inner.actions == inner.actions


@pytest.mark.parametrize("fraction, expected", [(0.0, {0}), (1.0, {0, 1, 2})])
def test_randomize_action_extremes(fraction, expected):
    inner = RecordActionEnv(gymnasium.spaces.Discrete(3))
    env = wrappers.RandomizeAction(inner, fraction)
    env.reset(seed=0)
    for _ in range(200):
        env.step(0)
    assert set(int(a) for a in inner.actions) == expected


def test_randomize_action_bad_input():
    with pytest.raises(TypeError, match="RandomizeAction: the action space must be"):
        wrappers.RandomizeAction(PointEnv(), 0.1)
    with pytest.raises(ValueError, match=r"RandomizeAction: random_fraction must be in \[0, 1\]"):
        wrappers.RandomizeAction(ChainEnv(), 1.5)


def test_continuing_time_limit_truncates_and_never_terminates():
    env = wrappers.ContinuingTimeLimit(PointEnv(max_steps=100), max_episode_steps=3)
    env.reset(seed=0)
    flags = [env.step(np.zeros(1, dtype=np.float32))[2:4] for _ in range(3)]
    assert flags == [(False, False), (False, False), (False, True)]
    env.reset()
    assert env.step(np.zeros(1, dtype=np.float32))[2:4] == (False, False)


def test_continuing_time_limit_keeps_the_env_termination():
    env = wrappers.ContinuingTimeLimit(ChainEnv(n=3, max_steps=100), max_episode_steps=2)
    env.reset()
    assert env.step(1)[2:4] == (False, False)
    assert env.step(1)[2:4] == (True, True)


def test_continuing_time_limit_bad_use():
    with pytest.raises(ValueError, match="ContinuingTimeLimit: max_episode_steps"):
        wrappers.ContinuingTimeLimit(ChainEnv(), 0)
    env = wrappers.ContinuingTimeLimit(ChainEnv(), 5)
    with pytest.raises(RuntimeError, match=r"call reset\(\) before step\(\)"):
        env.step(0)
