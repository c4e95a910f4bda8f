import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function, tolerance
from kusari.utils.type_check import InvalidType


def _inputs(shape, dtype, seed=0):
    rng = numpy.random.default_rng(seed)
    mean = numpy.asarray(rng.uniform(-1, 1, shape), dtype)
    ln_var = numpy.asarray(rng.uniform(-1, 1, shape), dtype)
    eps = numpy.asarray(rng.standard_normal(shape), dtype)
    return mean, ln_var, eps


def _reference(mean, ln_var, eps):
    y = mean.astype(numpy.float64) + numpy.exp(ln_var.astype(numpy.float64) / 2) * eps
    return numpy.asarray(y, mean.dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (), (0, 2)])
def test_gaussian_with_given_eps(dtype, shape):
    mean, ln_var, eps = _inputs(shape, dtype)
    # the gradient check runs in float64: eps must follow ln_var's dtype
    check_function(
        lambda m, v: F.gaussian(m, v, eps=eps.astype(v.dtype)), (mean, ln_var),
        lambda m, v: _reference(m, v, eps),
    )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_gaussian_draws_eps_from_numpy_random(dtype):
    mean, ln_var, _ = _inputs((4, 3), dtype)
    numpy.random.seed(3)
    y, eps = F.gaussian(mean, ln_var, return_eps=True)
    numpy.random.seed(3)
    expected_eps = numpy.random.standard_normal((4, 3)).astype(dtype)
    assert eps.dtype == dtype
    assert y.dtype == dtype
    numpy.testing.assert_array_equal(eps, expected_eps)
    numpy.testing.assert_allclose(
        y.array.astype(numpy.float64), _reference(mean, ln_var, eps).astype(numpy.float64),
        **tolerance(dtype),
    )
    y2, eps2 = F.gaussian(mean, ln_var, eps=eps, return_eps=True)
    assert eps2 is eps
    numpy.testing.assert_array_equal(y2.array, y.array)


def test_gaussian_sample_statistics():
    numpy.random.seed(0)
    n = 20000
    mean = numpy.full(n, 1.5)
    ln_var = numpy.full(n, numpy.log(4.0))
    y = F.gaussian(mean, ln_var).array
    assert abs(y.mean() - 1.5) < 0.05
    assert abs(y.std() - 2.0) < 0.05


def test_gaussian_gradients_use_the_drawn_eps():
    mean = kusari.Variable(numpy.array([0.5, -1.0]))
    ln_var = kusari.Variable(numpy.array([0.2, -0.4]))
    y, eps = F.gaussian(mean, ln_var, return_eps=True)
    y.grad = numpy.array([2.0, 3.0])
    y.backward()
    numpy.testing.assert_array_equal(mean.grad, [2.0, 3.0])
    numpy.testing.assert_allclose(ln_var.grad, y.grad * numpy.exp(ln_var.array / 2) * eps / 2)


def test_gaussian_constant_mean_double_backward():
    mean, ln_var, eps = _inputs((3, 4), numpy.float64, seed=1)
    check_function(lambda v: F.gaussian(mean, v, eps=eps), (ln_var,),
                   lambda v: _reference(mean, v, eps))


def test_gaussian_rejects_int_input():
    with pytest.raises(InvalidType, match="gaussian: mean must be a float array.*int32"):
        F.gaussian(numpy.ones(3, numpy.int32), numpy.ones(3, numpy.int32))


def test_gaussian_rejects_shape_mismatch():
    with pytest.raises(InvalidType, match=r"gaussian: mean.shape \(\(3,\)\) != ln_var.shape "
                       r"\(\(2,\)\)"):
        F.gaussian(numpy.ones(3, "f"), numpy.ones(2, "f"))


def test_gaussian_rejects_dtype_mismatch():
    with pytest.raises(InvalidType, match=r"gaussian: ln_var.dtype \(float64\) != mean.dtype"):
        F.gaussian(numpy.ones(3, "f"), numpy.ones(3, "d"))


def test_gaussian_rejects_bad_eps():
    x = numpy.ones(3, "f")
    with pytest.raises(InvalidType, match=r"gaussian: eps.shape must be \(3,\), got \(2,\)"):
        F.gaussian(x, x, eps=numpy.ones(2, "f"))
    with pytest.raises(InvalidType, match="gaussian: eps.dtype must be float32, got float64"):
        F.gaussian(x, x, eps=numpy.ones(3, "d"))
