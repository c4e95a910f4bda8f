import argparse
import json
import os

import numpy
import pytest
from _training_testing import make_trainer

from kusari import report, training
from kusari.serializers import DictionarySerializer, NpzDeserializer
from kusari.training import extensions


class Recorder(training.Extension):
    """Records every hook call into a shared list."""

    def __init__(self, tag, events, priority=None, trigger=None):
        self.tag = tag
        self.events = events
        if priority is not None:
            self.priority = priority
        if trigger is not None:
            self.trigger = trigger

    def __call__(self, trainer):
        self.events.append((self.tag, trainer.updater.iteration))

    def initialize(self, trainer):
        self.events.append((self.tag, "initialize"))

    def finalize(self):
        self.events.append((self.tag, "finalize"))


def test_extension_order_and_hooks(tmp_path):
    events = []
    trainer = make_trainer(tmp_path, stop=(2, "iteration"))
    trainer.extend(Recorder("reader", events))
    trainer.extend(Recorder("writer", events, priority=training.PRIORITY_WRITER))
    trainer.extend(
        Recorder("editor", events, priority=training.PRIORITY_EDITOR), call_before_training=True
    )
    trainer.extend(Recorder("reader2", events), trigger=(2, "iteration"))
    trainer.run()
    assert events == [
        ("writer", "initialize"),
        ("editor", "initialize"),
        ("reader", "initialize"),
        ("reader2", "initialize"),
        ("editor", 0),
        ("writer", 1),
        ("editor", 1),
        ("reader", 1),
        ("writer", 2),
        ("editor", 2),
        ("reader", 2),
        ("reader2", 2),
        ("writer", "finalize"),
        ("editor", "finalize"),
        ("reader", "finalize"),
        ("reader2", "finalize"),
    ]


def test_extend_names(tmp_path):
    trainer = make_trainer(tmp_path)
    events = []
    first, second, third = (Recorder(str(i), events) for i in range(3))
    trainer.extend(first)
    trainer.extend(second)
    trainer.extend(third, name="custom")

    def plain(trainer):
        pass

    trainer.extend(plain)
    trainer.extend(lambda trainer: None, name="lam")
    assert (first.name, second.name, third.name) == ("Recorder", "Recorder_1", "custom")
    assert trainer.get_extension("Recorder_1") is second
    assert trainer.get_extension("plain") is plain
    with pytest.raises(ValueError, match="no extension named 'missing'"):
        trainer.get_extension("missing")
    with pytest.raises(ValueError, match="the name 'training' is reserved"):
        trainer.extend(Recorder("x", events), name="training")
    with pytest.raises(TypeError, match="invoke_before_training was removed"):
        trainer.extend(plain, invoke_before_training=True)
    with pytest.raises(TypeError, match="unexpected keyword argument\\(s\\) foo"):
        trainer.extend(plain, foo=1)


def test_make_extension_defaults(tmp_path):
    calls = []

    @training.make_extension(
        trigger=(2, "iteration"),
        priority=training.PRIORITY_WRITER,
        initializer=lambda trainer: calls.append("init"),
        finalizer=lambda: calls.append("final"),
    )
    def count(trainer):
        calls.append(trainer.updater.iteration)

    assert count.default_name == "count"
    trainer = make_trainer(tmp_path, stop=(5, "iteration"))
    trainer.extend(count)
    trainer.run()
    assert calls == ["init", 2, 4, "final"]
    with pytest.raises(TypeError, match="make_extension: invoke_before_training was removed"):
        training.make_extension(invoke_before_training=True)


def test_observation_and_reporter(tmp_path):
    trainer = make_trainer(tmp_path, stop=(1, "iteration"))
    seen = []
    trainer.extend(lambda trainer: seen.append(dict(trainer.observation)), name="peek")
    trainer.run()
    assert set(seen[0]) == {"main/loss", "main/accuracy"}
    # sublinks are observers too, under 'main/<path>'
    observation = {}
    predictor = trainer.updater.get_optimizer("main").target.predictor
    with trainer.reporter.scope(observation):
        report({"w": 1.0}, predictor)
    assert observation == {"main/predictor/w": 1.0}


def test_run_once_and_elapsed_time(tmp_path):
    trainer = make_trainer(tmp_path, stop=(1, "iteration"))
    with pytest.raises(RuntimeError, match="has not been started"):
        trainer.elapsed_time  # noqa: B018
    trainer.run()
    assert trainer.elapsed_time > 0
    assert os.path.isdir(tmp_path)
    with pytest.raises(RuntimeError, match="a trainer runs only once"):
        trainer.run()


def test_error_handling(tmp_path, capsys):
    events = []

    class Failing(Recorder):
        def __call__(self, trainer):
            if trainer.updater.iteration == 2:
                raise ZeroDivisionError("boom")

        def on_error(self, trainer, exc, tb):
            events.append(("on_error", type(exc).__name__, tb is not None))

    trainer = make_trainer(tmp_path, stop=(5, "iteration"))
    trainer.extend(Failing("failing", events))
    with pytest.raises(ZeroDivisionError, match="boom"):
        trainer.run()
    assert events == [
        ("failing", "initialize"),
        ("on_error", "ZeroDivisionError", True),
        ("failing", "finalize"),
    ]
    assert trainer.updater.iteration == 2
    assert "Exception in main training loop: boom" in capsys.readouterr().err

    quiet = make_trainer(tmp_path, stop=(5, "iteration"))
    quiet.extend(Failing("failing", []))
    with pytest.raises(ZeroDivisionError):
        quiet.run(show_loop_exception_msg=False)
    assert capsys.readouterr().err == ""


def test_serialize_layout_and_round_trip(tmp_path):
    trainer = make_trainer(tmp_path, stop=(3, "iteration"))
    trainer.extend(extensions.LogReport(trigger=(2, "iteration")))
    trainer.run()
    saved = DictionarySerializer()
    trainer.serialize(saved)
    keys = set(saved.target)
    assert {
        "updater/iteration",
        "updater/model:main/predictor/W",
        "updater/optimizer:main/t",
        "updater/iterator:main/current_position",
        "stop_trigger/previous_iteration",
        "extensions/LogReport/_log",
        "extension_triggers/LogReport/previous_iteration",
        "_snapshot_elapsed_time",
    } <= keys
    assert {key.split("/")[0] for key in keys} == {
        "updater",
        "stop_trigger",
        "extensions",
        "extension_triggers",
        "_snapshot_elapsed_time",
    }

    other = make_trainer(tmp_path / "other", stop=(3, "iteration"))
    other.extend(extensions.LogReport(trigger=(2, "iteration")))
    other.serialize(NpzDeserializer(saved.target))
    assert other.updater.iteration == 3
    assert other.get_extension("LogReport").log == trainer.get_extension("LogReport").log
    numpy.testing.assert_array_equal(
        other.updater.get_optimizer("main").target.predictor.W.array,
        trainer.updater.get_optimizer("main").target.predictor.W.array,
    )
    assert other._snapshot_elapsed_time == pytest.approx(trainer.elapsed_time)


def test_observe_lr_and_value(tmp_path):
    trainer = make_trainer(tmp_path, stop=(2, "epoch"))
    trainer.extend(extensions.observe_lr())
    trainer.extend(
        extensions.observe_value("it", lambda t: t.updater.iteration * 10), trigger=(1, "iteration")
    )
    log_report = extensions.LogReport()
    trainer.extend(log_report)
    trainer.run()
    assert [entry["lr"] for entry in log_report.log] == [0.1, 0.1]
    # 'it' is averaged over the iterations of each epoch (10 examples, batch 4)
    assert [entry["it"] for entry in log_report.log] == [20.0, 45.0]


def test_save_args(tmp_path):
    parser = argparse.ArgumentParser()
    parser.add_argument("--epoch", type=int, default=3)
    parser.add_argument("--out", default=str(tmp_path / "result"))
    args = parser.parse_args(["--epoch", "5"])
    training.save_args(args, args.out)
    with open(os.path.join(args.out, "args")) as f:
        assert json.load(f) == {"epoch": 5, "out": args.out}
    training.save_args({"path": tmp_path, "lr": 0.5}, args.out)
    with open(os.path.join(args.out, "args")) as f:
        assert json.load(f) == {"path": str(tmp_path), "lr": 0.5}
    assert sorted(os.listdir(args.out)) == ["args"]
    with pytest.raises(TypeError, match="save_args: args must be an argparse.Namespace"):
        training.save_args([1, 2], args.out)
