import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _mse_ref(x0, x1):
    d = x0.astype(numpy.float64) - x1.astype(numpy.float64)
    return numpy.asarray((d * d).mean(), dtype=x0.dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (7,)])
def test_mean_squared_error(dtype, shape):
    rng = numpy.random.default_rng(0)
    x0 = rng.uniform(-1, 1, shape).astype(dtype)
    x1 = rng.uniform(-1, 1, shape).astype(dtype)
    check_function(F.mean_squared_error, (x0, x1), _mse_ref)


def test_mean_squared_error_returns_0d_of_input_dtype():
    y = F.mean_squared_error(numpy.ones((2, 3), numpy.float16), numpy.zeros((2, 3), numpy.float16))
    assert y.shape == () and y.dtype == numpy.float16 and float(y.array) == 1.0


def test_mean_squared_error_bad_input():
    a = numpy.zeros((2, 3), numpy.float32)
    with pytest.raises(InvalidType, match=r"mean_squared_error: x0.shape \(2, 3\) != x1.shape"):
        F.mean_squared_error(a, numpy.zeros((3, 2), numpy.float32))
    with pytest.raises(InvalidType, match=r"mean_squared_error: x1.dtype \(float64\) != x0.dtype"):
        F.mean_squared_error(a, numpy.zeros((2, 3)))
    with pytest.raises(InvalidType, match="mean_squared_error: x0 must be a float array.*int32"):
        F.mean_squared_error(a.astype(numpy.int32), a.astype(numpy.int32))
