import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (0, 2)])
@pytest.mark.parametrize("beta", [1.0, 2.0, 0.5])
def test_softplus(dtype, shape, beta):
    x = numpy.random.default_rng(0).uniform(-2, 2, shape).astype(dtype)

    def expected(x):
        return (numpy.logaddexp(0, beta * x.astype(numpy.float64)) / beta).astype(x.dtype)

    check_function(lambda x: F.softplus(x, beta=beta), (x,), expected)


def test_softplus_large_inputs_do_not_overflow():
    with numpy.errstate(over="raise"):
        y = F.softplus(numpy.array([-1000.0, 1000.0], numpy.float32))
    numpy.testing.assert_allclose(y.array, [0.0, 1000.0])


def test_softplus_bad_input():
    with pytest.raises(ValueError, match="softplus: beta must be nonzero"):
        F.softplus(numpy.zeros(2, numpy.float32), beta=0)
    with pytest.raises(InvalidType, match="softplus: x must be a float array.*int32"):
        F.softplus(numpy.zeros(2, numpy.int32))
