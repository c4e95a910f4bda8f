import numpy
import pytest
from _optimizer_testing import (
    check_gpu_matches_cpu,
    check_resume_is_bit_identical,
    make_grads,
    make_link,
    run_updates,
)

from kusari import optimizers
from kusari.optimizers.rmsprop_graves import RMSpropGravesRule
from kusari.serializers import DictionarySerializer, NpzDeserializer

SHAPE = (2, 3, 4)


def _grads(n, dtype):
    return make_grads(n, dtype, SHAPE)


def _graves_reference(p0, grads, lr=1e-4, alpha=0.95, momentum=0.9, eps=1e-4):
    """Graves (2013), eqs. 38-41, in float64."""
    p = p0.astype(numpy.float64)
    n = numpy.zeros_like(p)
    g_avg = numpy.zeros_like(p)
    delta = numpy.zeros_like(p)
    for g in grads:
        g = g.astype(numpy.float64)
        n = alpha * n + (1 - alpha) * g * g
        g_avg = alpha * g_avg + (1 - alpha) * g
        delta = momentum * delta - lr * g / numpy.sqrt(n - g_avg * g_avg + eps)
        p = p + delta
    return p, n, g_avg, delta


OPTIONS = [{}, {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "eps": 1e-2}]


def _check_state(link, expected, tol):
    p, n, g, delta = expected
    state = link.w.update_rule.state
    assert sorted(state) == ["delta", "g", "n"]
    numpy.testing.assert_allclose(link.w.array, p, **tol)
    numpy.testing.assert_allclose(state["n"], n, **tol)
    numpy.testing.assert_allclose(state["g"], g, **tol)
    numpy.testing.assert_allclose(state["delta"], delta, **tol)


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("steps", [1, 8])
def test_rmsprop_graves_matches_reference(dtype, options, steps):
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(dtype)
    grads = _grads(steps, dtype)
    link = run_updates(optimizers.RMSpropGraves(**options), p0, grads)
    tol = {"rtol": 1e-5, "atol": 1e-7} if dtype == numpy.float32 else {"rtol": 1e-12, "atol": 0}
    assert link.w.array.dtype == dtype
    _check_state(link, _graves_reference(p0, grads, **options), tol)


def test_rmsprop_graves_float16_with_fp32_update_matches_reference():
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(numpy.float16)
    grads = _grads(10, numpy.float16)
    opt = optimizers.RMSpropGraves(lr=1e-3)
    opt.use_fp32_update()
    link = run_updates(opt, p0, grads)
    p, n, g, delta = _graves_reference(p0, grads, lr=1e-3)
    rule = link.w.update_rule
    assert link.w.array.dtype == numpy.float16
    assert rule.state["n"].dtype == numpy.float32
    numpy.testing.assert_allclose(rule._fp32_param.array, p, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(rule.state["delta"], delta, rtol=1e-4, atol=1e-7)
    numpy.testing.assert_array_equal(link.w.array, rule._fp32_param.array.astype(numpy.float16))


def test_rmsprop_graves_float16_without_fp32_update_is_close_to_reference():
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(numpy.float16)
    grads = _grads(4, numpy.float16)
    link = run_updates(optimizers.RMSpropGraves(lr=0.01, eps=1e-2), p0, grads)
    p, _, _, _ = _graves_reference(p0, grads, lr=0.01, eps=1e-2)
    assert link.w.update_rule.state["delta"].dtype == numpy.float16
    numpy.testing.assert_allclose(link.w.array, p, rtol=0, atol=5e-3)


def test_rmsprop_graves_defaults_and_proxies():
    opt = optimizers.RMSpropGraves()
    assert opt.hyperparam.get_dict() == {
        "lr": 1e-4,
        "alpha": 0.95,
        "momentum": 0.9,
        "eps": 1e-4,
    }
    opt.momentum = 0.5
    assert opt.hyperparam.momentum == 0.5
    rule = RMSpropGravesRule(eps=0.1)
    assert (rule.hyperparam.lr, rule.hyperparam.eps) == (1e-4, 0.1)


def test_rmsprop_graves_state_keys_and_round_trip():
    opt = optimizers.RMSpropGraves()
    run_updates(opt, numpy.zeros(SHAPE, "f"), _grads(3, "f"))
    saved = DictionarySerializer()
    saved.save(opt)
    assert sorted(saved.target) == ["epoch", "t", "w/delta", "w/g", "w/n", "w/t"]
    fresh = optimizers.RMSpropGraves().setup(make_link(numpy.zeros(SHAPE, "f")))
    NpzDeserializer(saved.target).load(fresh)
    rule = fresh.target.w.update_rule
    assert (fresh.t, rule.t) == (3, 3)
    for key in ("n", "g", "delta"):
        numpy.testing.assert_array_equal(rule.state[key], opt.target.w.update_rule.state[key])


@pytest.mark.parametrize("options", OPTIONS)
def test_rmsprop_graves_resume_is_bit_identical(tmp_path, options):
    check_resume_is_bit_identical(
        tmp_path, lambda: optimizers.RMSpropGraves(**options), SHAPE, ("n", "g", "delta")
    )


@pytest.mark.gpu
def test_rmsprop_graves_on_gpu_matches_cpu():
    cupy = pytest.importorskip("cupy")
    check_gpu_matches_cpu(cupy, lambda: optimizers.RMSpropGraves(lr=0.01), SHAPE, "n")
