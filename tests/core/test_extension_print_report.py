import io

import pytest
from _training_testing import make_trainer

from kusari import training
from kusari.serializers import DictionarySerializer, NpzDeserializer
from kusari.training import extensions


@training.make_extension(trigger=(1, "iteration"), priority=training.PRIORITY_WRITER)
def report_iteration(trainer):
    trainer.observation["value"] = trainer.updater.iteration / 4
    if trainer.updater.iteration == 2:
        trainer.observation["only_once"] = 7


def test_table(tmp_path):
    out = io.StringIO()
    trainer = make_trainer(tmp_path, stop=(2, "iteration"))
    trainer.extend(report_iteration)
    trainer.extend(extensions.LogReport(keys=["value", "only_once"], trigger=(1, "iteration")))
    trainer.extend(
        extensions.PrintReport(["iteration", "value", "only_once", "a_long_entry_name"], out=out)
    )
    trainer.run()
    expected = (
        "iteration   value       only_once   a_long_entry_name\n"
        "1           0.25\n"
        "2           0.5         7\n"
    )
    assert out.getvalue() == expected


def test_owned_log_report_and_serialize(tmp_path):
    out = io.StringIO()
    log_report = extensions.LogReport(keys=["value"], trigger=(2, "iteration"))
    print_report = extensions.PrintReport(["epoch", "value"], log_report=log_report, out=out)
    trainer = make_trainer(tmp_path, stop=(4, "iteration"))
    trainer.extend(report_iteration)
    trainer.extend(print_report)
    trainer.run()
    assert out.getvalue().splitlines() == [
        "epoch       value",
        "0           0.375",
        "1           0.875",
    ]
    saved = {}
    print_report.serialize(DictionarySerializer(saved))
    assert "_log_report/_log" in saved
    other_log = extensions.LogReport()
    other = extensions.PrintReport(["epoch"], log_report=other_log)
    other.serialize(NpzDeserializer(saved))
    assert other_log.log == log_report.log


def test_wrong_log_report(tmp_path):
    trainer = make_trainer(tmp_path, stop=(1, "iteration"))
    trainer.extend(lambda trainer: None, name="NotALog")
    trainer.extend(extensions.PrintReport(["epoch"], log_report="NotALog", out=io.StringIO()))
    with pytest.raises(TypeError, match="PrintReport: the extension 'NotALog' is a function"):
        trainer.run(show_loop_exception_msg=False)
    with pytest.raises(TypeError, match="PrintReport: log_report must be the name of a LogRep"):
        extensions.PrintReport(["epoch"], log_report=3)
