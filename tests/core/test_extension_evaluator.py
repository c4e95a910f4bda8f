import numpy
import pytest
from _training_testing import make_dataset, make_model, make_trainer

import kusari
import kusari.functions as F
from kusari import Chain, report
from kusari.dataset import concat_examples
from kusari.datasets import TupleDataset
from kusari.iterators import SerialIterator
from kusari.training import extensions


class Probe(Chain):
    """Reports batch statistics of x and records the mode it was called in."""

    def __init__(self):
        super().__init__()
        self.modes = []

    def forward(self, x, t):
        self.modes.append((kusari.config.train, kusari.config.enable_backprop))
        report({"x_mean": F.mean(x), "t_max": float(t.max())}, self)
        return F.mean(x)


def _data(n=7):
    x = numpy.arange(n * 2, dtype=numpy.float32).reshape(n, 2)
    t = numpy.arange(n, dtype=numpy.int32) % 3
    return TupleDataset(x, t), x, t


def test_means_over_batches_and_mode():
    dataset, x, t = _data(7)
    probe = Probe()
    evaluator = extensions.Evaluator(SerialIterator(dataset, 3, repeat=False, shuffle=False), probe)
    result = evaluator()
    # each batch (3, 3, 1 examples) weighs the same, as in Chainer
    batches = [slice(0, 3), slice(3, 6), slice(6, 7)]
    assert result["main/x_mean"] == pytest.approx(numpy.mean([x[b].mean() for b in batches]))
    assert result["main/t_max"] == pytest.approx(numpy.mean([t[b].max() for b in batches]))
    assert probe.modes == [(False, False)] * 3
    assert kusari.config.train and kusari.config.enable_backprop
    # the iterator is reset: a second evaluation gives the same result
    assert evaluator() == result


def test_name_prefix_and_report_to_trainer(tmp_path):
    trainer = make_trainer(tmp_path, stop=(2, "epoch"))
    model = trainer.updater.get_optimizer("main").target
    iterator = SerialIterator(make_dataset(6, seed=1), 4, repeat=False, shuffle=False)
    trainer.extend(extensions.Evaluator(iterator, model))
    log_report = extensions.LogReport()
    trainer.extend(log_report)
    trainer.run()
    entry = log_report.log[-1]
    assert {"validation/main/loss", "validation/main/accuracy", "main/loss"} <= set(entry)

    # the reference: the trained model evaluated by hand, batch means averaged
    x, t = concat_examples(list(make_dataset(6, seed=1)))
    with kusari.using_config("train", False), kusari.no_backprop_mode():
        losses = [
            float(F.softmax_cross_entropy(model.predictor(x[i : i + 4]), t[i : i + 4]).array)
            for i in (0, 4)
        ]
    assert entry["validation/main/loss"] == pytest.approx(numpy.mean(losses), rel=1e-5)


def test_eval_hook_eval_func_and_dict_converter():
    dataset, x, _ = _data(4)
    hooked = []
    calls = []

    def converter(batch, device):
        xs, ts = concat_examples(batch)
        return {"x": xs, "t": ts}

    def eval_func(x, t):
        calls.append(x.shape)

    evaluator = extensions.Evaluator(
        {"main": SerialIterator(dataset, 2, repeat=False, shuffle=False)},
        {"main": make_model()},
        converter=converter,
        eval_hook=hooked.append,
        eval_func=eval_func,
    )
    assert evaluator() == {}
    assert hooked == [evaluator]
    assert calls == [(2, 2), (2, 2)]
    assert evaluator.get_target("main") is evaluator.get_all_targets()["main"]
    assert list(evaluator.get_all_iterators()) == ["main"]


def test_progress_bar_and_named(capsys):
    dataset, _, _ = _data(5)
    evaluator = extensions.Evaluator(
        SerialIterator(dataset, 2, repeat=False), Probe(), progress_bar=True
    )
    evaluator.name = "test"
    assert set(evaluator()) == {"test/main/x_mean", "test/main/t_max"}
    assert "test:   0%|          | 0/3" in capsys.readouterr().err


def test_bad_arguments():
    dataset, _, _ = _data(2)
    with pytest.raises(ValueError, match="Evaluator: the target dict needs a 'main' entry"):
        extensions.Evaluator(SerialIterator(dataset, 2), {"model": make_model()})
    with pytest.raises(ValueError, match="Evaluator: the iterator dict needs a 'main' entry"):
        extensions.Evaluator({"val": SerialIterator(dataset, 2)}, make_model())
