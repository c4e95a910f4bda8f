import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _away_from_zero(shape, dtype, seed=0):
    x = numpy.random.default_rng(seed).uniform(-1, 1, shape)
    x[numpy.abs(x) < 0.1] = -0.5
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (0, 2)])
@pytest.mark.parametrize("slope", [0.2, 0.5, -0.1])
def test_leaky_relu(dtype, shape, slope):
    x = _away_from_zero(shape, dtype)

    def expected(x):
        return numpy.where(x >= 0, x, slope * x.astype(numpy.float64)).astype(x.dtype)

    check_function(lambda x: F.leaky_relu(x, slope=slope), (x,), expected)


def test_leaky_relu_default_slope_is_0_2():
    x = numpy.array([-1.0, 2.0], numpy.float32)
    numpy.testing.assert_allclose(F.leaky_relu(x).array, [-0.2, 2.0])


def test_leaky_relu_rejects_int_input():
    with pytest.raises(InvalidType, match="leaky_relu: x must be a float array.*int64"):
        F.leaky_relu(numpy.arange(3, dtype=numpy.int64))
