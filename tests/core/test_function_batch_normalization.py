import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType

_TOL16 = {"atol": 1e-1, "rtol": 1e-1}


def _uniform(shape, dtype, seed, low=-1.0, high=1.0):
    return numpy.random.default_rng(seed).uniform(low, high, shape).astype(dtype)


def _axes(x_ndim, gamma_ndim, axis):
    if axis is None:
        return (0,) + tuple(range(gamma_ndim + 1, x_ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _expand(p, x_ndim, axes):
    shape = [1] * x_ndim
    kept = [i for i in range(x_ndim) if i not in axes]
    for i, s in zip(kept, p.shape, strict=True):
        shape[i] = s
    return p.astype(numpy.float64).reshape(shape)


def _bn_ref(x, gamma, beta, eps=2e-5, axis=None):
    axes = _axes(x.ndim, gamma.ndim, axis)
    x64 = x.astype(numpy.float64)
    mean = x64.mean(axis=axes, keepdims=True)
    var = x64.var(axis=axes, keepdims=True)
    g, b = _expand(gamma, x.ndim, axes), _expand(beta, x.ndim, axes)
    return (g * (x64 - mean) / numpy.sqrt(var + eps) + b).astype(x.dtype)


def _fixed_bn_ref(x, gamma, beta, mean, var, eps=2e-5, axis=None):
    axes = _axes(x.ndim, gamma.ndim, axis)
    g, b, m, v = (_expand(a, x.ndim, axes) for a in (gamma, beta, mean, var))
    return (g * (x.astype(numpy.float64) - m) / numpy.sqrt(v + eps) + b).astype(x.dtype)


_CASES = [
    # x shape, gamma shape, axis
    ((5, 3), (3,), None),
    ((3, 2, 3, 2), (2,), None),
    ((2, 3, 4), (3,), None),
    ((3, 2, 3, 2), (2, 3), None),
    ((3, 4, 2), (2,), (0, 1)),
    ((4, 3), (4,), 1),
]


def _tols(dtype):
    if dtype == numpy.float16:
        return {"forward_tol": {"atol": 2e-2, "rtol": 2e-2}, "backward_tol": _TOL16}
    return {}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("x_shape", "gamma_shape", "axis"), _CASES)
def test_batch_normalization(dtype, x_shape, gamma_shape, axis):
    x = _uniform(x_shape, dtype, 0)
    gamma = _uniform(gamma_shape, dtype, 1, 0.5, 1.5)
    beta = _uniform(gamma_shape, dtype, 2)
    check_function(
        lambda *a: F.batch_normalization(*a, axis=axis),
        (x, gamma, beta),
        lambda *a: _bn_ref(*a, axis=axis),
        **_tols(dtype),
    )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("x_shape", "gamma_shape", "axis"), _CASES)
def test_fixed_batch_normalization(dtype, x_shape, gamma_shape, axis):
    x = _uniform(x_shape, dtype, 0)
    gamma = _uniform(gamma_shape, dtype, 1, 0.5, 1.5)
    beta = _uniform(gamma_shape, dtype, 2)
    mean = _uniform(gamma_shape, dtype, 3)
    var = _uniform(gamma_shape, dtype, 4, 0.5, 1.5)
    check_function(
        lambda *a: F.fixed_batch_normalization(*a, axis=axis),
        (x, gamma, beta, mean, var),
        lambda *a: _fixed_bn_ref(*a, axis=axis),
        **_tols(dtype),
    )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_batch_normalization_updates_running_statistics(dtype):
    x = _uniform((4, 3, 2, 2), dtype, 0, -2, 3)
    gamma = numpy.ones(3, dtype)
    beta = numpy.zeros(3, dtype)
    running_mean = _uniform((3,), dtype, 1)
    running_var = _uniform((3,), dtype, 2, 0.5, 1.5)
    mean0, var0 = running_mean.copy(), running_var.copy()
    F.batch_normalization(x, gamma, beta, running_mean=running_mean, running_var=running_var,
                          decay=0.7)
    x64 = x.astype(numpy.float64)
    m = 4 * 2 * 2
    expected_mean = 0.7 * mean0 + 0.3 * x64.mean(axis=(0, 2, 3))
    expected_var = 0.7 * var0 + 0.3 * x64.var(axis=(0, 2, 3)) * m / (m - 1)
    tol = {"rtol": 1e-2, "atol": 1e-2} if dtype == numpy.float16 else {"rtol": 1e-5}
    assert running_mean.dtype == dtype
    numpy.testing.assert_allclose(running_mean, expected_mean, **tol)
    numpy.testing.assert_allclose(running_var, expected_var, **tol)


def test_batch_normalization_eps():
    x = _uniform((6, 2), numpy.float64, 0)
    gamma, beta = numpy.ones(2), numpy.zeros(2)
    y = F.batch_normalization(x, gamma, beta, eps=0.5)
    numpy.testing.assert_allclose(y.array, _bn_ref(x, gamma, beta, eps=0.5), rtol=1e-10)


def test_batch_normalization_grads_come_from_one_node():
    x = kusari.Variable(_uniform((4, 3), numpy.float32, 0))
    gamma = kusari.Variable(numpy.ones(3, numpy.float32))
    beta = kusari.Variable(numpy.zeros(3, numpy.float32))
    y = F.batch_normalization(x, gamma, beta)
    gy = kusari.Variable(_uniform((4, 3), numpy.float32, 1))
    gx, ggamma, gbeta = kusari.grad([y], [x, gamma, beta], [gy], enable_double_backprop=True)
    assert type(gx.creator).__name__ == "BatchNormalizationGrad"
    assert gx.creator is ggamma.creator is gbeta.creator
    numpy.testing.assert_allclose(gbeta.array, gy.array.sum(axis=0), rtol=1e-5)


def test_batch_normalization_float16_stays_float16():
    x = _uniform((8, 3), numpy.float16, 0, 100, 101)
    y = F.batch_normalization(x, numpy.ones(3, numpy.float16), numpy.zeros(3, numpy.float16))
    assert y.dtype == numpy.float16
    assert numpy.isfinite(y.array).all()


def test_batch_normalization_gamma_shape_message():
    x = numpy.zeros((2, 3, 4, 4), numpy.float32)
    gamma = numpy.ones(4, numpy.float32)
    with pytest.raises(InvalidType, match=r"batch_normalization: gamma\.shape must be \(3,\)"):
        F.batch_normalization(x, gamma, numpy.zeros(3, numpy.float32))


def test_batch_normalization_dtype_message():
    x = numpy.zeros((2, 3), numpy.float32)
    with pytest.raises(InvalidType, match=r"batch_normalization: gamma\.dtype \(float64\)"):
        F.batch_normalization(x, numpy.ones(3), numpy.zeros(3, numpy.float32))


def test_batch_normalization_bad_axis():
    x = numpy.zeros((2, 3, 4), numpy.float32)
    g = numpy.ones(3, numpy.float32)
    with pytest.raises(ValueError, match=r"batch_normalization: axis must be sorted"):
        F.batch_normalization(x, g, g, axis=(2, 0))
    with pytest.raises(ValueError, match=r"batch_normalization: axis \(0, 3\) is out of range"):
        F.batch_normalization(x, g, g, axis=(0, 3))
    with pytest.raises(TypeError, match=r"batch_normalization: axis must be None, an int"):
        F.batch_normalization(x, g, g, axis="0")


def test_fixed_batch_normalization_mean_shape_message():
    x = numpy.zeros((2, 3), numpy.float32)
    p = numpy.ones(3, numpy.float32)
    with pytest.raises(InvalidType, match=r"fixed_batch_normalization: var\.shape must be"):
        F.fixed_batch_normalization(x, p, p, p, numpy.ones(2, numpy.float32))


def test_batch_normalization_double_backward_every_element():
    # d/d(x, gamma, gy) of <(gx, ggamma, gbeta), gg> element by element, not along one direction
    rng = numpy.random.default_rng(0)
    x, gy, ggx = (rng.uniform(-1, 1, (5, 3)) for _ in range(3))
    gamma, beta, ggg, ggb = rng.uniform(0.5, 1.5, 3), *(rng.uniform(-1, 1, 3) for _ in range(3))

    def first_order(x_, gamma_, gy_):
        xs = [kusari.Variable(a) for a in (x_, gamma_, beta)]
        y = F.batch_normalization(*xs)
        gys = [kusari.Variable(gy_)]
        return xs, gys, kusari.grad([y], xs, gys, enable_double_backprop=True)

    xs, gys, grads = first_order(x, gamma, gy)
    analytic = kusari.grad(grads, [xs[0], xs[1], gys[0]],
                           [kusari.Variable(a) for a in (ggx, ggg, ggb)])

    def value(x_, gamma_, gy_):
        g = first_order(x_, gamma_, gy_)[2]
        return sum(float((gi.array * w).sum()) for gi, w in zip(g, (ggx, ggg, ggb), strict=True))

    point = [x, gamma, gy]
    for k, a in enumerate(analytic):
        numeric = numpy.zeros_like(point[k])
        for idx in numpy.ndindex(point[k].shape):
            shifted = []
            for sign in (1, -1):
                args = [p.copy() for p in point]
                args[k][idx] += sign * 1e-6
                shifted.append(value(*args))
            numeric[idx] = (shifted[0] - shifted[1]) / 2e-6
        numpy.testing.assert_allclose(a.array, numeric, atol=1e-7, rtol=1e-6)
