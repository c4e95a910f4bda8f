import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _away_from_zero(shape, dtype, seed=0):
    x = numpy.random.default_rng(seed).uniform(-1, 1, shape)
    x[numpy.abs(x) < 0.1] = 0.5
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (0, 3)])
def test_relu(dtype, shape):
    x = _away_from_zero(shape, dtype)
    check_function(F.relu, (x,), lambda x: numpy.maximum(x, 0).astype(x.dtype))


def test_relu_backward_is_one_node():
    x = kusari.Variable(_away_from_zero((3, 4), numpy.float32))
    y = F.relu(x)
    gx, = kusari.grad([y], [x], [kusari.Variable(numpy.ones((3, 4), numpy.float32))],
                      enable_double_backprop=True)
    assert type(gx.creator_node).__name__ == "ReLUGrad2"
    assert gx.creator_node.inputs[0].creator_node is None
    numpy.testing.assert_array_equal(gx.array, (x.array > 0).astype(numpy.float32))


def test_relu_rejects_int_input():
    with pytest.raises(InvalidType, match="relu: x must be a float array.*int32"):
        F.relu(numpy.arange(3, dtype=numpy.int32))
