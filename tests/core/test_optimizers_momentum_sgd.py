import numpy
import pytest

import kusari
from kusari import optimizers
from kusari.serializers import DictionarySerializer, NpzDeserializer

SHAPE = (2, 3, 4)


def _link(values):
    link = kusari.Link()
    with link.init_scope():
        link.w = kusari.Parameter(values.copy())
    return link


def _grads(n, dtype, seed=0):
    rng = numpy.random.RandomState(seed)
    return [rng.uniform(-1, 1, SHAPE).astype(dtype) for _ in range(n)]


def _momentum_reference(p0, grads, lr, momentum):
    p = p0.astype(numpy.float64)
    v = numpy.zeros_like(p)
    for g in grads:
        v = momentum * v - lr * g.astype(numpy.float64)
        p = p + v
    return p, v


def _run(opt, p0, grads):
    link = _link(p0)
    opt.setup(link)
    for g in grads:
        link.w.grad = g.copy()
        opt.update()
    return link


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
@pytest.mark.parametrize("lr, momentum", [(0.01, 0.9), (0.1, 0.5), (0.05, 0.0)])
def test_momentum_sgd_matches_reference(dtype, lr, momentum):
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(dtype)
    grads = _grads(6, dtype)
    link = _run(optimizers.MomentumSGD(lr=lr, momentum=momentum), p0, grads)
    p, v = _momentum_reference(p0, grads, lr, momentum)
    tol = 1e-6 if dtype == numpy.float32 else 1e-14
    assert link.w.array.dtype == dtype
    numpy.testing.assert_allclose(link.w.array, p, rtol=tol, atol=tol)
    numpy.testing.assert_allclose(link.w.update_rule.state["v"], v, rtol=tol, atol=tol)


def test_momentum_sgd_float16_with_fp32_update():
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(numpy.float16)
    grads = _grads(10, numpy.float16)
    opt = optimizers.MomentumSGD(lr=0.01)
    opt.use_fp32_update()
    link = _run(opt, p0, grads)
    p, v = _momentum_reference(p0, grads, 0.01, 0.9)
    rule = link.w.update_rule
    assert link.w.array.dtype == numpy.float16
    assert rule.state["v"].dtype == numpy.float32
    numpy.testing.assert_allclose(rule._fp32_param.array, p, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(rule.state["v"], v, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_array_equal(link.w.array, rule._fp32_param.array.astype(numpy.float16))


def test_momentum_sgd_float16_without_fp32_update():
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(numpy.float16)
    grads = _grads(4, numpy.float16)
    link = _run(optimizers.MomentumSGD(lr=0.1), p0, grads)
    p, _ = _momentum_reference(p0, grads, 0.1, 0.9)
    assert link.w.update_rule.state["v"].dtype == numpy.float16
    numpy.testing.assert_allclose(link.w.array, p, rtol=0, atol=1e-2)


def test_momentum_sgd_defaults():
    opt = optimizers.MomentumSGD()
    assert (opt.lr, opt.momentum) == (0.01, 0.9)
    opt.momentum = 0.5
    assert opt.hyperparam.momentum == 0.5


def test_momentum_sgd_state_key_is_v():
    opt = optimizers.MomentumSGD()
    _run(opt, numpy.zeros(SHAPE, numpy.float32), _grads(2, numpy.float32))
    s = DictionarySerializer()
    s.save(opt)
    assert sorted(s.target) == ["epoch", "t", "w/t", "w/v"]
    fresh = optimizers.MomentumSGD().setup(_link(numpy.zeros(SHAPE, numpy.float32)))
    NpzDeserializer(s.target).load(fresh)
    numpy.testing.assert_array_equal(
        fresh.target.w.update_rule.state["v"], opt.target.w.update_rule.state["v"]
    )
