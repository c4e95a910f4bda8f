import math

import numpy
import pytest
from _training_testing import FakeTrainer, FakeUpdater, make_trainer

from kusari import training
from kusari.serializers import DictionarySerializer, NpzDeserializer
from kusari.training import triggers


def _fired_iterations(trigger, updater, n_iter, call_at=None):
    trainer = FakeTrainer(updater)
    fired = []
    for _ in range(n_iter):
        updater.update()
        if call_at is None or updater.iteration in call_at:
            if trigger(trainer):
                fired.append(updater.iteration)
    return fired


def _expected_epoch_fires(period, epoch_size, batch_size, n_iter, call_at=None):
    """Reference: the calls at which floor(epoch_detail / period) changed since the last call."""
    calls = [i for i in range(1, n_iter + 1) if call_at is None or i in call_at]
    fired, previous = [], 0.0
    for i in calls:
        detail = i * batch_size / epoch_size
        if math.floor(previous / period) != math.floor(detail / period):
            fired.append(i)
        previous = detail
    return fired


@pytest.mark.parametrize("period", [1, 3, 4])
def test_interval_iteration(period):
    fired = _fired_iterations(triggers.IntervalTrigger(period, "iteration"), FakeUpdater(10, 2), 13)
    assert fired == [i for i in range(1, 14) if i % period == 0]


@pytest.mark.parametrize("period", [0.5, 1, 1.5, 2])
@pytest.mark.parametrize("epoch_size,batch_size", [(10, 4), (10, 3), (6, 2)])
def test_interval_epoch_fractional(period, epoch_size, batch_size):
    trigger = triggers.IntervalTrigger(period, "epoch")
    fired = _fired_iterations(trigger, FakeUpdater(epoch_size, batch_size), 17)
    assert fired == _expected_epoch_fires(period, epoch_size, batch_size, 17)


def test_interval_not_called_every_iteration():
    call_at = {2, 3, 7, 8, 12, 16}
    fired = _fired_iterations(
        triggers.IntervalTrigger(5, "iteration"), FakeUpdater(10, 2), 16, call_at
    )
    assert fired == [7, 12, 16]
    trigger = triggers.IntervalTrigger(1, "epoch")
    fired = _fired_iterations(trigger, FakeUpdater(10, 4), 16, call_at)
    assert fired == _expected_epoch_fires(1, 10, 4, 16, call_at)


@pytest.mark.parametrize("unit,period", [("iteration", 3), ("epoch", 0.7)])
def test_interval_serialize_resume(unit, period):
    reference = _fired_iterations(triggers.IntervalTrigger(period, unit), FakeUpdater(10, 3), 20)

    updater = FakeUpdater(10, 3)
    first = triggers.IntervalTrigger(period, unit)
    fired = _fired_iterations(first, updater, 9)
    saved = DictionarySerializer()
    first.serialize(saved)
    assert set(saved.target) == {"previous_iteration", "previous_epoch_detail"}

    resumed = triggers.IntervalTrigger(period, unit)
    resumed.serialize(NpzDeserializer(saved.target))
    fired += _fired_iterations(resumed, updater, 11)
    assert fired == reference


def test_interval_serialize_missing_entries_warns():
    trigger = triggers.IntervalTrigger(2, "iteration")
    with pytest.warns(UserWarning, match="previous iteration was not saved"):
        trigger.serialize(NpzDeserializer({"previous_epoch_detail": numpy.asarray(0.0)}))
    updater = FakeUpdater(10, 2)
    updater.iteration = 5
    # With no saved state it assumes the previous call was one iteration earlier.
    assert _fired_iterations(trigger, updater, 3) == [6, 8]


def test_interval_bad_arguments():
    with pytest.raises(ValueError, match="IntervalTrigger: unit must be 'epoch' or 'iteration'"):
        triggers.IntervalTrigger(1, "epochs")
    with pytest.raises(ValueError, match="period must be a positive number, got 0"):
        triggers.IntervalTrigger(0, "epoch")
    with pytest.raises(ValueError, match="must be an integer for unit 'iteration', got 1.5"):
        triggers.IntervalTrigger(1.5, "iteration")


def test_get_trigger():
    trigger = training.get_trigger((2, "epoch"))
    assert isinstance(trigger, triggers.IntervalTrigger)
    assert trigger.get_training_length() == (2, "epoch")

    def custom(trainer):
        return True

    assert training.get_trigger(custom) is custom
    never = training.get_trigger(None)
    updater = FakeUpdater(10, 2)
    assert _fired_iterations(never, updater, 20) == []
    with pytest.raises(TypeError, match=r"get_trigger: expected a callable, None or a \(period"):
        training.get_trigger(5)
    with pytest.raises(ValueError, match="unit must be"):
        training.get_trigger((1, "day"))


def test_manual_schedule_iteration():
    trigger = triggers.ManualScheduleTrigger([3, 7, 8], "iteration")
    updater = FakeUpdater(10, 2)
    trainer = FakeTrainer(updater)
    fired = []
    for _ in range(10):
        updater.update()
        if trigger(trainer):
            fired.append(updater.iteration)
        assert trigger.finished == (updater.iteration >= 8)
    assert fired == [3, 7, 8]


def test_manual_schedule_epoch_fractional():
    trigger = triggers.ManualScheduleTrigger([0.5, 2], "epoch")
    # epoch_detail: 0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.1, ...
    assert _fired_iterations(trigger, FakeUpdater(10, 3), 9) == [2, 7]
    single = triggers.ManualScheduleTrigger(1, "epoch")
    assert _fired_iterations(single, FakeUpdater(10, 3), 9) == [4]


def test_manual_schedule_serialize_resume():
    reference = _fired_iterations(
        triggers.ManualScheduleTrigger([2, 6], "iteration"), FakeUpdater(10, 3), 8
    )
    updater = FakeUpdater(10, 3)
    first = triggers.ManualScheduleTrigger([2, 6], "iteration")
    fired = _fired_iterations(first, updater, 6)
    saved = DictionarySerializer()
    first.serialize(saved)
    resumed = triggers.ManualScheduleTrigger([2, 6], "iteration")
    resumed.serialize(NpzDeserializer(saved.target))
    assert resumed.finished
    fired += _fired_iterations(resumed, updater, 2)
    assert fired == reference == [2, 6]


def test_manual_schedule_bad_arguments():
    with pytest.raises(ValueError, match="ManualScheduleTrigger: unit must be"):
        triggers.ManualScheduleTrigger([1], "step")
    with pytest.raises(ValueError, match="non-empty list of numbers, got \\[\\]"):
        triggers.ManualScheduleTrigger([], "epoch")


@pytest.mark.parametrize(
    "trigger_class,expected",
    [
        # checks every 2 iterations; the means are 4.0, 5.0, 1.5, 4.5
        (triggers.MinValueTrigger, [False, True, False, False, False, True, False, False]),
        (triggers.MaxValueTrigger, [False, True, False, True, False, False, False, False]),
    ],
)
def test_min_max_value_trigger(trigger_class, expected):
    values = [5.0, 3.0, 4.0, 6.0, 1.0, 2.0, 2.0, 7.0]
    trigger = trigger_class("loss", trigger=(2, "iteration"))
    updater = FakeUpdater(10, 1)
    trainer = FakeTrainer(updater)
    fired = []
    for value in values:
        updater.update()
        trainer.observation = {"loss": value}
        fired.append(trigger(trainer))
    assert fired == expected


def test_min_value_trigger_serialize():
    trigger = triggers.MinValueTrigger("loss", trigger=(1, "iteration"))
    updater = FakeUpdater(10, 1)
    trainer = FakeTrainer(updater, {"loss": 2.0})
    updater.update()
    assert trigger(trainer)
    saved = DictionarySerializer()
    trigger.serialize(saved)
    resumed = triggers.MinValueTrigger("loss", trigger=(1, "iteration"))
    resumed.serialize(NpzDeserializer(saved.target))
    updater.update()
    trainer.observation = {"loss": 3.0}
    assert not resumed(trainer)  # 3.0 is worse than the loaded best 2.0
    updater.update()
    trainer.observation = {"loss": 1.0}
    assert resumed(trainer)


@pytest.mark.parametrize(
    "stop,expected_iteration", [((7, "iteration"), 7), ((2, "epoch"), 5), ((0.5, "epoch"), 2)]
)
def test_trainer_stops_at_stop_trigger(tmp_path, stop, expected_iteration):
    # 10 examples, batch 4: epoch_detail after each update is 0.4, 0.8, 1.2, 1.6, 2.0, ...
    trainer = make_trainer(tmp_path, stop=stop)
    trainer.run()
    assert trainer.updater.iteration == expected_iteration
