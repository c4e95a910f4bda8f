import _rl_value_agents as V
import numpy as np
import pytest

import kusari
from kusari_rl import replay_buffers
from kusari_rl.agents import DQN, DoubleDQN

# Q(s, a) = W[a, s] on one-hot states
W_ONLINE = np.array([[1.0, 0.0, 2.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0, -1.0]], np.float32)
W_TARGET = np.array([[5.0, 6.0, 7.0, 8.0, 9.0], [10.0, -1.0, 3.0, 4.0, 0.0]], np.float32)


def _table_agent(agent_class):
    V.seed_all(0)
    agent = V.make_agent(agent_class, "table")
    agent.model.model.W.array[...] = W_ONLINE
    agent.target_model.model.W.array[...] = W_TARGET
    return agent


def test_double_dqn_target_values_match_the_hand_computed_ones():
    agent = _table_agent(DoubleDQN)
    batch = V.exp_batch(
        [0.0, 0.5, 1.0, 0.0, 2.0], [0.9, 0.9, 0.9, 0.81, 0.9], [0, 0, 1, 0, 0], [0, 1, 2, 4, 3]
    )
    with kusari.no_backprop_mode():
        target = agent._compute_target_values(batch)
    # the model picks argmax_a W_ONLINE[a, s'] = 0, 1, 0, 0, 0 (ties go to the first action);
    # the target network values them: 5, -1, (terminal), 9, 8
    expected = [0.9 * 5.0, 0.5 + 0.9 * -1.0, 1.0, 0.81 * 9.0, 2.0 + 0.9 * 8.0]
    np.testing.assert_allclose(target, expected, rtol=1e-6)


def test_dqn_on_the_same_table_takes_the_target_networks_max():
    agent = _table_agent(DQN)
    batch = V.exp_batch(
        [0.0, 0.5, 1.0, 0.0, 2.0], [0.9, 0.9, 0.9, 0.81, 0.9], [0, 0, 1, 0, 0], [0, 1, 2, 4, 3]
    )
    with kusari.no_backprop_mode():
        target = agent._compute_target_values(batch)
    expected = [0.9 * 10.0, 0.5 + 0.9 * 6.0, 1.0, 0.81 * 9.0, 2.0 + 0.9 * 8.0]
    np.testing.assert_allclose(target, expected, rtol=1e-6)


@pytest.mark.parametrize("terminal", [False, True])
def test_last_transition_bootstraps_unless_terminal(terminal):
    agent = _table_agent(DoubleDQN)
    batch = V.exp_batch([1.0], [0.9], [terminal], [2])
    with kusari.no_backprop_mode():
        target = agent._compute_target_values(batch)
    np.testing.assert_allclose(target, [1.0 if terminal else 1.0 + 0.9 * 7.0], rtol=1e-6)


def test_update_errors_out_use_the_double_target():
    agent = _table_agent(DoubleDQN)
    exps = V.experiences([0, 2], [1, 0], [0.0, 1.0], [1, 4], [False, False])
    errors = []
    agent.update(exps, errors_out=errors)
    # y = W_ONLINE[1, 0], W_ONLINE[0, 2]; t = 0.9 * W_TARGET[1, 1], 1 + 0.9 * W_TARGET[0, 4]
    np.testing.assert_allclose(
        errors, [abs(0.0 - 0.9 * -1.0), abs(2.0 - (1.0 + 0.9 * 9.0))], rtol=1e-6
    )
    assert agent.optimizer.t == 1


def test_double_dqn_learns_chain():
    V.seed_all(1)
    agent = V.make_agent(DoubleDQN, "dqn", update_interval=2)
    assert V.greedy_returns(agent, 1) == [0.0]
    V.train_single(agent, 1200)
    assert V.greedy_returns(agent) == [1.0, 1.0, 1.0]


def test_double_dqn_learns_chain_in_a_batch_of_envs():
    V.seed_all(2)
    agent = V.make_agent(DoubleDQN, "dqn", update_interval=2)
    assert V.greedy_batch_returns(agent) == [0.0] * 4
    V.train_batch(agent, 400)
    assert V.greedy_batch_returns(agent) == [1.0] * 4


def test_double_dqn_with_n_step_prioritized_replay_learns_chain():
    V.seed_all(1)
    rb = replay_buffers.PrioritizedReplayBuffer(10_000, num_steps=3)
    agent = V.make_agent(DoubleDQN, "dqn", replay_buffer=rb, update_interval=2)
    V.train_single(agent, 1200)
    assert V.greedy_returns(agent) == [1.0, 1.0, 1.0]


def test_save_load_gives_identical_greedy_actions_and_q_values(tmp_path):
    V.seed_all(0)
    agent = V.make_agent(DoubleDQN, "dqn")
    V.train_single(agent, 200)
    agent.save(tmp_path)
    V.seed_all(3)
    other = V.make_agent(DoubleDQN, "dqn")
    other.load(tmp_path)
    obs = V.one_hot(list(range(5)))
    with kusari.no_backprop_mode():
        np.testing.assert_array_equal(
            other.model(obs).q_values.array, agent.model(obs).q_values.array
        )
    assert [other.act(o) for o in obs] == [agent.act(o) for o in obs]


def test_bad_gamma_names_the_class():
    V.seed_all(0)
    q_func = V.make_agent(DoubleDQN, "dqn").model
    optimizer = kusari.optimizers.Adam()
    optimizer.setup(q_func)
    with pytest.raises(ValueError, match=r"DoubleDQN: gamma must be in \[0, 1\], got -0.1"):
        DoubleDQN(q_func, optimizer, replay_buffers.ReplayBuffer(), -0.1, None)
