import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (), (0, 2)])
def test_log1p(dtype, shape):
    x = numpy.asarray(numpy.random.default_rng(0).uniform(-0.5, 2, shape), dtype)
    check_function(F.log1p, (x,),
                   lambda x: numpy.asarray(numpy.log1p(x.astype(numpy.float64)), x.dtype))


def test_log1p_is_accurate_near_zero():
    x = numpy.array([1e-10, -1e-12])
    numpy.testing.assert_allclose(F.log1p(x).array, x - x * x / 2, rtol=1e-14)


def test_log1p_rejects_int_input():
    with pytest.raises(InvalidType, match="log1p: x must be a float array.*int32"):
        F.log1p(numpy.zeros(3, numpy.int32))
