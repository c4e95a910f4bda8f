import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (), (0, 2)])
def test_arctanh(dtype, shape):
    x = numpy.asarray(numpy.random.default_rng(0).uniform(-0.9, 0.9, shape), dtype)
    check_function(F.arctanh, (x,),
                   lambda x: numpy.asarray(numpy.arctanh(x.astype(numpy.float64)), x.dtype))


def test_arctanh_inverts_tanh():
    x = numpy.linspace(-3, 3, 7)
    numpy.testing.assert_allclose(F.arctanh(numpy.tanh(x)).array, x, rtol=1e-12)


def test_arctanh_rejects_int_input():
    with pytest.raises(InvalidType, match="arctanh: x must be a float array.*int32"):
        F.arctanh(numpy.zeros(3, numpy.int32))
