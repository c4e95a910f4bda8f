import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_identity_one_input(dtype):
    x = numpy.random.default_rng(0).uniform(-1, 1, (3, 4)).astype(dtype)
    check_function(F.identity, (x,), lambda x: x.copy())


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_identity_several_inputs(dtype):
    rng = numpy.random.default_rng(0)
    a = rng.uniform(-1, 1, (2, 3)).astype(dtype)
    b = rng.uniform(-1, 1, (4,)).astype(dtype)
    check_function(F.identity, (a, b), lambda a, b: (a.copy(), b.copy()))


def test_identity_returns_variable_or_tuple_sharing_arrays():
    a = numpy.zeros(2, numpy.float32)
    b = numpy.ones(3, numpy.float32)
    y = F.identity(a)
    assert isinstance(y, kusari.Variable) and y.array is a
    ys = F.identity(a, b)
    assert isinstance(ys, tuple) and len(ys) == 2
    assert ys[0].array is a and ys[1].array is b


def test_identity_needs_an_input():
    with pytest.raises(TypeError, match="identity: expected at least one input"):
        F.identity()
