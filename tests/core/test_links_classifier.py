import numpy
import pytest

import kusari
import kusari.functions as F
import kusari.links as L
from kusari.reporter import Reporter


class TwoInputs(kusari.Chain):
    """A predictor taking two inputs (and an optional keyword), to test label_key."""

    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l = L.Linear(3, 4)

    def forward(self, x, z, shift=0.0):
        return self.l(x) + z + shift


def _data(seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(6, 3).astype(numpy.float32)
    t = numpy.array([0, 1, 2, 3, 1, 0], numpy.int32)
    return x, t


def _reference_loss_and_accuracy(y, t):
    y = y.astype(numpy.float64)
    log_z = numpy.log(numpy.exp(y - y.max(1, keepdims=True)).sum(1)) + y.max(1)
    loss = (log_z - y[numpy.arange(len(t)), t]).mean()
    return loss, (y.argmax(1) == t).mean()


def test_reports_loss_and_accuracy():
    model = L.Classifier(L.Linear(3, 4))
    x, t = _data()
    reporter = Reporter()
    reporter.add_observer("main", model)
    observation = {}
    with reporter.scope(observation):
        loss = model(x, t)
    assert sorted(observation) == ["main/accuracy", "main/loss"]
    logits = x @ model.predictor.W.array.T + model.predictor.b.array
    expected_loss, expected_accuracy = _reference_loss_and_accuracy(logits, t)
    numpy.testing.assert_allclose(loss.array, expected_loss, rtol=1e-5)
    numpy.testing.assert_allclose(observation["main/loss"].array, expected_loss, rtol=1e-5)
    numpy.testing.assert_allclose(observation["main/accuracy"].array, expected_accuracy)
    assert model.loss is loss
    numpy.testing.assert_allclose(model.y.array, logits, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(model.accuracy.array, expected_accuracy)
    # the reported values are cut from the graph; the returned loss is not
    assert observation["main/loss"].creator is None and loss.creator is not None
    loss.backward()
    assert model.predictor.W.grad is not None


def test_compute_accuracy_false_reports_loss_only():
    model = L.Classifier(L.Linear(3, 4))
    model.compute_accuracy = False
    reporter = Reporter()
    reporter.add_observer("main", model)
    observation = {}
    with reporter.scope(observation):
        model(*_data())
    assert list(observation) == ["main/loss"]
    assert model.accuracy is None


def test_runs_without_reporter_and_exposes_predictor_params():
    model = L.Classifier(L.Linear(3, 4))
    loss = model(*_data())
    assert loss.shape == ()
    assert [path for path, _ in model.namedparams()] == ["/predictor/W", "/predictor/b"]


def test_custom_lossfun_and_accfun():
    model = L.Classifier(
        L.Linear(3, 4),
        lossfun=lambda y, t: F.sum(y * 0.0),
        accfun=lambda y, t: kusari.Variable(numpy.array(0.25, numpy.float32)),
    )
    loss = model(*_data())
    assert float(loss.array) == 0.0 and float(model.accuracy.array) == 0.25


@pytest.mark.parametrize("label_key", [0, 2, -1, "label"])
def test_label_key(label_key):
    model = L.Classifier(TwoInputs(), label_key=label_key)
    x, t = _data()
    z = numpy.full((6, 4), 0.5, numpy.float32)
    if label_key == 0:
        loss = model(t, x, z)
    elif label_key in (2, -1):
        loss = model(x, z, t)
    else:
        loss = model(x, z, label=t)
    logits = x @ model.predictor.l.W.array.T + model.predictor.l.b.array + 0.5
    numpy.testing.assert_allclose(loss.array, _reference_loss_and_accuracy(logits, t)[0], rtol=1e-5)


def test_keyword_arguments_reach_the_predictor():
    model = L.Classifier(TwoInputs())
    x, t = _data()
    z = numpy.zeros((6, 4), numpy.float32)
    model(x, z, t, shift=1.0)
    logits = x @ model.predictor.l.W.array.T + model.predictor.l.b.array + 1.0
    numpy.testing.assert_allclose(model.y.array, logits, rtol=1e-5, atol=1e-6)


def test_bad_label_key():
    with pytest.raises(TypeError, match="Classifier: label_key must be an int or a str, got float"):
        L.Classifier(L.Linear(3, 4), label_key=1.0)
    x, t = _data()
    with pytest.raises(ValueError, match="Classifier: label_key 3 is out of range for 2"):
        L.Classifier(L.Linear(3, 4), label_key=3)(x, t)
    with pytest.raises(ValueError, match="Classifier: label_key 't' is not among"):
        L.Classifier(L.Linear(3, 4), label_key="t")(x, t)
