import _rl_continuous as C
import numpy as np
import pytest

import kusari
from kusari import optimizers
from kusari_rl.agents import SoftActorCritic, TemperatureHolder
from kusari_rl.agents.soft_actor_critic import (
    compute_sac_policy_loss,
    compute_sac_target,
    compute_temperature_loss,
)
from kusari_rl.misc import NonFiniteError, set_random_seed
from kusari_rl.replay_buffers import ReplayBuffer


def test_target_matches_numpy():
    rng = np.random.default_rng(0)
    reward = rng.standard_normal(6).astype(np.float32)
    discount = np.float32(0.9) ** rng.integers(1, 4, 6).astype(np.float32)
    terminal = np.array([0, 1, 0, 0, 1, 0], np.float32)
    q1, q2 = (rng.standard_normal((6, 1)).astype(np.float32) for _ in range(2))
    log_prob = rng.standard_normal(6).astype(np.float32)
    target = compute_sac_target(reward, discount, terminal, q1, q2, log_prob, 0.3)
    expected = reward + discount * (1 - terminal) * (
        np.minimum(q1[:, 0], q2[:, 0]) - 0.3 * log_prob
    )
    assert target.shape == (6,) and target.dtype == np.float32
    np.testing.assert_allclose(target, expected, rtol=1e-6)


def test_target_bootstraps_a_truncated_end_but_not_a_terminal_one():
    args = (np.array([[2.0]], np.float32), np.array([[3.0]], np.float32))
    log_prob = np.array([-1.0], np.float32)
    reward, discount = np.array([1.0], np.float32), np.array([0.9], np.float32)
    truncated = compute_sac_target(reward, discount, np.zeros(1, np.float32), *args, log_prob, 0.5)
    terminated = compute_sac_target(reward, discount, np.ones(1, np.float32), *args, log_prob, 0.5)
    np.testing.assert_allclose(truncated, [1.0 + 0.9 * (2.0 + 0.5)])
    np.testing.assert_allclose(terminated, [1.0])


def test_target_rejects_one_q_value_too_many():
    ones = np.ones(3, np.float32)
    with pytest.raises(ValueError, match=r"compute_sac_target: next_q1 must hold 3 values"):
        compute_sac_target(ones, ones, ones, np.ones((3, 2), np.float32), ones, ones, 1.0)


def test_policy_loss_value_and_gradient():
    q = kusari.Variable(np.array([1.0, -2.0, 0.5], np.float32))
    log_prob = kusari.Variable(np.array([-0.5, 0.2, 1.0], np.float32))
    loss = compute_sac_policy_loss(q, log_prob, 0.2)
    np.testing.assert_allclose(loss.array, np.mean(0.2 * log_prob.array - q.array), rtol=1e-6)
    gq, glp = kusari.grad([loss], [q, log_prob])
    np.testing.assert_allclose(gq.array, np.full(3, -1 / 3), rtol=1e-6)
    np.testing.assert_allclose(glp.array, np.full(3, 0.2 / 3), rtol=1e-6)


@pytest.mark.parametrize("log_prob, rises", [(2.0, True), (-3.0, False)])
def test_temperature_rises_while_entropy_is_below_target(log_prob, rises):
    # entropy -mean(log_prob) is -2 (below the target -1) or 3 (above it)
    holder = TemperatureHolder(float(np.log(0.5)))
    optimizer = optimizers.SGD(lr=0.1)
    optimizer.setup(holder)
    log_probs = np.full(4, log_prob, np.float32)
    loss = compute_temperature_loss(holder(), log_probs, -1.0)
    np.testing.assert_allclose(loss.array, -0.5 * (log_prob - 1.0), rtol=1e-6)
    optimizer.update(lambda: compute_temperature_loss(holder(), log_probs, -1.0))
    assert (float(kusari.functions.exp(holder.log_temperature).array) > 0.5) == rises


@pytest.mark.parametrize("entropy_target, rises", [(5.0, True), (-50.0, False)])
def test_agent_tunes_the_temperature_towards_the_target(entropy_target, rises):
    set_random_seed(0)
    agent = C.make_sac(entropy_target=entropy_target, initial_temperature=0.5)
    for _ in range(5):
        agent.update(C.experiences(32))
    assert (agent.temperature > 0.5) == rises
    assert dict(agent.get_statistics())["temperature"] == agent.temperature


def test_fixed_temperature_without_entropy_target():
    agent = C.make_sac(entropy_target=None, initial_temperature=0.25)
    agent.update(C.experiences(32))
    assert agent.temperature_holder is None and agent.temperature == 0.25


def test_learns_point_env():
    stats = C.check_learns_point_env(C.make_sac)
    assert list(stats) == [
        "average_q1",
        "average_q2",
        "average_q_func1_loss",
        "average_q_func2_loss",
        "n_updates",
        "average_entropy",
        "temperature",
    ]
    assert stats["n_updates"] > 0
    assert all(isinstance(v, float) for k, v in stats.items() if k != "n_updates")


def test_batch_training_learns_point_env():
    agent = C.check_batch_training_learns_point_env(C.make_sac)
    obs = [np.array([0.3, 0.5], np.float32), np.array([-0.7, 0.5], np.float32)]
    np.testing.assert_allclose(agent.batch_act(obs)[1], agent.act(obs[1]), rtol=1e-6)


def test_stop_episode_and_train_stores_the_done_flag():
    agent = C.make_sac(replay_start_size=10**6)
    obs = [np.array([x, 0.5], np.float32) for x in (0.1, 0.2, 0.3, 0.4)]
    agent.act_and_train(obs[0], 0.0)
    agent.act_and_train(obs[1], -0.1)
    agent.stop_episode_and_train(obs[2], -0.2, done=False)  # truncated
    assert agent.last_state is None
    agent.act_and_train(obs[2], 0.0)
    agent.stop_episode_and_train(obs[3], -0.3, done=True)  # terminated
    memory = agent.replay_buffer.memory
    assert [memory[i][-1]["is_state_terminal"] for i in range(3)] == [False, False, True]
    np.testing.assert_array_equal(memory[1][-1]["next_state"], obs[2])
    assert [memory[i][-1]["reward"] for i in range(3)] == [-0.1, -0.2, -0.3]


def test_batch_training_stores_truncated_ends_without_crossing_resets():
    agent = C.make_sac(replay_start_size=10**6)
    C.train_batch(agent, 25)
    transitions = [agent.replay_buffer.memory[i][0] for i in range(len(agent.replay_buffer))]
    assert len(transitions) == 100
    assert not any(t["is_state_terminal"] for t in transitions)
    # PointEnv pays -x'^2: a transition that crossed a reset would not match its next state
    for t in transitions:
        np.testing.assert_allclose(t["reward"], -(float(t["next_state"][0]) ** 2), rtol=1e-5)


def test_soft_target_update():
    set_random_seed(0)
    agent = C.make_sac()
    before = C.param_arrays(agent.target_q_func2)
    agent.update(C.experiences(32))
    online = C.param_arrays(agent.q_func2)
    for name, target in C.param_arrays(agent.target_q_func2).items():
        np.testing.assert_allclose(target, 0.98 * before[name] + 0.02 * online[name], atol=1e-6)


def test_save_load_gives_identical_actions(tmp_path):
    agent, other = C.check_save_load_gives_identical_actions(C.make_sac, tmp_path / "agent")
    assert other.temperature == agent.temperature
    assert other.policy_optimizer.t == agent.policy_optimizer.t > 0


def test_act_samples_when_not_deterministic():
    set_random_seed(0)
    agent = C.make_sac(act_deterministically=False)
    obs = np.array([0.2, 0.5], np.float32)
    assert not np.array_equal(agent.act(obs), agent.act(obs))
    deterministic = C.make_sac()
    expected = deterministic.policy(obs[None]).most_probable.array[0]
    np.testing.assert_array_equal(deterministic.act(obs), expected)


def test_nan_loss_raises_non_finite_error():
    agent = C.make_sac()
    with pytest.raises(NonFiniteError, match=r"SAC q_func1 loss at update 1 is not finite"):
        agent.update(C.experiences(32, reward=float("nan")))


def test_bad_inputs():
    def build(**kwargs):
        policy, q1, q2 = C.sac_policy(), C.q_function(), C.q_function()
        args = {
            "policy_optimizer": C.adam(policy),
            "q_func1_optimizer": C.adam(q1),
            "q_func2_optimizer": C.adam(q2),
            "gamma": 0.9,
            **kwargs,
        }
        return SoftActorCritic(policy, q1, q2, replay_buffer=ReplayBuffer(), **args)

    with pytest.raises(ValueError, match=r"SoftActorCritic: gamma must be in \[0, 1\], got 1.5"):
        build(gamma=1.5)
    with pytest.raises(ValueError, match=r"q_func2_optimizer must be set up"):
        build(q_func2_optimizer=optimizers.Adam())
    with pytest.raises(ValueError, match=r"initial_temperature must be > 0, got 0"):
        build(initial_temperature=0)
    with pytest.raises(ValueError, match=r"soft_update_tau must be in \(0, 1\], got 0"):
        build(soft_update_tau=0)
    agent = C.make_sac()
    with pytest.raises(RuntimeError, match=r"stop_episode_and_train: no action was taken"):
        agent.stop_episode_and_train(np.zeros(2, np.float32), 0.0)
    agent.batch_act_and_train([np.zeros(2, np.float32)] * 2)
    with pytest.raises(ValueError, match=r"expected 2 environments, got .* lengths \(3, 2, 2, 2\)"):
        agent.batch_observe_and_train([np.zeros(2, np.float32)] * 3, [0, 0], [0, 0], [0, 0])


def test_q_function_with_two_outputs_is_rejected():
    agent = C.make_sac()
    agent.q_func1.output = kusari.links.Linear(C.HIDDEN, 2)
    with pytest.raises(ValueError, match=r"one value per state-action pair .* got shape \(32, 2\)"):
        agent.update(C.experiences(32))
