import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _away_from_zero(shape, dtype, seed=0):
    x = numpy.random.default_rng(seed).uniform(-1, 1, shape)
    x[numpy.abs(x) < 0.1] = -0.5
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (0, 2)])
@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_elu(dtype, shape, alpha):
    x = _away_from_zero(shape, dtype)

    def expected(x):
        x64 = x.astype(numpy.float64)
        return numpy.where(x64 >= 0, x64, alpha * (numpy.exp(x64) - 1)).astype(x.dtype)

    check_function(lambda x: F.elu(x, alpha=alpha), (x,), expected)


def test_elu_large_negative_input_saturates():
    y = F.elu(numpy.array([-1000.0, 1000.0], numpy.float32), alpha=2.0)
    numpy.testing.assert_allclose(y.array, [-2.0, 1000.0])


def test_elu_rejects_int_input():
    with pytest.raises(InvalidType, match="elu: x must be a float array.*int32"):
        F.elu(numpy.arange(3, dtype=numpy.int32))


def test_elu_double_backward_is_finite_for_large_inputs():
    x = kusari.Variable(numpy.array([100.0, -1.0], numpy.float32))
    ones = kusari.Variable(numpy.ones(2, numpy.float32))
    gx, = kusari.grad([F.elu(x)], [x], [ones], enable_double_backprop=True)
    ggx, = kusari.grad([gx], [x], [ones])
    numpy.testing.assert_allclose(gx.array, [1.0, numpy.exp(-1.0)], rtol=1e-6)
    numpy.testing.assert_allclose(ggx.array, [0.0, numpy.exp(-1.0)], rtol=1e-6)
