import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType

CASES = [
    ((3, 5), None), ((3, 5), 0), ((3, 5), 1), ((3, 5), -1),
    ((2, 3, 4), (0, 2)), ((2, 3, 4), (-1, 0)), ((2, 3, 4), (0, 1, 2)), ((0, 3), 0), ((0, 3), 1),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("shape", "axis"), CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum(dtype, shape, axis, keepdims):
    x = numpy.random.default_rng(0).uniform(-1, 1, shape).astype(dtype)

    def expected(x):
        y = x.astype(numpy.float64).sum(axis=axis, keepdims=keepdims)
        return numpy.asarray(y, dtype=x.dtype)

    check_function(lambda x: F.sum(x, axis=axis, keepdims=keepdims), (x,), expected)


def test_sum_default_sums_everything_to_0d():
    y = F.sum(numpy.ones((2, 3), numpy.float32))
    assert y.shape == () and y.dtype == numpy.float32 and float(y.array) == 6.0


def test_sum_gradient_is_a_writable_array():
    x = kusari.Variable(numpy.ones((2, 3), numpy.float32))
    y = F.sum(x)
    y.backward()
    x.grad *= 2
    numpy.testing.assert_array_equal(x.grad, numpy.full((2, 3), 2, numpy.float32))


def test_sum_bad_axis():
    x = numpy.zeros((2, 3), numpy.float32)
    with pytest.raises(ValueError, match="sum: axis 2 is out of range for an array of ndim 2"):
        F.sum(x, axis=2)
    with pytest.raises(ValueError, match=r"sum: duplicate value in axis \(1, -1\)"):
        F.sum(x, axis=(1, -1))
    with pytest.raises(TypeError, match="sum: axis must be None, an int or a tuple of ints"):
        F.sum(x, axis=[0])


def test_sum_rejects_int_input():
    with pytest.raises(InvalidType, match="sum: x must be a float array.*int32"):
        F.sum(numpy.zeros((2, 3), numpy.int32))
