import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (0, 2)])
def test_square(dtype, shape):
    x = numpy.random.default_rng(0).uniform(-2, 2, shape).astype(dtype)
    check_function(F.square, (x,), lambda x: (x.astype(numpy.float64) ** 2).astype(x.dtype))


def test_square_rejects_int_input():
    with pytest.raises(InvalidType, match="square: x must be a float array.*int32"):
        F.square(numpy.ones(3, numpy.int32))
