import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.function_node import FunctionNode
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _sce_ref(x, t, normalize=True, class_weight=None, ignore_label=-1, reduce="mean"):
    n_class = x.shape[1]
    flat = numpy.moveaxis(x.astype(numpy.float64), 1, -1).reshape(-1, n_class)
    m = flat.max(axis=1, keepdims=True)
    log_p = flat - m - numpy.log(numpy.exp(flat - m).sum(axis=1, keepdims=True))
    labels = t.reshape(-1)
    loss = numpy.zeros(len(labels))
    for i, label in enumerate(labels):
        if label != ignore_label:
            w = 1.0 if class_weight is None else float(class_weight[label])
            loss[i] = -w * log_p[i, label]
    if reduce == "no":
        return loss.reshape(t.shape).astype(x.dtype)
    count = int((labels != ignore_label).sum()) if normalize else x.shape[0]
    return numpy.asarray(loss.sum() / max(count, 1), dtype=x.dtype)


def _inputs(x_shape, dtype, ignore_label=-1, seed=0):
    rng = numpy.random.default_rng(seed)
    x = rng.uniform(-2, 2, x_shape).astype(dtype)
    t = rng.integers(0, x_shape[1], (x_shape[0],) + x_shape[2:]).astype(numpy.int32)
    t.reshape(-1)[1::4] = ignore_label
    return x, t


SHAPES = [(4, 3), (5, 4, 2), (2, 3, 2, 3), (0, 3)]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("x_shape", SHAPES)
@pytest.mark.parametrize("reduce", ["mean", "no"])
@pytest.mark.parametrize("normalize", [True, False])
def test_softmax_cross_entropy(dtype, x_shape, reduce, normalize):
    x, t = _inputs(x_shape, dtype)

    def func(x, t):
        return F.softmax_cross_entropy(x, t, normalize=normalize, reduce=reduce)

    check_function(func, (x, t), lambda x, t: _sce_ref(x, t, normalize=normalize, reduce=reduce))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("x_shape", [(4, 3), (3, 3, 2)])
@pytest.mark.parametrize("reduce", ["mean", "no"])
@pytest.mark.parametrize("cache_score", [True, False])
def test_softmax_cross_entropy_class_weight_and_ignore_label(dtype, x_shape, reduce,
                                                             cache_score):
    x, t = _inputs(x_shape, dtype, ignore_label=2)
    t[t == 2] = 7
    class_weight = numpy.array([0.5, 2.0, 1.5], dtype)

    def func(x, t):
        return F.softmax_cross_entropy(x, t, cache_score=cache_score, class_weight=class_weight,
                                       ignore_label=7, reduce=reduce)

    check_function(func, (x, t), lambda x, t: _sce_ref(x, t, class_weight=class_weight,
                                               ignore_label=7, reduce=reduce))


def test_softmax_cross_entropy_int64_labels_and_defaults():
    x, t = _inputs((6, 5), numpy.float32)
    loss = F.softmax_cross_entropy(x, t.astype(numpy.int64))
    assert loss.shape == () and loss.dtype == numpy.float32
    numpy.testing.assert_allclose(loss.array, _sce_ref(x, t), rtol=1e-5)


def test_softmax_cross_entropy_all_ignored_gives_zero_loss_and_gradient():
    x = kusari.Variable(numpy.ones((3, 4), numpy.float32))
    loss = F.softmax_cross_entropy(x, numpy.full(3, -1, numpy.int32))
    loss.backward()
    assert float(loss.array) == 0.0
    numpy.testing.assert_array_equal(x.grad, numpy.zeros((3, 4), numpy.float32))


def test_softmax_cross_entropy_large_scores_are_stable():
    x = numpy.array([[1000.0, -1000.0], [-1000.0, 1000.0]], numpy.float32)
    loss = F.softmax_cross_entropy(x, numpy.array([1, 1], numpy.int32), reduce="no")
    numpy.testing.assert_allclose(loss.array, [2000.0, 0.0])


@pytest.mark.parametrize("cache_score", [True, False])
def test_softmax_cross_entropy_fast_backward_is_one_node(monkeypatch, cache_score):
    x, t = _inputs((5, 4, 3), numpy.float32)
    xv = kusari.Variable(x)
    loss = F.softmax_cross_entropy(xv, t, cache_score=cache_score)
    applied = []
    original = FunctionNode.apply

    def counting_apply(self, inputs):
        applied.append(type(self).__name__)
        return original(self, inputs)

    monkeypatch.setattr(FunctionNode, "apply", counting_apply)
    loss.backward()
    assert applied == ["SoftmaxCrossEntropyGrad"]
    monkeypatch.undo()
    expected = F.softmax_cross_entropy(kusari.Variable(x), t, enable_double_backprop=True)
    gx, = kusari.grad([expected], [expected.creator_node.inputs[0]],
                      enable_double_backprop=True)
    numpy.testing.assert_allclose(xv.grad, gx.array, rtol=1e-5, atol=1e-7)


def test_softmax_cross_entropy_backward_twice_gives_the_same_gradient():
    x, t = _inputs((4, 3), numpy.float64)
    xv = kusari.Variable(x)
    loss = F.softmax_cross_entropy(xv, t)
    loss.backward()
    first = xv.grad.copy()
    xv.cleargrad()
    loss.backward()
    numpy.testing.assert_allclose(xv.grad, first)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("soft_target_loss", ["cross-entropy", "kl-divergence"])
@pytest.mark.parametrize("reduce", ["mean", "no"])
def test_softmax_cross_entropy_soft_targets(dtype, soft_target_loss, reduce):
    rng = numpy.random.default_rng(0)
    x = rng.uniform(-2, 2, (4, 3, 2)).astype(dtype)
    t = rng.uniform(0, 1, (4, 3, 2))
    t[0, 0, 0] = 0.0
    t = (t / t.sum(axis=1, keepdims=True)).astype(dtype)

    def expected(x, t):
        x64, t64 = x.astype(numpy.float64), t.astype(numpy.float64)
        m = x64.max(axis=1, keepdims=True)
        log_p = x64 - m - numpy.log(numpy.exp(x64 - m).sum(axis=1, keepdims=True))
        loss = -(t64 * log_p).sum(axis=1)
        if soft_target_loss == "kl-divergence":
            loss += numpy.where(t64 > 0, t64 * numpy.log(numpy.where(t64 > 0, t64, 1)), 0).sum(1)
        return numpy.asarray(loss.mean() if reduce == "mean" else loss, dtype=x.dtype)

    def func(x, t):
        return F.softmax_cross_entropy(x, t, reduce=reduce, soft_target_loss=soft_target_loss)

    check_function(func, (x, t), expected, no_grads=[False, True])


def test_softmax_cross_entropy_bad_labels():
    x = numpy.zeros((3, 4), numpy.float32)
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: labels must be in \[0, 4\).*"
                                         r"ignore_label \(-1\); got 4"):
        F.softmax_cross_entropy(x, numpy.array([0, 4, -1], numpy.int32))
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: labels .*; got -2"):
        F.softmax_cross_entropy(x, numpy.array([0, -2, 1], numpy.int32))
    with pytest.raises(InvalidType, match="softmax_cross_entropy: t must be a signed integer "
                                          "array, got uint8"):
        F.softmax_cross_entropy(x, numpy.zeros(3, numpy.uint8))
    with pytest.raises(InvalidType, match=r"softmax_cross_entropy: t.shape must be \(3,\) for x "
                                          r"of shape \(3, 4\).*got \(4,\)"):
        F.softmax_cross_entropy(x, numpy.zeros(4, numpy.int32))
    with pytest.raises(InvalidType, match=r"softmax_cross_entropy: t.shape must be \(3, 2\)"):
        F.softmax_cross_entropy(numpy.zeros((3, 4, 2), numpy.float32), numpy.zeros(3, numpy.int32))
    with pytest.raises(InvalidType, match=r"softmax_cross_entropy: float \(soft\) targets t must "
                                          r"have x's shape \(3, 4\), got \(3,\)"):
        F.softmax_cross_entropy(x, numpy.zeros(3, numpy.float32))


def test_softmax_cross_entropy_bad_options():
    x = numpy.zeros((3, 4), numpy.float32)
    t = numpy.zeros(3, numpy.int32)
    with pytest.raises(ValueError, match="softmax_cross_entropy: reduce must be 'mean' or 'no', "
                                         "got 'sum'"):
        F.softmax_cross_entropy(x, t, reduce="sum")
    with pytest.raises(ValueError, match="softmax_cross_entropy: soft_target_loss must be"):
        F.softmax_cross_entropy(x, t, soft_target_loss="mse")
    with pytest.raises(TypeError, match="softmax_cross_entropy: class_weight must be a "
                                        "numpy.ndarray or cupy.ndarray, got Variable"):
        F.softmax_cross_entropy(x, t, class_weight=kusari.Variable(numpy.ones(4, numpy.float32)))
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: class_weight must be a 1-D "
                                         r"float array"):
        F.softmax_cross_entropy(x, t, class_weight=numpy.ones(4, numpy.int32))
    with pytest.raises(InvalidType, match=r"softmax_cross_entropy: class_weight.shape must be "
                                          r"\(4,\) \(x.shape\[1\]\), got \(3,\)"):
        F.softmax_cross_entropy(x, t, class_weight=numpy.ones(3, numpy.float32))
    with pytest.raises(InvalidType, match="softmax_cross_entropy: x must be a float array"):
        F.softmax_cross_entropy(x.astype(numpy.int32), t)
    with pytest.raises(InvalidType, match=r"softmax_cross_entropy: x.ndim must be >= 2, got 1"):
        F.softmax_cross_entropy(numpy.zeros(3, numpy.float32), numpy.zeros((), numpy.int32))
