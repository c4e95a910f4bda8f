import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (0, 2)])
def test_tanh(dtype, shape):
    x = numpy.random.default_rng(0).uniform(-2, 2, shape).astype(dtype)
    check_function(F.tanh, (x,), lambda x: numpy.tanh(x.astype(numpy.float64)).astype(x.dtype))


def test_tanh_backward_uses_tanh_grad():
    x = kusari.Variable(numpy.array([0.5, -1.0], numpy.float64))
    gx, = kusari.grad([F.tanh(x)], [x], [kusari.Variable(numpy.ones(2))],
                      enable_double_backprop=True)
    assert type(gx.creator_node).__name__ == "TanhGrad"
    numpy.testing.assert_allclose(gx.array, 1 - numpy.tanh(x.array) ** 2)


def test_tanh_rejects_int_input():
    with pytest.raises(InvalidType, match="tanh: x must be a float array.*int32"):
        F.tanh(numpy.arange(3, dtype=numpy.int32))
