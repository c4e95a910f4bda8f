import json
import math
import os

import numpy
import pytest
from _training_testing import make_trainer

from kusari import training
from kusari.serializers import DictionarySerializer, NpzDeserializer
from kusari.training import extensions


def _report_values(values):
    """An extension reporting values[iteration - 1] as 'x' and 2 * that as 'y'."""

    @training.make_extension(trigger=(1, "iteration"), priority=training.PRIORITY_WRITER)
    def report_values(trainer):
        value = values[trainer.updater.iteration - 1]
        trainer.observation["x"] = value
        trainer.observation["y"] = numpy.float32(2 * value)

    return report_values


def test_log_entries_and_file(tmp_path):
    values = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
    trainer = make_trainer(tmp_path, stop=(6, "iteration"))
    trainer.extend(_report_values(values))
    log_report = extensions.LogReport(trigger=(4, "iteration"))
    trainer.extend(log_report)
    trainer.run()

    log = log_report.log
    assert len(log) == 1  # iterations 1-4; 5-6 are still being averaged
    entry = log[0]
    assert entry["x"] == pytest.approx(numpy.mean(values[:4]))
    assert entry["y"] == pytest.approx(2 * numpy.mean(values[:4]))
    assert (entry["epoch"], entry["iteration"]) == (1, 4)  # 10 examples, batch 4
    assert 0 < entry["elapsed_time"] <= trainer.elapsed_time
    assert {"main/loss", "main/accuracy"} <= set(entry)
    with open(tmp_path / "log") as f:
        assert json.load(f) == log
    assert sorted(os.listdir(tmp_path)) == ["log"]  # no temporary files left


def test_epoch_trigger_keys_and_postprocess(tmp_path):
    values = list(numpy.arange(1.0, 11.0))
    trainer = make_trainer(tmp_path, stop=(2, "epoch"))
    trainer.extend(_report_values(values))

    def postprocess(entry):
        entry["x_squared"] = entry["x"] ** 2

    log_report = extensions.LogReport(keys=["x", "missing"], postprocess=postprocess)
    trainer.extend(log_report)
    trainer.run()
    # 10 examples, batch 4: epoch 1 ends at iteration 3, epoch 2 at iteration 5
    assert [(e["epoch"], e["iteration"]) for e in log_report.log] == [(1, 3), (2, 5)]
    assert [e["x"] for e in log_report.log] == [2.0, 4.5]
    assert [e["x_squared"] for e in log_report.log] == [4.0, 20.25]
    assert set(log_report.log[0]) == {"x", "x_squared", "epoch", "iteration", "elapsed_time"}


def test_filename_options(tmp_path):
    trainer = make_trainer(tmp_path / "a", stop=(2, "epoch"))
    trainer.extend(extensions.LogReport(filename=None))
    trainer.run()
    assert os.listdir(tmp_path / "a") == []

    trainer = make_trainer(tmp_path / "b", stop=(2, "epoch"))
    trainer.extend(extensions.LogReport(filename="log_{epoch}"))
    trainer.extend(extensions.LogReport(log_name="old_name"))
    trainer.run()
    assert sorted(os.listdir(tmp_path / "b")) == ["log_1", "log_2", "old_name"]
    with open(tmp_path / "b" / "log_1") as f:
        assert len(json.load(f)) == 1


def test_nan_and_inf_are_json_tokens(tmp_path):
    values = [float("nan"), 1.0, float("inf"), 1.0]
    trainer = make_trainer(tmp_path, stop=(4, "iteration"))
    trainer.extend(_report_values(values))
    trainer.extend(extensions.LogReport(keys=["x"], trigger=(1, "iteration")))
    trainer.run()
    text = (tmp_path / "log").read_text()
    assert '"x": NaN' in text
    assert '"x": Infinity' in text
    loaded = json.loads(text)
    assert math.isnan(loaded[0]["x"]) and loaded[2]["x"] == math.inf


def test_serialize_keeps_log_and_running_means(tmp_path):
    values = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]
    reference = make_trainer(tmp_path / "ref", stop=(8, "iteration"))
    reference.extend(_report_values(values))
    reference.extend(extensions.LogReport(keys=["x"], trigger=(3, "iteration")))
    reference.run()

    first = make_trainer(tmp_path / "run", stop=(4, "iteration"))
    first.extend(_report_values(values))
    first.extend(extensions.LogReport(keys=["x"], trigger=(3, "iteration")))
    first.run()  # stops in the middle of the second interval
    saved = DictionarySerializer()
    first.serialize(saved)
    assert {
        "extensions/LogReport/_log",
        "extensions/LogReport/_summary/_names",
        "extensions/LogReport/_trigger/previous_iteration",
    } <= set(saved.target)

    resumed = make_trainer(tmp_path / "run", stop=(8, "iteration"))
    resumed.extend(_report_values(values))
    log_report = extensions.LogReport(keys=["x"], trigger=(3, "iteration"))
    resumed.extend(log_report)
    resumed.serialize(NpzDeserializer(saved.target))
    resumed.run()
    expected = reference.get_extension("LogReport").log
    assert (
        [(e["iteration"], e["x"]) for e in log_report.log]
        == [(e["iteration"], e["x"]) for e in expected]
        == [(3, 7 / 3), (6, 56 / 3)]
    )
    with open(tmp_path / "run" / "log") as f:
        assert [e["x"] for e in json.load(f)] == pytest.approx([7 / 3, 56 / 3])
