import numpy
import pytest

import kusari
from kusari import optimizers
from kusari.optimizers.sgd import SGDRule
from kusari.serializers import DictionarySerializer

SHAPE = (4, 3)


def _link(values):
    link = kusari.Link()
    with link.init_scope():
        link.w = kusari.Parameter(values.copy())
    return link


def _grads(n, dtype, seed=0):
    rng = numpy.random.RandomState(seed)
    return [rng.uniform(-1, 1, SHAPE).astype(dtype) for _ in range(n)]


def _sgd_reference(p0, grads, lr):
    p = p0.astype(numpy.float64)
    for g in grads:
        p = p - lr * g.astype(numpy.float64)
    return p


def _run(opt, p0, grads):
    link = _link(p0)
    opt.setup(link)
    for g in grads:
        link.w.grad = g.copy()
        opt.update()
    return link


@pytest.mark.parametrize("dtype", [numpy.float16, numpy.float32, numpy.float64])
@pytest.mark.parametrize("lr", [0.01, 0.3])
def test_sgd_matches_reference(dtype, lr):
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(dtype)
    grads = _grads(5, dtype)
    link = _run(optimizers.SGD(lr=lr), p0, grads)
    expected = _sgd_reference(p0, grads, lr)
    tol = {numpy.float16: 5e-3, numpy.float32: 1e-6, numpy.float64: 1e-14}[dtype]
    assert link.w.array.dtype == dtype
    numpy.testing.assert_allclose(link.w.array, expected, rtol=tol, atol=tol)


def test_sgd_default_and_proxy():
    opt = optimizers.SGD()
    assert opt.lr == 0.01
    opt.lr = 0.5
    assert opt.hyperparam.lr == 0.5


def test_sgd_float16_master_weights_keep_small_steps():
    # a step of 1e-4 is below half the float16 spacing at 1.0, so plain float16 never moves
    p0 = numpy.ones(SHAPE, numpy.float16)
    grads = [numpy.ones(SHAPE, numpy.float16)] * 100
    plain = _run(optimizers.SGD(lr=1e-4), p0, grads)
    numpy.testing.assert_array_equal(plain.w.array, p0)

    opt = optimizers.SGD(lr=1e-4)
    opt.use_fp32_update()
    master = _run(opt, p0, grads)
    assert master.w.array.dtype == numpy.float16
    numpy.testing.assert_allclose(master.w.array, 0.99, atol=1e-3)
    numpy.testing.assert_allclose(master.w.update_rule._fp32_param.array, 0.99, rtol=1e-5)


def test_sgd_lr_change_between_steps_is_seen():
    p0 = numpy.zeros(SHAPE, numpy.float32)
    g = numpy.ones(SHAPE, numpy.float32)
    opt = optimizers.SGD(lr=0.1)
    link = _run(opt, p0, [g])
    opt.lr = 0.01
    link.w.grad = g.copy()
    opt.update()
    numpy.testing.assert_allclose(link.w.array, -0.11, rtol=1e-6)


def test_sgd_rule_standalone():
    param = kusari.Parameter(numpy.ones(3, numpy.float32))
    param.grad = numpy.full(3, 2.0, numpy.float32)
    rule = SGDRule(lr=0.25)
    param.update_rule = rule
    param.update()
    numpy.testing.assert_allclose(param.array, 0.5)
    assert rule.t == 1
    assert rule.state == {}


def test_sgd_serializes_only_t():
    opt = optimizers.SGD()
    _run(opt, numpy.zeros(SHAPE, numpy.float32), _grads(2, numpy.float32))
    s = DictionarySerializer()
    s.save(opt)
    assert sorted(s.target) == ["epoch", "t", "w/t"]
    assert int(s.target["w/t"]) == 2
