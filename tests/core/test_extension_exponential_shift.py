import pytest
from _training_testing import FakeTrainer, FakeUpdater, make_trainer

import kusari
from kusari.serializers import DictionarySerializer, NpzDeserializer
from kusari.training import extensions


class FakeOptimizer:
    def __init__(self, lr=1.0):
        self.lr = lr


class OneOptimizerUpdater(FakeUpdater):
    def __init__(self, optimizer):
        super().__init__(10, 1)
        self.optimizer = optimizer

    def get_optimizer(self, name):
        assert name == "main"
        return self.optimizer


def _values(extension, trainer, n):
    optimizer = trainer.updater.optimizer
    extension.initialize(trainer)
    values = [optimizer.lr]
    for _ in range(n):
        extension(trainer)
        values.append(optimizer.lr)
    return values


@pytest.mark.parametrize(
    "rate,init,target,expected",
    [
        (0.5, None, None, [2.0, 1.0, 0.5, 0.25, 0.125]),
        (0.5, 4.0, None, [4.0, 2.0, 1.0, 0.5, 0.25]),
        (0.5, None, 0.4, [2.0, 1.0, 0.5, 0.4, 0.4]),
        (2.0, None, 10.0, [2.0, 4.0, 8.0, 10.0, 10.0]),
        (0.5, -2.0, -0.4, [-2.0, -1.0, -0.5, -0.4, -0.4]),
    ],
)
def test_values(rate, init, target, expected):
    trainer = FakeTrainer(OneOptimizerUpdater(FakeOptimizer(2.0)))
    shift = extensions.ExponentialShift("lr", rate, init=init, target=target)
    assert _values(shift, trainer, 4) == pytest.approx(expected)


def test_explicit_optimizer():
    optimizer = FakeOptimizer(3.0)
    trainer = FakeTrainer(OneOptimizerUpdater(FakeOptimizer(1.0)))
    shift = extensions.ExponentialShift("lr", 0.1, optimizer=optimizer)
    shift.initialize(trainer)
    shift(trainer)
    assert optimizer.lr == pytest.approx(0.3)
    assert trainer.updater.optimizer.lr == 1.0


def test_serialize_resume():
    trainer = FakeTrainer(OneOptimizerUpdater(FakeOptimizer(1.0)))
    reference = extensions.ExponentialShift("lr", 0.5)
    expected = _values(reference, trainer, 5)

    first_trainer = FakeTrainer(OneOptimizerUpdater(FakeOptimizer(1.0)))
    first = extensions.ExponentialShift("lr", 0.5)
    values = _values(first, first_trainer, 2)
    saved = DictionarySerializer()
    first.serialize(saved)
    assert set(saved.target) == {"_t", "_last_value"}

    # loaded before initialize (load_npz before trainer.run())
    trainer = FakeTrainer(OneOptimizerUpdater(FakeOptimizer(1.0)))
    resumed = extensions.ExponentialShift("lr", 0.5)
    resumed.serialize(NpzDeserializer(saved.target))
    assert _values(resumed, trainer, 3)[1:] == pytest.approx(expected[3:])

    # loaded after initialize (snapshot autoload): the optimizer gets the loaded value at once
    trainer = FakeTrainer(OneOptimizerUpdater(FakeOptimizer(1.0)))
    late = extensions.ExponentialShift("lr", 0.5)
    late.initialize(trainer)
    late.serialize(NpzDeserializer(saved.target))
    assert trainer.updater.optimizer.lr == values[-1] == 0.25


def test_in_trainer(tmp_path):
    trainer = make_trainer(tmp_path, stop=(4, "iteration"), optimizer=kusari.optimizers.SGD(lr=1.0))
    trainer.extend(extensions.ExponentialShift("lr", 0.5, target=0.2))
    trainer.extend(extensions.observe_lr(), trigger=(1, "iteration"))
    log_report = extensions.LogReport(trigger=(1, "iteration"))
    trainer.extend(log_report)
    trainer.run()
    # observe_lr (PRIORITY_WRITER) runs before the shift (PRIORITY_READER): each entry holds
    # the lr that the iteration's update used
    assert [entry["lr"] for entry in log_report.log] == pytest.approx([1.0, 0.5, 0.25, 0.2])
