import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (), (0, 2)])
def test_absolute(dtype, shape):
    x = numpy.random.default_rng(0).uniform(0.1, 1, shape)
    x = numpy.asarray(x * numpy.random.default_rng(1).choice([-1, 1], shape), dtype)
    check_function(F.absolute, (x,), lambda x: numpy.abs(x))


def test_absolute_matches_abs_operator():
    x = kusari.Variable(numpy.array([-2.0, 0.0, 3.0], "f"))
    y = F.absolute(x)
    numpy.testing.assert_array_equal(y.array, abs(x).array)
    y.grad = numpy.ones(3, "f")
    y.backward()
    numpy.testing.assert_array_equal(x.grad, [-1.0, 0.0, 1.0])


def test_absolute_rejects_int_input():
    with pytest.raises(InvalidType, match="absolute: x must be a float array.*int32"):
        F.absolute(numpy.ones(3, numpy.int32))
