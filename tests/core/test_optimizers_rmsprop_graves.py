import numpy
import pytest

import kusari
from kusari import optimizers
from kusari.optimizers.rmsprop_graves import RMSpropGravesRule
from kusari.serializers import DictionarySerializer, NpzDeserializer, load_npz, save_npz

SHAPE = (2, 3, 4)


def _link(values):
    link = kusari.Link()
    with link.init_scope():
        link.w = kusari.Parameter(values.copy())
    return link


def _grads(n, dtype, seed=0):
    rng = numpy.random.RandomState(seed)
    return [rng.uniform(-1, 1, SHAPE).astype(dtype) for _ in range(n)]


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


def _run(opt, p0, grads, link=None):
    link = _link(p0) if link is None else link
    if opt.target is None:
        opt.setup(link)
    for g in grads:
        link.w.grad = g.copy()
        opt.update()
    return link


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
    link = _run(optimizers.RMSpropGraves(**options), p0, grads)
    tol = {"rtol": 1e-5, "atol": 1e-7} if dtype == numpy.float32 else {"rtol": 1e-12, "atol": 0}
    assert link.w.array.dtype == dtype
    _check_state(link, _graves_reference(p0, grads, **options), tol)


def test_rmsprop_graves_float16_with_fp32_update_matches_reference():
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(numpy.float16)
    grads = _grads(10, numpy.float16)
    opt = optimizers.RMSpropGraves(lr=1e-3)
    opt.use_fp32_update()
    link = _run(opt, p0, grads)
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
    link = _run(optimizers.RMSpropGraves(lr=0.01, eps=1e-2), p0, grads)
    p, _, _, _ = _graves_reference(p0, grads, lr=0.01, eps=1e-2)
    assert link.w.update_rule.state["delta"].dtype == numpy.float16
    numpy.testing.assert_allclose(link.w.array, p, rtol=0, atol=5e-3)


def test_rmsprop_graves_defaults_and_proxies():
    opt = optimizers.RMSpropGraves()
    assert opt.hyperparam.get_dict() == {
        "lr": 1e-4, "alpha": 0.95, "momentum": 0.9, "eps": 1e-4,
    }
    opt.momentum = 0.5
    assert opt.hyperparam.momentum == 0.5
    rule = RMSpropGravesRule(eps=0.1)
    assert (rule.hyperparam.lr, rule.hyperparam.eps) == (1e-4, 0.1)


def test_rmsprop_graves_state_keys_and_round_trip():
    opt = optimizers.RMSpropGraves()
    _run(opt, numpy.zeros(SHAPE, "f"), _grads(3, "f"))
    saved = DictionarySerializer()
    saved.save(opt)
    assert sorted(saved.target) == ["epoch", "t", "w/delta", "w/g", "w/n", "w/t"]
    fresh = optimizers.RMSpropGraves().setup(_link(numpy.zeros(SHAPE, "f")))
    NpzDeserializer(saved.target).load(fresh)
    rule = fresh.target.w.update_rule
    assert (fresh.t, rule.t) == (3, 3)
    for key in ("n", "g", "delta"):
        numpy.testing.assert_array_equal(rule.state[key], opt.target.w.update_rule.state[key])


@pytest.mark.parametrize("options", OPTIONS)
def test_rmsprop_graves_resume_is_bit_identical(tmp_path, options):
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(numpy.float32)
    grads = _grads(6, numpy.float32)
    straight = _run(optimizers.RMSpropGraves(**options), p0, grads)

    opt = optimizers.RMSpropGraves(**options)
    first = _run(opt, p0, grads[:3])
    save_npz(str(tmp_path / "link.npz"), first)
    save_npz(str(tmp_path / "opt.npz"), opt)

    link = _link(numpy.zeros(SHAPE, numpy.float32))
    load_npz(str(tmp_path / "link.npz"), link)
    resumed_opt = optimizers.RMSpropGraves(**options).setup(link)
    load_npz(str(tmp_path / "opt.npz"), resumed_opt)
    _run(resumed_opt, p0, grads[3:], link=link)
    assert resumed_opt.t == 6
    numpy.testing.assert_array_equal(link.w.array, straight.w.array)
    for key in ("n", "g", "delta"):
        numpy.testing.assert_array_equal(
            link.w.update_rule.state[key], straight.w.update_rule.state[key]
        )


@pytest.mark.gpu
def test_rmsprop_graves_on_gpu_matches_cpu():
    cupy = pytest.importorskip("cupy")
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(numpy.float32)
    grads = _grads(4, numpy.float32)
    cpu = _run(optimizers.RMSpropGraves(lr=0.01), p0, grads)
    link = _link(p0)
    opt = optimizers.RMSpropGraves(lr=0.01).setup(link)
    link.to_device("@cupy:0")
    for g in grads:
        link.w.grad = cupy.asarray(g)
        opt.update()
    assert isinstance(link.w.update_rule.state["n"], cupy.ndarray)
    numpy.testing.assert_allclose(cupy.asnumpy(link.w.array), cpu.w.array, rtol=1e-5, atol=1e-6)
