import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType

CASES = [
    ((3, 5), None), ((3, 5), 0), ((3, 5), -1), ((2, 3, 4), (0, 2)), ((2, 3, 4), (2, 1, 0)),
    ((0, 3), 1),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("shape", "axis"), CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_mean(dtype, shape, axis, keepdims):
    x = numpy.random.default_rng(0).uniform(-1, 1, shape).astype(dtype)

    def expected(x):
        y = x.astype(numpy.float64).mean(axis=axis, keepdims=keepdims)
        return numpy.asarray(y, dtype=x.dtype)

    check_function(lambda x: F.mean(x, axis=axis, keepdims=keepdims), (x,), expected)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_mean_weights_all_axes(dtype, keepdims):
    rng = numpy.random.default_rng(0)
    x = rng.uniform(-1, 1, (3, 4)).astype(dtype)
    w = rng.uniform(0.5, 1, (3, 4)).astype(dtype)

    def expected(x, w):
        x64, w64 = x.astype(numpy.float64), w.astype(numpy.float64)
        y = (x64 * w64).sum(keepdims=keepdims) / w64.sum()
        return numpy.asarray(y, dtype=x.dtype)

    check_function(lambda x, w: F.mean(x, weights=w, keepdims=keepdims), (x, w), expected)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("axis", [1, -1])
def test_mean_weights_one_axis(dtype, axis):
    rng = numpy.random.default_rng(0)
    x = rng.uniform(-1, 1, (2, 3, 4)).astype(dtype)
    w = rng.uniform(0.5, 1, (x.shape[axis],)).astype(dtype)

    def expected(x, w):
        y = numpy.average(x.astype(numpy.float64), axis=axis, weights=w.astype(numpy.float64))
        return y.astype(x.dtype)

    check_function(lambda x, w: F.average(x, axis=axis, weights=w), (x, w), expected)


def test_mean_is_average():
    assert F.mean is F.average


def test_mean_bad_input():
    x = numpy.zeros((2, 3), numpy.float32)
    with pytest.raises(ValueError, match="mean: axis 2 is out of range"):
        F.mean(x, axis=2)
    with pytest.raises(ValueError, match=r"mean: weights need axis=None or a single axis"):
        F.mean(x, axis=(0, 1), weights=numpy.ones((2, 3), numpy.float32))
    with pytest.raises(ValueError, match=r"mean: weights.shape \(2,\) != \(x.shape\[1\],\) \(3,\)"):
        F.mean(x, axis=1, weights=numpy.ones(2, numpy.float32))
    with pytest.raises(ValueError, match=r"mean: weights.shape \(3,\) != x.shape \(2, 3\)"):
        F.mean(x, weights=numpy.ones(3, numpy.float32))
    with pytest.raises(InvalidType, match=r"mean: weights.dtype \(float64\) != x.dtype"):
        F.mean(x, weights=numpy.ones((2, 3)))
    with pytest.raises(InvalidType, match="mean: x must be a float array.*int32"):
        F.mean(numpy.zeros((2, 3), numpy.int32))
