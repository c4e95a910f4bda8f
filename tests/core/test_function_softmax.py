import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _softmax_ref(x, axis):
    x64 = x.astype(numpy.float64)
    e = numpy.exp(x64 - x64.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(x.dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("shape", "axis"), [
    ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4), 0), ((0, 4), 1),
])
def test_softmax(dtype, shape, axis):
    x = numpy.random.default_rng(0).uniform(-2, 2, shape).astype(dtype)
    check_function(lambda x: F.softmax(x, axis=axis), (x,), lambda x: _softmax_ref(x, axis))


def test_softmax_default_axis_is_1():
    x = numpy.random.default_rng(1).normal(size=(2, 3, 4)).astype(numpy.float32)
    numpy.testing.assert_allclose(F.softmax(x).array, _softmax_ref(x, 1), rtol=1e-5)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_softmax_large_inputs_are_stable(dtype):
    x = numpy.array([[1000.0, 0.0, -1000.0], [-60000.0, -60000.0, -60000.0]], dtype)
    y = F.softmax(x).array
    assert y.dtype == dtype
    numpy.testing.assert_allclose(y, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-3)


def test_softmax_bad_axis():
    x = numpy.zeros((2, 3), numpy.float32)
    with pytest.raises(InvalidType, match=r"softmax: axis 2 is out of range .*\(2, 3\)"):
        F.softmax(x, axis=2)
    with pytest.raises(TypeError, match="softmax: axis must be an int, got 1.0"):
        F.softmax(x, axis=1.0)


def test_softmax_rejects_int_input():
    with pytest.raises(InvalidType, match="softmax: x must be a float array.*int32"):
        F.softmax(numpy.zeros((2, 3), numpy.int32))
