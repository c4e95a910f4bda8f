import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (0, 2)])
def test_sigmoid(dtype, shape):
    x = numpy.random.default_rng(0).uniform(-3, 3, shape).astype(dtype)

    def expected(x):
        return (1 / (1 + numpy.exp(-x.astype(numpy.float64)))).astype(x.dtype)

    check_function(F.sigmoid, (x,), expected)


def test_sigmoid_large_inputs_do_not_overflow():
    with numpy.errstate(all="raise"):
        y = F.sigmoid(numpy.array([-1000.0, 0.0, 1000.0], numpy.float32))
    numpy.testing.assert_allclose(y.array, [0.0, 0.5, 1.0])


def test_sigmoid_backward_uses_sigmoid_grad():
    x = kusari.Variable(numpy.array([0.5, -1.0], numpy.float32))
    gx, = kusari.grad([F.sigmoid(x)], [x], [kusari.Variable(numpy.ones(2, numpy.float32))],
                      enable_double_backprop=True)
    assert type(gx.creator_node).__name__ == "SigmoidGrad"
    s = 1 / (1 + numpy.exp(-x.array))
    numpy.testing.assert_allclose(gx.array, s * (1 - s), rtol=1e-6)


def test_sigmoid_rejects_int_input():
    with pytest.raises(InvalidType, match="sigmoid: x must be a float array.*int32"):
        F.sigmoid(numpy.arange(3, dtype=numpy.int32))
