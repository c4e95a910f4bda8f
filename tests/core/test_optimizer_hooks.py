import numpy
import pytest

import kusari
from kusari import optimizer_hooks, optimizers


def _link(dtype=numpy.float32, seed=0):
    rng = numpy.random.RandomState(seed)
    link = kusari.Link()
    with link.init_scope():
        link.a = kusari.Parameter(rng.uniform(-1, 1, (3, 4)).astype(dtype))
        link.b = kusari.Parameter(rng.uniform(-1, 1, (5,)).astype(dtype))
    link.a.grad = rng.uniform(-2, 2, (3, 4)).astype(dtype)
    link.b.grad = rng.uniform(-2, 2, (5,)).astype(dtype)
    return link


def _step(link, hook, lr=0.1):
    """One SGD step with ``hook``; returns the gradients the hook left, in float64."""
    opt = optimizers.SGD(lr=lr).setup(link)
    opt.add_hook(hook)
    opt.update()
    return [p.grad.astype(numpy.float64) for p in link.params()]


def test_hook_attributes():
    for hook, per_param in [
        (optimizer_hooks.WeightDecay(0.1), True),
        (optimizer_hooks.Lasso(0.1), True),
        (optimizer_hooks.GradientHardClipping(-1, 1), True),
        (optimizer_hooks.GradientClipping(1.0), False),
    ]:
        assert hook.timing == "pre"
        assert hook.name == type(hook).__name__
        assert getattr(hook, "call_for_each_param", False) is per_param


@pytest.mark.parametrize("dtype", [numpy.float16, numpy.float32, numpy.float64])
def test_weight_decay(dtype):
    link = _link(dtype)
    params = [p.array.astype(numpy.float64) for p in link.params()]
    grads = [p.grad.astype(numpy.float64) for p in link.params()]
    new_grads = _step(link, optimizer_hooks.WeightDecay(0.3))
    tol = 2e-3 if dtype == numpy.float16 else 1e-6
    for p0, g0, g, p in zip(params, grads, new_grads, link.params(), strict=True):
        numpy.testing.assert_allclose(g, g0 + 0.3 * p0, rtol=tol, atol=tol)
        numpy.testing.assert_allclose(p.array, p0 - 0.1 * (g0 + 0.3 * p0), rtol=tol, atol=tol)


def test_weight_decay_with_loss_scale():
    link = _link()
    p0 = link.a.array.copy()
    g0 = link.a.grad.copy()
    link.a.grad *= 16
    link.a._loss_scale = 16.0
    link.b._loss_scale = 16.0
    link.b.grad *= 16
    _step(link, optimizer_hooks.WeightDecay(0.3))
    numpy.testing.assert_allclose(link.a.array, p0 - 0.1 * (g0 + 0.3 * p0), rtol=1e-6, atol=1e-6)


def test_weight_decay_as_update_rule_hook():
    link = _link()
    p0, g0 = link.a.array.copy(), link.a.grad.copy()
    opt = optimizers.SGD(lr=0.1).setup(link)
    link.a.update_rule.add_hook(optimizer_hooks.WeightDecay(0.5))
    opt.update()
    numpy.testing.assert_allclose(link.a.array, p0 - 0.1 * (g0 + 0.5 * p0), rtol=1e-6)


def test_lasso():
    link = _link()
    params = [p.array.astype(numpy.float64) for p in link.params()]
    grads = [p.grad.astype(numpy.float64) for p in link.params()]
    new_grads = _step(link, optimizer_hooks.Lasso(0.2))
    for p0, g0, g in zip(params, grads, new_grads, strict=True):
        numpy.testing.assert_allclose(g, g0 + 0.2 * numpy.sign(p0), rtol=1e-6)


def test_gradient_hard_clipping():
    link = _link()
    grads = [p.grad.astype(numpy.float64) for p in link.params()]
    new_grads = _step(link, optimizer_hooks.GradientHardClipping(-0.5, 1.0))
    for g0, g in zip(grads, new_grads, strict=True):
        numpy.testing.assert_allclose(g, numpy.clip(g0, -0.5, 1.0), rtol=1e-6)


def test_gradient_hard_clipping_bad_bounds():
    with pytest.raises(ValueError, match=r"GradientHardClipping: lower_bound \(2\) > upper_bound"):
        optimizer_hooks.GradientHardClipping(2, 1)


@pytest.mark.parametrize("dtype", [numpy.float16, numpy.float32, numpy.float64])
@pytest.mark.parametrize("threshold", [0.5, 2.0, 100.0])
def test_gradient_clipping(dtype, threshold):
    link = _link(dtype)
    grads = [p.grad.astype(numpy.float64) for p in link.params()]
    norm = numpy.sqrt(sum(float((g * g).sum()) for g in grads))
    new_grads = _step(link, optimizer_hooks.GradientClipping(threshold))
    rate = min(1.0, threshold / norm)
    tol = 2e-3 if dtype == numpy.float16 else 1e-6
    for g0, g in zip(grads, new_grads, strict=True):
        numpy.testing.assert_allclose(g, g0 * rate, rtol=tol, atol=tol)
    clipped = numpy.sqrt(sum(float((g * g).sum()) for g in new_grads))
    assert clipped == pytest.approx(min(norm, threshold), rel=10 * tol)


def test_gradient_clipping_uses_the_unscaled_norm():
    link = _link()
    grads = [p.grad.astype(numpy.float64) for p in link.params()]
    norm = numpy.sqrt(sum(float((g * g).sum()) for g in grads))
    for p in link.params():
        p.grad *= 8
        p._loss_scale = 8.0
    new_grads = _step(link, optimizer_hooks.GradientClipping(norm / 2))
    for g0, g in zip(grads, new_grads, strict=True):
        # clipped by half, and the update rule divided the loss scale out in place
        numpy.testing.assert_allclose(g, g0 / 2, rtol=1e-6)


def test_gradient_clipping_zero_gradients_untouched():
    link = _link()
    for p in link.params():
        p.grad[...] = 0
    new_grads = _step(link, optimizer_hooks.GradientClipping(1.0))
    assert all((g == 0).all() for g in new_grads)
