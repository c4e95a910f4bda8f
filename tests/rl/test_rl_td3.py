import _rl_continuous as C
import numpy as np
import pytest

from kusari import optimizers
from kusari_rl.agents import TD3
from kusari_rl.agents.td3 import compute_td3_target, default_target_policy_smoothing_func
from kusari_rl.misc import NonFiniteError, set_random_seed
from kusari_rl.replay_buffers import ReplayBuffer


def test_target_matches_numpy():
    rng = np.random.default_rng(0)
    reward = rng.standard_normal(6).astype(np.float32)
    discount = np.float32(0.99) ** rng.integers(1, 4, 6).astype(np.float32)
    terminal = np.array([1, 0, 0, 1, 0, 0], np.float32)
    q1, q2 = (rng.standard_normal((6, 1)).astype(np.float32) for _ in range(2))
    target = compute_td3_target(reward, discount, terminal, q1, q2)
    expected = reward + discount * (1 - terminal) * np.minimum(q1[:, 0], q2[:, 0])
    assert target.shape == (6,) and target.dtype == np.float32
    np.testing.assert_allclose(target, expected, rtol=1e-6)


def test_target_bootstraps_a_truncated_end_but_not_a_terminal_one():
    q1, q2 = np.array([[2.0]], np.float32), np.array([[3.0]], np.float32)
    reward, discount = np.array([1.0], np.float32), np.array([0.9], np.float32)
    truncated = compute_td3_target(reward, discount, np.zeros(1, np.float32), q1, q2)
    terminated = compute_td3_target(reward, discount, np.ones(1, np.float32), q1, q2)
    np.testing.assert_allclose(truncated, [1.0 + 0.9 * 2.0])
    np.testing.assert_allclose(terminated, [1.0])


def test_target_rejects_wrong_q_shape():
    ones = np.ones(4, np.float32)
    with pytest.raises(ValueError, match=r"compute_td3_target: next_q2 must hold 4 values"):
        compute_td3_target(ones, ones, ones, ones, np.ones((2, 1), np.float32))


def test_target_policy_smoothing_noise_bounds():
    np.random.seed(0)
    actions = np.repeat(np.array([[-1.0, 0.0, 1.0, 0.7]], np.float32), 5000, axis=0)
    smoothed = default_target_policy_smoothing_func(actions)
    assert smoothed.dtype == np.float32 and smoothed.shape == actions.shape
    assert smoothed.min() >= -1.0 and smoothed.max() <= 1.0
    noise = smoothed[:, 1]  # around 0 only the +-0.5 clip acts
    assert np.abs(noise).max() == pytest.approx(0.5)
    assert 0.15 < noise.std() < 0.2  # N(0, 0.2) clipped at 2.5 sigma
    assert (smoothed[:, 2] == 1.0).mean() > 0.4  # clipped to the action bound
    assert np.all(np.abs(smoothed - actions) <= 0.5 + 1e-6)


def test_policy_and_targets_update_every_policy_update_delay_steps():
    set_random_seed(0)
    agent = C.make_td3(policy_update_delay=3)
    policy_before = C.param_arrays(agent.policy)
    target_before = C.param_arrays(agent.target_q_func1)
    for i in range(1, 4):
        agent.update(C.experiences(32))
        unchanged = all(
            np.array_equal(v, policy_before[k]) for k, v in C.param_arrays(agent.policy).items()
        )
        assert unchanged == (i < 3)
    assert (agent.q_func1_optimizer.t, agent.policy_optimizer.t) == (3, 1)
    online = C.param_arrays(agent.q_func1)
    for name, target in C.param_arrays(agent.target_q_func1).items():
        expected = 0.98 * target_before[name] + 0.02 * online[name]
        np.testing.assert_allclose(target, expected, atol=1e-6)


def test_learns_point_env():
    stats = C.check_learns_point_env(C.make_td3)
    assert list(stats) == [
        "average_q1",
        "average_q2",
        "average_q_func1_loss",
        "average_q_func2_loss",
        "policy_n_updates",
        "q_func_n_updates",
    ]
    assert stats["q_func_n_updates"] == 2 * stats["policy_n_updates"] > 0
    assert isinstance(stats["average_q1"], float)


def test_batch_training_learns_point_env():
    C.check_batch_training_learns_point_env(C.make_td3)


def test_burn_in_actions_until_the_first_policy_update():
    set_random_seed(0)
    agent = C.make_td3(burnin_action_func=lambda: np.full(1, 0.25, np.float32))
    obs = np.array([0.5, 0.5], np.float32)
    assert agent.act_and_train(obs, 0.0)[0] == 0.25
    assert [a[0] for a in agent.batch_act_and_train([obs, obs])] == [0.25, 0.25]
    for _ in range(2):
        agent.update(C.experiences(32))
    assert agent.act_and_train(obs, 0.0)[0] != 0.25


def test_stop_episode_and_train_stores_the_done_flag():
    C.check_stop_episode_and_train_stores_the_done_flag(C.make_td3)


def test_save_load_gives_identical_actions(tmp_path):
    agent, other = C.check_save_load_gives_identical_actions(C.make_td3, tmp_path / "agent")
    for name, value in C.param_arrays(agent.target_policy).items():
        np.testing.assert_array_equal(C.param_arrays(other.target_policy)[name], value)


def test_nan_loss_raises_non_finite_error():
    agent = C.make_td3()
    agent.q_func1.output.b.array[...] = np.nan
    with pytest.raises(NonFiniteError, match=r"TD3 q_func1 loss at update 1 is not finite: nan"):
        agent.update(C.experiences(32))


def test_bad_inputs():
    def build(**kwargs):
        policy, q1, q2 = C.deterministic_policy(), C.q_function(), C.q_function()
        args = {
            "policy_optimizer": C.adam(policy),
            "q_func1_optimizer": C.adam(q1),
            "q_func2_optimizer": C.adam(q2),
            "explorer": C.explorer(),
            "gamma": 0.9,
            **kwargs,
        }
        return TD3(policy, q1, q2, replay_buffer=ReplayBuffer(), **args)

    with pytest.raises(ValueError, match=r"TD3: gamma must be in \[0, 1\], got -0.1"):
        build(gamma=-0.1)
    with pytest.raises(ValueError, match=r"TD3: policy_update_delay must be a positive int, got 0"):
        build(policy_update_delay=0)
    with pytest.raises(ValueError, match=r"TD3: max_grad_norm must be None or > 0, got -1"):
        build(max_grad_norm=-1)
    with pytest.raises(ValueError, match=r"policy_optimizer is set up with a FCSAQFunction"):
        build(policy_optimizer=C.adam(C.q_function()))
    with pytest.raises(ValueError, match=r"q_func1_optimizer must be set up"):
        build(q_func1_optimizer=optimizers.Adam())
    agent = C.make_td3()
    with pytest.raises(RuntimeError, match=r"TD3.batch_observe_and_train: call batch_act_and"):
        agent.batch_observe_and_train([np.zeros(2, np.float32)], [0.0], [False], [False])


def test_max_grad_norm_bounds_the_step():
    set_random_seed(0)
    agent = C.make_td3(max_grad_norm=1e-3)
    before = C.param_arrays(agent.q_func1)
    agent.update(C.experiences(32, reward=100.0))
    # the gradients the optimizer stepped with were rescaled to the norm 1e-3
    grads = [p.grad for p in agent.q_func1.params()]
    norm = np.sqrt(sum(float((g * g).sum()) for g in grads))
    assert norm == pytest.approx(1e-3, rel=1e-3)
    assert any(not np.array_equal(v, before[k]) for k, v in C.param_arrays(agent.q_func1).items())
