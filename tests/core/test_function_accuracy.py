import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES
from kusari.utils.type_check import InvalidType


def _accuracy_ref(y, t, ignore_label=None):
    pred = y.argmax(axis=1)
    valid = numpy.ones(t.shape, bool) if ignore_label is None else t != ignore_label
    if valid.sum() == 0:
        return 0.0
    return float(((pred == t) & valid).sum()) / float(valid.sum())


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("y_shape", "t_shape"), [((10, 4), (10,)), ((3, 4, 5), (3, 5)),
                                                   ((2, 3, 2, 2), (2, 2, 2))])
@pytest.mark.parametrize("ignore_label", [None, -1])
def test_accuracy(dtype, y_shape, t_shape, ignore_label):
    rng = numpy.random.default_rng(0)
    y = rng.permutation(numpy.prod(y_shape)).reshape(y_shape).astype(dtype)
    t = rng.integers(0, y_shape[1], t_shape).astype(numpy.int32)
    t.reshape(-1)[::3] = -1 if ignore_label is not None else 0
    acc = F.accuracy(kusari.Variable(y), kusari.Variable(t), ignore_label=ignore_label)
    assert acc.shape == () and acc.dtype == dtype
    numpy.testing.assert_allclose(float(acc.array), _accuracy_ref(y, t, ignore_label),
                                  rtol=1e-3)


def test_accuracy_known_values():
    y = numpy.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]], numpy.float32)
    t = numpy.array([1, 1, 1, 0], numpy.int64)
    assert float(F.accuracy(y, t).array) == 0.75
    t_ignore = numpy.array([1, 5, 1, 5], numpy.int64)
    assert float(F.accuracy(y, t_ignore, ignore_label=5).array) == 1.0
    all_ignored = numpy.full(4, 5, numpy.int64)
    assert float(F.accuracy(y, all_ignored, ignore_label=5).array) == 0.0


def test_accuracy_is_not_part_of_the_graph():
    y = kusari.Variable(numpy.eye(3, dtype=numpy.float32))
    acc = F.accuracy(y, numpy.arange(3, dtype=numpy.int32))
    assert acc.creator_node is None and not acc.requires_grad


def test_accuracy_bad_input():
    y = numpy.zeros((4, 3), numpy.float32)
    with pytest.raises(InvalidType, match="accuracy: t must be a signed integer array.*float32"):
        F.accuracy(y, numpy.zeros(4, numpy.float32))
    with pytest.raises(InvalidType, match=r"accuracy: t.shape must be \(4,\).*got \(5,\)"):
        F.accuracy(y, numpy.zeros(5, numpy.int32))
    with pytest.raises(InvalidType, match="accuracy: y must be a float array.*int32"):
        F.accuracy(y.astype(numpy.int32), numpy.zeros(4, numpy.int32))
    with pytest.raises(InvalidType, match=r"accuracy: y.ndim must be >= 2, got 1"):
        F.accuracy(numpy.zeros(4, numpy.float32), numpy.zeros(4, numpy.int32))
