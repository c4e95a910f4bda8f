"""The agent base classes: saving and loading attributes, nested agents, and cycles."""

import numpy as np
import pytest

import kusari
import kusari.links as L
from kusari import optimizers
from kusari_rl.agent import Agent, AttributeSavingMixin, BatchAgent


class _Saver(AttributeSavingMixin):
    saved_attributes = ("model", "optimizer", "child", "nothing")

    def __init__(self, seed, child=None):
        with kusari.using_config("dtype", np.float32):
            self.model = L.Linear(3, 2, initialW=np.random.default_rng(seed).normal(size=(2, 3)))
        self.optimizer = optimizers.Adam()
        self.optimizer.setup(self.model)
        self.child = child
        self.nothing = None


def _train_once(saver):
    saver.model.cleargrads()
    loss = kusari.functions.sum(saver.model(np.ones((1, 3), np.float32)))
    loss.backward()
    saver.optimizer.update()


def test_save_writes_one_npz_per_attribute_and_a_folder_per_nested_agent(tmp_path):
    agent = _Saver(0, child=_Saver(1))
    agent.save(tmp_path / "agent")
    names = sorted(p.name for p in (tmp_path / "agent").iterdir())
    assert names == ["child", "model.npz", "optimizer.npz"]
    assert sorted(p.name for p in (tmp_path / "agent" / "child").iterdir()) == [
        "model.npz",
        "optimizer.npz",
    ]


def test_load_restores_weights_and_optimizer_state_of_nested_agents(tmp_path):
    agent = _Saver(0, child=_Saver(1))
    _train_once(agent)
    _train_once(agent.child)
    agent.save(str(tmp_path))
    other = _Saver(5, child=_Saver(6))
    other.load(str(tmp_path))
    np.testing.assert_array_equal(other.model.W.array, agent.model.W.array)
    np.testing.assert_array_equal(other.child.model.W.array, agent.child.model.W.array)
    assert other.optimizer.t == agent.optimizer.t == 1
    _train_once(agent)
    _train_once(other)
    np.testing.assert_array_equal(other.model.W.array, agent.model.W.array)


def test_load_from_a_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="_Saver.load: no folder"):
        _Saver(0).load(tmp_path / "absent")


def test_an_agent_nested_in_itself_is_refused(tmp_path):
    agent = _Saver(0)
    agent.child = agent
    with pytest.raises(ValueError, match="attribute 'child' is a cycle"):
        agent.save(tmp_path)


def test_agent_and_batch_agent_are_abstract():
    with pytest.raises(TypeError):
        Agent()
    with pytest.raises(TypeError):
        BatchAgent()
