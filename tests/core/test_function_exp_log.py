import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType

_SHAPES = [(3, 4), (5,), (2, 3, 1), (0, 2)]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", _SHAPES)
def test_exp(dtype, shape):
    x = numpy.random.default_rng(0).uniform(-2, 2, shape).astype(dtype)
    check_function(F.exp, (x,), numpy.exp)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", _SHAPES)
@pytest.mark.parametrize(
    ("func", "ref"), [(F.log, numpy.log), (F.log2, numpy.log2), (F.log10, numpy.log10)],
    ids=["log", "log2", "log10"],
)
def test_log(dtype, shape, func, ref):
    x = numpy.random.default_rng(0).uniform(0.5, 3, shape).astype(dtype)
    check_function(func, (x,), ref)


def test_exp_log_roundtrip():
    x = numpy.random.default_rng(0).uniform(-2, 2, (3, 4))
    numpy.testing.assert_allclose(F.log(F.exp(x)).array, x, rtol=1e-12)


@pytest.mark.parametrize(("func", "base"), [(F.log, numpy.e), (F.log2, 2.0), (F.log10, 10.0)])
def test_log_gradient(func, base):
    x = kusari.Variable(numpy.array([0.5, 1.0, 4.0]))
    gx, = kusari.grad([func(x)], [x], [numpy.ones(3)])
    numpy.testing.assert_allclose(gx.array, 1 / (x.array * numpy.log(base)))


@pytest.mark.parametrize(("func", "name"), [(F.exp, "exp"), (F.log, "log"), (F.log2, "log2"),
                                            (F.log10, "log10")])
def test_int_input_refused(func, name):
    with pytest.raises(InvalidType, match=rf"{name}: x must be a float array \(float16/32/64\), "
                       "got int32"):
        func(numpy.ones(3, numpy.int32))
