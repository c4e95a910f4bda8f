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
from kusari.optimizers.rmsprop import RMSpropRule
from kusari.serializers import DictionarySerializer, NpzDeserializer

SHAPE = (3, 5)


def _grads(n, dtype):
    return make_grads(n, dtype, SHAPE)


def _rmsprop_reference(p0, grads, lr=0.01, alpha=0.99, eps=1e-8, eps_inside_sqrt=False):
    """RMSprop (Tieleman & Hinton 2012) in float64."""
    p = p0.astype(numpy.float64)
    ms = numpy.zeros_like(p)
    for g in grads:
        g = g.astype(numpy.float64)
        ms = alpha * ms + (1 - alpha) * g * g
        denom = numpy.sqrt(ms + eps) if eps_inside_sqrt else numpy.sqrt(ms) + eps
        p = p - lr * g / denom
    return p, ms


OPTIONS = [
    {},
    {"lr": 0.05, "alpha": 0.9, "eps": 1e-5},
    {"lr": 0.05, "alpha": 0.9, "eps": 1e-2, "eps_inside_sqrt": True},
]


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
@pytest.mark.parametrize("options", OPTIONS)
def test_rmsprop_one_step_matches_reference(dtype, options):
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(dtype)
    grads = _grads(1, dtype)
    link = run_updates(optimizers.RMSprop(**options), p0, grads)
    p, ms = _rmsprop_reference(p0, grads, **options)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == numpy.float32 else {"rtol": 1e-13, "atol": 0}
    assert link.w.array.dtype == dtype
    numpy.testing.assert_allclose(link.w.array, p, **tol)
    numpy.testing.assert_allclose(link.w.update_rule.state["ms"], ms, **tol)


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
@pytest.mark.parametrize("options", OPTIONS)
def test_rmsprop_several_steps_match_reference(dtype, options):
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(dtype)
    grads = _grads(8, dtype)
    link = run_updates(optimizers.RMSprop(**options), p0, grads)
    p, ms = _rmsprop_reference(p0, grads, **options)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == numpy.float32 else {"rtol": 1e-12, "atol": 0}
    numpy.testing.assert_allclose(link.w.array, p, **tol)
    numpy.testing.assert_allclose(link.w.update_rule.state["ms"], ms, **tol)
    assert link.w.update_rule.t == 8


def test_rmsprop_float16_with_fp32_update_matches_reference():
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(numpy.float16)
    grads = _grads(10, numpy.float16)
    opt = optimizers.RMSprop(lr=1e-3)
    opt.use_fp32_update()
    link = run_updates(opt, p0, grads)
    p, ms = _rmsprop_reference(p0, grads, lr=1e-3)
    rule = link.w.update_rule
    assert link.w.array.dtype == numpy.float16
    assert rule.state["ms"].dtype == numpy.float32
    numpy.testing.assert_allclose(rule._fp32_param.array, p, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(rule.state["ms"], ms, rtol=1e-5, atol=1e-7)
    numpy.testing.assert_array_equal(link.w.array, rule._fp32_param.array.astype(numpy.float16))


def test_rmsprop_float16_without_fp32_update_is_close_to_reference():
    # float16 gradients are computed in float32, so the default eps (1e-8) still works
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(numpy.float16)
    grads = _grads(4, numpy.float16)
    link = run_updates(optimizers.RMSprop(lr=0.01), p0, grads)
    p, _ = _rmsprop_reference(p0, grads, lr=0.01)
    assert link.w.update_rule.state["ms"].dtype == numpy.float16
    numpy.testing.assert_allclose(link.w.array, p, rtol=0, atol=5e-3)


def test_rmsprop_defaults_and_proxies():
    opt = optimizers.RMSprop()
    assert opt.hyperparam.get_dict() == {
        "lr": 0.01,
        "alpha": 0.99,
        "eps": 1e-8,
        "eps_inside_sqrt": False,
    }
    opt.lr = 0.5
    opt.eps_inside_sqrt = True
    assert (opt.hyperparam.lr, opt.hyperparam.eps_inside_sqrt) == (0.5, True)
    rule = RMSpropRule(alpha=0.5)
    assert (rule.hyperparam.lr, rule.hyperparam.alpha) == (0.01, 0.5)


def test_rmsprop_per_parameter_hyperparameter():
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE)
    grads = _grads(3, numpy.float64)
    opt = optimizers.RMSprop(lr=0.1)
    link = make_link(p0)
    opt.setup(link)
    link.w.update_rule.hyperparam.lr = 0.02
    run_updates(opt, p0, grads, link=link)
    p, _ = _rmsprop_reference(p0, grads, lr=0.02)
    numpy.testing.assert_allclose(link.w.array, p, rtol=1e-12)


def test_rmsprop_lr_change_takes_effect():
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE)
    grads = _grads(4, numpy.float64)
    opt = optimizers.RMSprop(lr=0.1)
    link = run_updates(opt, p0, grads[:2])
    opt.lr = 0.01
    run_updates(opt, p0, grads[2:], link=link)
    p, ms = _rmsprop_reference(p0, grads[:2], lr=0.1)
    for g in grads[2:]:
        ms = 0.99 * ms + 0.01 * g * g
        p = p - 0.01 * g / (numpy.sqrt(ms) + 1e-8)
    numpy.testing.assert_allclose(link.w.array, p, rtol=1e-12)


def test_rmsprop_eps_too_small_raises():
    with pytest.raises(ValueError, match=r"RMSprop: eps \(1e-50\) is too small for float32"):
        run_updates(optimizers.RMSprop(eps=1e-50), numpy.zeros(SHAPE, "f"), _grads(1, "f"))
    link = run_updates(optimizers.RMSprop(eps=1e-50), numpy.zeros(SHAPE, "d"), _grads(1, "d"))
    assert numpy.isfinite(link.w.array).all()


def test_rmsprop_state_key_and_round_trip():
    opt = optimizers.RMSprop()
    run_updates(opt, numpy.zeros(SHAPE, "f"), _grads(3, "f"))
    saved = DictionarySerializer()
    saved.save(opt)
    assert sorted(saved.target) == ["epoch", "t", "w/ms", "w/t"]
    fresh = optimizers.RMSprop().setup(make_link(numpy.zeros(SHAPE, "f")))
    NpzDeserializer(saved.target).load(fresh)
    rule = fresh.target.w.update_rule
    assert (fresh.t, rule.t) == (3, 3)
    numpy.testing.assert_array_equal(rule.state["ms"], opt.target.w.update_rule.state["ms"])
    assert rule.state["ms"] is not saved.target["w/ms"]


@pytest.mark.parametrize("options", OPTIONS)
def test_rmsprop_resume_is_bit_identical(tmp_path, options):
    check_resume_is_bit_identical(tmp_path, lambda: optimizers.RMSprop(**options), SHAPE, ("ms",))


@pytest.mark.gpu
def test_rmsprop_on_gpu_matches_cpu():
    cupy = pytest.importorskip("cupy")
    check_gpu_matches_cpu(cupy, lambda: optimizers.RMSprop(lr=0.01), SHAPE, "ms")
