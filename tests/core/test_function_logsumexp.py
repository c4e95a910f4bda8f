import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _logsumexp_reference(x, axis):
    x64 = x.astype(numpy.float64)
    m = x64.max(axis=axis, keepdims=True)
    y = numpy.log(numpy.exp(x64 - m).sum(axis=axis, keepdims=True)) + m
    if axis is None:
        y = y.reshape(())
    else:
        y = y.squeeze(axis=axis)
    return numpy.asarray(y, dtype=x.dtype)


CASES = [
    ((3, 5), None),
    ((3, 5), 1),
    ((3, 5), -2),
    ((2, 3, 4), (0, 2)),
    ((2, 3, 4), (2, 0)),
    ((2, 3, 4), -1),
    ((4,), 0),
    ((), None),
    ((0, 3), 1),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("shape", "axis"), CASES)
def test_logsumexp(dtype, shape, axis):
    x = numpy.asarray(numpy.random.default_rng(0).uniform(-2, 2, shape), dtype)
    tol = {"atol": 5e-3, "rtol": 5e-3} if dtype == numpy.float16 else None
    check_function(
        lambda x: F.logsumexp(x, axis=axis), (x,), lambda x: _logsumexp_reference(x, axis),
        forward_tol=tol,
    )


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_logsumexp_large_inputs_do_not_overflow(dtype):
    x = numpy.array([[1000.0, 1000.0, 990.0], [-1000.0, -1001.0, -1002.0]], dtype)
    y = F.logsumexp(x, axis=1)
    expected = [1000.0 + numpy.log(2.0 + numpy.exp(-10.0)),
                -1000.0 + numpy.log(1.0 + numpy.exp(-1.0) + numpy.exp(-2.0))]
    numpy.testing.assert_allclose(y.array, expected, rtol=1e-6)
    xv = kusari.Variable(x)
    gx, = kusari.grad([F.logsumexp(xv, axis=1)], [xv], [numpy.ones(2, dtype)])
    # exp(x - y) with y ~ 1000 rounded to the dtype: relative error ~ 1000 * machine epsilon
    rtol = 2e-4 if dtype == numpy.float32 else 1e-12
    numpy.testing.assert_allclose(gx.array.sum(axis=1), [1.0, 1.0], rtol=rtol)
    assert numpy.isfinite(gx.array).all()


def test_logsumexp_infinite_rows():
    x = numpy.array([[-numpy.inf, -numpy.inf], [numpy.inf, 0.0], [-numpy.inf, 0.0]])
    with numpy.errstate(divide="ignore"):
        y = F.logsumexp(x, axis=1)
    numpy.testing.assert_array_equal(y.array, [-numpy.inf, numpy.inf, 0.0])


def test_logsumexp_gradient_is_softmax():
    x = kusari.Variable(numpy.array([[0.1, 0.5, -0.3], [2.0, 1.0, 0.0]]))
    gy = numpy.array([2.0, 3.0])
    gx, = kusari.grad([F.logsumexp(x, axis=1)], [x], [gy])
    e = numpy.exp(x.array)
    numpy.testing.assert_allclose(gx.array, gy[:, None] * e / e.sum(axis=1, keepdims=True))


def test_logsumexp_rejects_int_input():
    with pytest.raises(InvalidType, match="logsumexp: x must be a float array.*int32"):
        F.logsumexp(numpy.ones(3, numpy.int32))


def test_logsumexp_rejects_empty_reduction():
    with pytest.raises(InvalidType, match=r"logsumexp: cannot reduce x of shape \(0, 3\) over a "
                       "zero-length axis"):
        F.logsumexp(numpy.ones((0, 3), "f"), axis=0)


def test_logsumexp_axis_out_of_range():
    with pytest.raises(ValueError, match="logsumexp: axis 2 is out of range for an array of "
                       "ndim 2"):
        F.logsumexp(numpy.ones((2, 3), "f"), axis=2)


def test_logsumexp_duplicate_axis():
    with pytest.raises(ValueError, match=r"logsumexp: duplicate value in axis \(0, -2\)"):
        F.logsumexp(numpy.ones((2, 3), "f"), axis=(0, -2))


def test_logsumexp_bad_axis_type():
    with pytest.raises(TypeError, match="logsumexp: axis must be None, an int or a tuple of ints"):
        F.logsumexp(numpy.ones((2, 3), "f"), axis=1.0)
