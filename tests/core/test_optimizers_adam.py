import math

import numpy
import pytest

import kusari
from kusari import optimizers
from kusari.optimizers.adam import AdamRule
from kusari.serializers import DictionarySerializer, NpzDeserializer

SHAPE = (3, 5)


def _link(values):
    link = kusari.Link()
    with link.init_scope():
        link.w = kusari.Parameter(values.copy())
    return link


def _grads(n, dtype, seed=0):
    rng = numpy.random.RandomState(seed)
    return [rng.uniform(-1, 1, SHAPE).astype(dtype) for _ in range(n)]


def _adam_reference(
    p0,
    grads,
    alpha=0.001,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    eta=1.0,
    weight_decay_rate=0.0,
    amsgrad=False,
    adabound=False,
    final_lr=0.1,
    gamma=1e-3,
):
    """Adam (Kingma & Ba, Alg. 1) with AdamW, AMSGrad and AdaBound options, in float64."""
    p = p0.astype(numpy.float64)
    m = numpy.zeros_like(p)
    v = numpy.zeros_like(p)
    vhat = numpy.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        g = g.astype(numpy.float64)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        vhat = numpy.maximum(vhat, v) if amsgrad else v
        alpha_t = alpha * math.sqrt(1 - beta2**t) / (1 - beta1**t)
        step = alpha_t / (numpy.sqrt(vhat) + eps)
        if adabound:
            lower = final_lr * (1 - 1 / (gamma * t + 1))
            upper = final_lr * (1 + 1 / (gamma * t))
            step = numpy.clip(step, lower, upper)
        p = p - eta * (step * m + weight_decay_rate * p)
    return p, m, v, vhat


def _run(opt, p0, grads):
    link = _link(p0)
    opt.setup(link)
    for g in grads:
        link.w.grad = g.copy()
        opt.update()
    return link


OPTIONS = [
    {},
    {"alpha": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6},
    {"alpha": 0.01, "eta": 0.5, "weight_decay_rate": 0.1},
    {"alpha": 0.01, "amsgrad": True},
    {"alpha": 0.01, "adabound": True, "final_lr": 0.05, "gamma": 0.1},
    {"alpha": 0.01, "amsgrad": True, "adabound": True, "final_lr": 0.05, "gamma": 0.1},
]


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
@pytest.mark.parametrize("options", OPTIONS)
def test_adam_matches_reference(dtype, options):
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(dtype)
    grads = _grads(7, dtype)
    link = _run(optimizers.Adam(**options), p0, grads)
    p, m, v, vhat = _adam_reference(p0, grads, **options)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == numpy.float32 else {"rtol": 1e-12, "atol": 0}
    assert link.w.array.dtype == dtype
    numpy.testing.assert_allclose(link.w.array, p, **tol)
    state = link.w.update_rule.state
    numpy.testing.assert_allclose(state["m"], m, **tol)
    numpy.testing.assert_allclose(state["v"], v, **tol)
    assert sorted(state) == (["m", "v", "vhat"] if options.get("amsgrad") else ["m", "v"])
    if options.get("amsgrad"):
        numpy.testing.assert_allclose(state["vhat"], vhat, **tol)


def test_adam_float16_with_fp32_update_matches_reference():
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(numpy.float16)
    grads = _grads(20, numpy.float16)
    opt = optimizers.Adam(alpha=1e-3)
    opt.use_fp32_update()
    link = _run(opt, p0, grads)
    p, m, _, _ = _adam_reference(p0, grads, alpha=1e-3)
    assert link.w.array.dtype == numpy.float16
    assert link.w.update_rule.state["m"].dtype == numpy.float32
    numpy.testing.assert_allclose(link.w.update_rule._fp32_param.array, p, rtol=1e-5, atol=1e-6)
    master = link.w.update_rule._fp32_param.array
    numpy.testing.assert_array_equal(link.w.array, master.astype(numpy.float16))
    numpy.testing.assert_allclose(link.w.array, p, rtol=1e-3, atol=1e-3)
    numpy.testing.assert_allclose(link.w.update_rule.state["m"], m, rtol=1e-5, atol=1e-6)


def test_adam_float16_without_fp32_update_is_close_to_reference():
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(numpy.float16)
    grads = _grads(5, numpy.float16)
    link = _run(optimizers.Adam(alpha=0.05), p0, grads)
    p, _, _, _ = _adam_reference(p0, grads, alpha=0.05)
    assert link.w.array.dtype == numpy.float16
    numpy.testing.assert_allclose(link.w.array, p, rtol=0, atol=5e-3)


def test_alpha_t_and_lr():
    opt = optimizers.Adam(alpha=0.01, beta1=0.8, beta2=0.9)
    _run(opt, numpy.zeros(SHAPE, numpy.float32), _grads(3, numpy.float32))
    expected = 0.01 * math.sqrt(1 - 0.9**3) / (1 - 0.8**3)
    assert opt.t == 3
    assert opt.alpha_t == pytest.approx(expected)
    assert opt.lr == pytest.approx(expected)
    rule = opt.target.w.update_rule
    assert rule.alpha_t == pytest.approx(expected)
    assert rule.lr == pytest.approx(expected)


def test_alpha_t_before_first_update_raises():
    with pytest.raises(RuntimeError, match="alpha_t"):
        _ = optimizers.Adam().alpha_t
    rule = AdamRule(adabound=True)
    with pytest.raises(RuntimeError, match="AdaBound"):
        _ = rule.bounds


def test_adabound_bounds():
    opt = optimizers.AdaBound(alpha=0.01, final_lr=0.05, gamma=0.1)
    _run(opt, numpy.zeros(SHAPE, numpy.float32), _grads(4, numpy.float32))
    lower, upper = opt.target.w.update_rule.bounds
    assert lower == pytest.approx(0.05 * (1 - 1 / (0.1 * 4 + 1)))
    assert upper == pytest.approx(0.05 * (1 + 1 / (0.1 * 4)))


def test_defaults_and_variants():
    opt = optimizers.Adam()
    assert opt.hyperparam.get_dict() == {
        "alpha": 0.001,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "eta": 1.0,
        "weight_decay_rate": 0,
        "amsgrad": False,
        "adabound": False,
        "final_lr": 0.1,
        "gamma": 1e-3,
    }
    assert optimizers.AdamW(weight_decay_rate=0.1).weight_decay_rate == 0.1
    assert optimizers.AMSGrad().amsgrad is True
    ada = optimizers.AdaBound()
    assert (ada.adabound, ada.amsgrad) == (True, False)
    ams = optimizers.AMSBound()
    assert (ams.adabound, ams.amsgrad) == (True, True)


@pytest.mark.parametrize(
    "variant, options",
    [
        (optimizers.AdamW, {"alpha": 0.01, "weight_decay_rate": 0.1}),
        (optimizers.AMSGrad, {"alpha": 0.01}),
        (optimizers.AdaBound, {"alpha": 0.01, "final_lr": 0.05, "gamma": 0.1}),
        (optimizers.AMSBound, {"alpha": 0.01, "final_lr": 0.05, "gamma": 0.1}),
    ],
)
def test_variants_match_adam_with_flags(variant, options):
    p0 = numpy.random.RandomState(2).uniform(-1, 1, SHAPE).astype(numpy.float32)
    grads = _grads(5, numpy.float32)
    flags = {
        optimizers.AdamW: {},
        optimizers.AMSGrad: {"amsgrad": True},
        optimizers.AdaBound: {"adabound": True},
        optimizers.AMSBound: {"amsgrad": True, "adabound": True},
    }[variant]
    a = _run(variant(**options), p0, grads)
    b = _run(optimizers.Adam(**options, **flags), p0, grads)
    numpy.testing.assert_array_equal(a.w.array, b.w.array)


def test_eps_too_small_for_float32_raises():
    with pytest.raises(ValueError, match="eps"):
        _run(optimizers.Adam(eps=1e-50), numpy.zeros(SHAPE, numpy.float32), _grads(1, "f"))
    link = _run(optimizers.Adam(eps=1e-50), numpy.zeros(SHAPE, numpy.float64), _grads(1, "d"))
    assert numpy.isfinite(link.w.array).all()


def test_state_keys_load_from_chainer_layout():
    grads = _grads(3, numpy.float32)
    opt = optimizers.Adam(amsgrad=True)
    _run(opt, numpy.zeros(SHAPE, numpy.float32), grads)
    saved = DictionarySerializer()
    saved.save(opt)
    assert sorted(saved.target) == ["epoch", "t", "w/m", "w/t", "w/v", "w/vhat"]

    fresh = optimizers.Adam(amsgrad=True).setup(_link(numpy.zeros(SHAPE, numpy.float32)))
    NpzDeserializer(saved.target).load(fresh)
    rule = fresh.target.w.update_rule
    assert (fresh.t, rule.t) == (3, 3)
    for key in ("m", "v", "vhat"):
        numpy.testing.assert_array_equal(rule.state[key], opt.target.w.update_rule.state[key])
        assert rule.state[key] is not saved.target[f"w/{key}"]  # the rule owns its state


@pytest.mark.gpu
@pytest.mark.parametrize("options", [{}, {"amsgrad": True, "weight_decay_rate": 0.1}])
def test_adam_on_gpu_matches_cpu(options):
    cupy = pytest.importorskip("cupy")
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(numpy.float32)
    grads = _grads(4, numpy.float32)
    cpu = _run(optimizers.Adam(alpha=0.01, **options), p0, grads)
    link = _link(p0)
    opt = optimizers.Adam(alpha=0.01, **options).setup(link)
    link.to_device("@cupy:0")
    for g in grads:
        link.w.grad = cupy.asarray(g)
        opt.update()
    assert isinstance(link.w.update_rule.state["m"], cupy.ndarray)
    numpy.testing.assert_allclose(cupy.asnumpy(link.w.array), cpu.w.array, rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
def test_adam_state_follows_the_model_to_gpu():
    cupy = pytest.importorskip("cupy")
    p0 = numpy.random.RandomState(1).uniform(-1, 1, SHAPE).astype(numpy.float32)
    grads = _grads(4, numpy.float32)
    cpu = _run(optimizers.Adam(alpha=0.01), p0, grads)
    opt = optimizers.Adam(alpha=0.01)
    link = _run(opt, p0, grads[:2])
    link.to_device("@cupy:0")
    for g in grads[2:]:
        link.w.grad = cupy.asarray(g)
        opt.update()
    assert isinstance(link.w.update_rule.state["v"], cupy.ndarray)
    numpy.testing.assert_allclose(cupy.asnumpy(link.w.array), cpu.w.array, rtol=1e-5, atol=1e-6)
