import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(2, 3, 4), (5,), (3, 1), (2, 0, 3)])
def test_flatten(dtype, shape):
    x = numpy.random.default_rng(0).uniform(-1, 1, shape).astype(dtype)
    check_function(F.flatten, (x,), lambda a: a.flatten())


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_flatten_0d(dtype):
    x = numpy.array(0.5, dtype)
    check_function(F.flatten, (x,), lambda a: a.reshape(1))


def test_flatten_keeps_c_order_of_a_transposed_input():
    x = numpy.arange(6, dtype=numpy.float32).reshape(2, 3).T
    numpy.testing.assert_array_equal(F.flatten(x).array, x.flatten())


def test_flatten_gradient_has_input_shape():
    x = kusari.Variable(numpy.ones((2, 3), numpy.float32))
    y = F.flatten(x)
    y.grad = numpy.arange(6, dtype=numpy.float32)
    y.backward()
    numpy.testing.assert_array_equal(x.grad, numpy.arange(6, dtype=numpy.float32).reshape(2, 3))
