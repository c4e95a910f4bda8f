import io
import math
import threading

import numpy
import pytest

from kusari import reporter as reporter_module
from kusari import serializers
from kusari.configuration import using_config
from kusari.reporter import (
    DictSummary,
    Reporter,
    Summary,
    get_current_reporter,
    report,
    report_scope,
)
from kusari.variable import Variable


def test_observer_names():
    reporter = Reporter()
    model, head = object(), object()
    reporter.add_observer("main", model)
    reporter.add_observers("main/", [("head", head)])
    observation = {}
    with reporter.scope(observation):
        report({"loss": 1.0, "accuracy": 0.5}, model)
        report({"x": 2}, head)
        report({"lr": 0.1})
    assert observation == {"main/loss": 1.0, "main/accuracy": 0.5, "main/head/x": 2, "lr": 0.1}


def test_unregistered_observer():
    reporter = Reporter()
    with reporter.scope({}), pytest.raises(KeyError, match="not registered"):
        report({"loss": 1.0}, object())


def test_report_without_reporter_does_nothing():
    report({"loss": 1.0}, object())
    with pytest.raises(RuntimeError, match="no reporter is current"):
        get_current_reporter()
    with pytest.raises(RuntimeError, match="no reporter is current"), report_scope({}):
        pass


def test_nested_reporters_and_scopes():
    outer, inner = Reporter(), Reporter()
    outer_obs, inner_obs, redirected = {}, {}, {}
    with outer.scope(outer_obs):
        assert get_current_reporter() is outer
        with inner.scope(inner_obs):
            assert get_current_reporter() is inner
            report({"a": 1})
            with report_scope(redirected):
                report({"b": 2})
            report({"c": 3})
        assert get_current_reporter() is outer
        report({"d": 4})
    assert inner_obs == {"a": 1, "c": 3}
    assert redirected == {"b": 2}
    assert outer_obs == {"d": 4}
    assert outer.observation == {} and inner.observation == {}


def test_with_reporter_reports_into_its_observation():
    reporter = Reporter()
    with reporter as current:
        assert current is reporter
        report({"x": 1})
    assert reporter.observation == {"x": 1}


def test_scope_restores_state_after_exception():
    reporter = Reporter()
    observation = {}
    with pytest.raises(ValueError, match="boom"), reporter.scope(observation):
        raise ValueError("boom")
    with pytest.raises(RuntimeError):
        get_current_reporter()
    assert reporter.observation is not observation


def test_reporters_are_per_thread():
    seen = []
    with Reporter().scope({}):
        thread = threading.Thread(target=lambda: seen.append(reporter_module._get_reporters()))
        thread.start()
        thread.join()
    assert seen == [[]]


def test_reported_variables_lose_their_graph():
    x = Variable(numpy.array(2.0, numpy.float32), name="loss")
    x.creator_node = object()  # stands for the FunctionNode that computed it
    reporter = Reporter()
    observation = {}
    with reporter.scope(observation):
        report({"loss": x})
    reported = observation["loss"]
    assert isinstance(reported, Variable)
    assert reported is not x and reported.array is x.array
    assert reported.creator is None and reported.name == "loss"
    with using_config("keep_graph_on_report", True), reporter.scope(observation):
        report({"loss": x})
    assert observation["loss"] is x


def test_summary_mean_and_std():
    values = [1.0, 2.5, numpy.float32(-3.0), numpy.array(4.0), 7]
    summary = Summary()
    for v in values:
        summary.add(v)
    expected = numpy.array(values, numpy.float64)
    assert summary.compute_mean() == pytest.approx(expected.mean())
    mean, std = summary.make_statistics()
    assert mean == pytest.approx(expected.mean())
    assert std == pytest.approx(expected.std())


def test_summary_weights():
    summary = Summary()
    for value, weight in [(1.0, 2), (4.0, 1), (10.0, numpy.array(0.5))]:
        summary.add(value, weight=weight)
    values, weights = numpy.array([1.0, 4.0, 10.0]), numpy.array([2, 1, 0.5])
    mean = numpy.average(values, weights=weights)
    assert summary.compute_mean() == pytest.approx(mean)
    std = math.sqrt(numpy.average((values - mean) ** 2, weights=weights))
    assert summary.make_statistics()[1] == pytest.approx(std)


def test_summary_rounding_never_gives_nan_std():
    # Three adds of 0.1 give a variance of about -1.7e-18 in float64 before clamping.
    summary = Summary()
    for _ in range(3):
        summary.add(0.1)
    assert summary.make_statistics()[1] == 0.0


def test_summary_nan_propagates():
    summary = Summary()
    summary.add(1.0)
    summary.add(float("nan"))
    mean, std = summary.make_statistics()
    assert math.isnan(mean) and math.isnan(std)


def test_dict_summary():
    summary = DictSummary()
    summary.add(
        {
            "loss": 1.0,
            "acc": Variable(numpy.array(0.5, numpy.float32)),
            "vector": numpy.arange(3.0),
            "text": "skipped",
            "none": None,
            "w": (2.0, 3),
        }
    )
    summary.add({"loss": numpy.float32(3.0), "acc": numpy.array(1.0), "w": (6.0, 1)})
    mean = summary.compute_mean()
    assert mean == {"loss": 2.0, "acc": 0.75, "w": 3.0}
    assert all(type(v) is float for v in mean.values())
    stats = summary.make_statistics()
    assert set(stats) == {"loss", "loss.std", "acc", "acc.std", "w", "w.std"}
    assert stats["loss.std"] == pytest.approx(1.0)
    assert stats["acc.std"] == pytest.approx(0.25)
    assert stats["w.std"] == pytest.approx(math.sqrt((3 * 1.0 + 1 * 9.0) / 4))


def test_dict_summary_rejects_non_scalar_weight():
    with pytest.raises(ValueError, match="DictSummary.add: the weight of 'x' must be a scalar"):
        DictSummary().add({"x": (1.0, numpy.ones(2))})


def _save(obj):
    buf = io.BytesIO()
    serializers.save_npz(buf, obj)
    buf.seek(0)
    return buf


def test_dict_summary_serialize_round_trip():
    rng = numpy.random.RandomState(0)
    batches = [{"loss": float(rng.rand()), "acc": (float(rng.rand()), 0.5)} for _ in range(6)]
    full = DictSummary()
    for batch in batches:
        full.add(batch)
    first = DictSummary()
    for batch in batches[:3]:
        first.add(batch)
    buf = _save(first)
    s = serializers.DictionarySerializer()
    s.save(first)
    assert sorted(s.target) == [
        "_names",
        "_summaries/0/_n",
        "_summaries/0/_x",
        "_summaries/0/_x2",
        "_summaries/1/_n",
        "_summaries/1/_x",
        "_summaries/1/_x2",
    ]
    resumed = DictSummary()
    resumed.add({"stale": 1.0})
    serializers.load_npz(buf, resumed)
    for batch in batches[3:]:
        resumed.add(batch)
    assert resumed.make_statistics() == pytest.approx(full.make_statistics())
    assert "stale" not in resumed.compute_mean()


def test_summary_serialize_round_trip_keeps_count_type():
    src = Summary()
    for v in (1.0, 2.0, 6.0):
        src.add(v)
    dst = Summary()
    serializers.load_npz(_save(src), dst)
    assert dst.compute_mean() == 3.0
    assert type(dst._n) is int and dst._n == 3


def test_summary_and_dict_summary_warn_on_missing_entries():
    empty = _save({})
    with pytest.warns(UserWarning, match="previous statistics were not saved"):
        serializers.load_npz(empty, Summary())
    empty.seek(0)
    summary = DictSummary()
    with pytest.warns(UserWarning, match="names of the statistics were not saved"):
        serializers.load_npz(empty, summary)
    assert summary.compute_mean() == {}


@pytest.mark.gpu
def test_cupy_values():
    import cupy

    summary = DictSummary()
    for v in (1.0, 2.0, 6.0):
        summary.add({"loss": cupy.asarray(v, dtype=cupy.float32), "n": 1})
    assert isinstance(summary._summaries["loss"]._x, cupy.ndarray)
    assert summary.compute_mean() == {"loss": 3.0, "n": 1.0}
    stats = summary.make_statistics()
    assert stats["loss.std"] == pytest.approx(numpy.std([1.0, 2.0, 6.0]), rel=1e-6)
    dst = DictSummary()
    serializers.load_npz(_save(summary), dst)
    assert dst.compute_mean() == {"loss": 3.0, "n": 1.0}
