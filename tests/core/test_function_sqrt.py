import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (0, 2)])
def test_sqrt(dtype, shape):
    x = numpy.random.default_rng(0).uniform(0.5, 2, shape).astype(dtype)
    check_function(F.sqrt, (x,), lambda x: numpy.sqrt(x.astype(numpy.float64)).astype(x.dtype))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4)])
def test_rsqrt(dtype, shape):
    x = numpy.random.default_rng(0).uniform(0.5, 2, shape).astype(dtype)
    check_function(F.rsqrt, (x,),
                   lambda x: (1 / numpy.sqrt(x.astype(numpy.float64))).astype(x.dtype))


@pytest.mark.parametrize("fname", ["sqrt", "rsqrt"])
def test_sqrt_rejects_int_input(fname):
    with pytest.raises(InvalidType, match="sqrt: x must be a float array.*int32"):
        getattr(F, fname)(numpy.ones(3, numpy.int32))
