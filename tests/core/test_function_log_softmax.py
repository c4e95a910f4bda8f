import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _log_softmax_ref(x, axis):
    x64 = x.astype(numpy.float64)
    m = x64.max(axis=axis, keepdims=True)
    lse = m + numpy.log(numpy.exp(x64 - m).sum(axis=axis, keepdims=True))
    return (x64 - lse).astype(x.dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("shape", "axis"), [
    ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), 1), ((2, 3, 4), -1), ((0, 4), 1),
])
def test_log_softmax(dtype, shape, axis):
    x = numpy.random.default_rng(0).uniform(-2, 2, shape).astype(dtype)
    check_function(lambda x: F.log_softmax(x, axis=axis), (x,),
                   lambda x: _log_softmax_ref(x, axis))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_log_softmax_large_inputs_stay_finite(dtype):
    x = numpy.array([[1000.0, 0.0, -1000.0]], dtype)
    y = F.log_softmax(x).array
    assert y.dtype == dtype
    numpy.testing.assert_allclose(y.astype(numpy.float64), [[0.0, -1000.0, -2000.0]], rtol=1e-3)


def test_log_softmax_bad_axis():
    x = numpy.zeros((2, 3), numpy.float32)
    with pytest.raises(InvalidType, match=r"log_softmax: axis -3 is out of range"):
        F.log_softmax(x, axis=-3)
    with pytest.raises(TypeError, match="log_softmax: axis must be an int"):
        F.log_softmax(x, axis=(0, 1))


def test_log_softmax_rejects_int_input():
    with pytest.raises(InvalidType, match="log_softmax: x must be a float array.*int64"):
        F.log_softmax(numpy.zeros((2, 3), numpy.int64))
