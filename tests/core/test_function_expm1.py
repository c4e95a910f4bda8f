import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (), (0, 2)])
def test_expm1(dtype, shape):
    x = numpy.asarray(numpy.random.default_rng(0).uniform(-2, 2, shape), dtype)
    check_function(F.expm1, (x,),
                   lambda x: numpy.asarray(numpy.expm1(x.astype(numpy.float64)), x.dtype))


def test_expm1_is_accurate_near_zero():
    x = numpy.array([1e-10, -1e-12])
    numpy.testing.assert_allclose(F.expm1(x).array, x + x * x / 2, rtol=1e-14)


def test_expm1_rejects_int_input():
    with pytest.raises(InvalidType, match="expm1: x must be a float array.*int32"):
        F.expm1(numpy.zeros(3, numpy.int32))
