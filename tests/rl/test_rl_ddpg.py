import _rl_continuous as C
import numpy as np
import pytest

import kusari
from kusari_rl.agents import DDPG, DDPGModel
from kusari_rl.agents.ddpg import compute_ddpg_target
from kusari_rl.misc import NonFiniteError, set_random_seed
from kusari_rl.replay_buffers import EpisodicReplayBuffer, ReplayBuffer


def test_target_matches_numpy():
    rng = np.random.default_rng(0)
    reward = rng.standard_normal(5).astype(np.float32)
    discount = np.full(5, 0.99, np.float32)
    terminal = np.array([0, 0, 1, 0, 1], np.float32)
    next_q = rng.standard_normal((5, 1)).astype(np.float32)
    target = compute_ddpg_target(reward, discount, terminal, next_q)
    assert target.shape == (5,) and target.dtype == np.float32
    np.testing.assert_allclose(target, reward + 0.99 * (1 - terminal) * next_q[:, 0], rtol=1e-6)


def test_target_bootstraps_a_truncated_end_but_not_a_terminal_one():
    next_q, reward = np.array([[2.0]], np.float32), np.array([1.0], np.float32)
    discount = np.array([0.9], np.float32)
    truncated = compute_ddpg_target(reward, discount, np.zeros(1, np.float32), next_q)
    terminated = compute_ddpg_target(reward, discount, np.ones(1, np.float32), next_q)
    np.testing.assert_allclose(truncated, [2.8])
    np.testing.assert_allclose(terminated, [1.0])


def test_target_rejects_wrong_q_shape():
    ones = np.ones(3, np.float32)
    with pytest.raises(ValueError, match=r"compute_ddpg_target: next_q must hold 3 values"):
        compute_ddpg_target(ones, ones, ones, np.ones((3, 3), np.float32))


def test_learns_point_env():
    stats = C.check_learns_point_env(C.make_ddpg)
    assert list(stats) == [
        "average_q",
        "average_actor_loss",
        "average_critic_loss",
        "actor_n_updates",
        "critic_n_updates",
    ]
    assert stats["actor_n_updates"] == stats["critic_n_updates"] > 0
    assert stats["average_critic_loss"] > 0.0


def test_batch_training_learns_point_env():
    C.check_batch_training_learns_point_env(C.make_ddpg)


def test_hard_target_update_every_target_update_interval_steps():
    agent = C.make_ddpg(
        target_update_method="hard", target_update_interval=5, replay_start_size=10**6
    )
    for param in agent.policy.params():
        param.array[...] += 1.0
    obs = np.array([0.1, 0.5], np.float32)
    for _ in range(4):
        agent.act_and_train(obs, 0.0)
    online = C.param_arrays(agent.model)
    target = C.param_arrays(agent.target_model)
    assert not any(np.array_equal(online[k], v) for k, v in target.items() if "policy" in k)
    agent.act_and_train(obs, 0.0)
    for name, value in C.param_arrays(agent.target_model).items():
        np.testing.assert_array_equal(value, online[name])


def test_soft_target_update():
    agent = C.make_ddpg(replay_start_size=10**6)
    before = C.param_arrays(agent.target_model)
    agent.q_function.output.W.array[...] += 1.0
    agent.act_and_train(np.zeros(2, np.float32), 0.0)
    online = C.param_arrays(agent.model)
    for name, target in C.param_arrays(agent.target_model).items():
        np.testing.assert_allclose(target, 0.98 * before[name] + 0.02 * online[name], atol=1e-6)


def test_episodes_of_one_transition_update_as_experiences():
    exps = C.experiences(32)
    agents = []
    for _ in range(2):
        set_random_seed(0)
        agents.append(C.make_ddpg())
    agents[0].update(exps)
    agents[1].update_from_episodes([[e[0]] for e in exps])
    for name, value in C.param_arrays(agents[0].model).items():
        np.testing.assert_allclose(C.param_arrays(agents[1].model)[name], value, rtol=1e-6)


def test_episodic_update_from_an_episodic_replay_buffer():
    set_random_seed(0)
    agent = C.make_ddpg(
        replay_buffer=EpisodicReplayBuffer(10**4),
        episodic_update=True,
        episodic_update_len=8,
        minibatch_size=4,
        replay_start_size=80,
    )
    C.train(agent, 100)
    # one update per step from the first step after 4 whole episodes (80 transitions)
    assert agent.critic_optimizer.t == agent.actor_optimizer.t == 20


def test_stop_episode_and_train_stores_the_done_flag():
    C.check_stop_episode_and_train_stores_the_done_flag(C.make_ddpg)


def test_save_load_gives_identical_actions(tmp_path):
    agent, other = C.check_save_load_gives_identical_actions(C.make_ddpg, tmp_path / "agent")
    assert other.actor_optimizer.t == agent.actor_optimizer.t > 0


def test_nan_loss_raises_non_finite_error():
    agent = C.make_ddpg()
    with pytest.raises(NonFiniteError, match=r"DDPG critic loss at update 1 is not finite"):
        agent.update(C.experiences(32, reward=float("inf")))


def test_bad_inputs():
    def build(model=None, **kwargs):
        policy, q_func = C.deterministic_policy(), C.q_function()
        model = model if model is not None else DDPGModel(policy, q_func)
        args = {
            "actor_optimizer": C.adam(policy),
            "critic_optimizer": C.adam(q_func),
            "explorer": C.explorer(),
            "gamma": 0.9,
            **kwargs,
        }
        return DDPG(model, replay_buffer=ReplayBuffer(), **args)

    with pytest.raises(TypeError, match=r"DDPG: model must be a DDPGModel .* got Linear"):
        build(model=kusari.links.Linear(2, 1))
    with pytest.raises(ValueError, match=r"target_update_method must be 'hard' or 'soft', got 'x'"):
        build(target_update_method="x")
    with pytest.raises(ValueError, match=r"DDPG: target_update_interval must be a positive int"):
        build(target_update_interval=0)
    with pytest.raises(ValueError, match=r"ReplayUpdater: batchsize \(32\) must be <="):
        build(replay_start_size=10)
    with pytest.raises(TypeError, match=r"episodic replay buffer .* got ReplayBuffer"):
        build(episodic_update=True)
    with pytest.raises(ValueError, match=r"actor_optimizer is set up with a FCSAQFunction"):
        model = DDPGModel(C.deterministic_policy(), C.q_function())
        build(model=model, actor_optimizer=C.adam(model.q_function))
