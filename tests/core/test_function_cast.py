import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function


def _u(shape, dtype):
    return numpy.random.default_rng(0).uniform(-1, 1, shape).astype(dtype)


@pytest.mark.parametrize(
    ("in_dtype", "out_dtype"),
    [
        (numpy.float16, numpy.float32),
        (numpy.float16, numpy.float64),
        (numpy.float32, numpy.float64),
        (numpy.float32, numpy.float32),
        (numpy.float64, numpy.float64),
    ],
)
@pytest.mark.parametrize("shape", [(3, 4), (2, 0)])
def test_cast_up(in_dtype, out_dtype, shape):
    x = _u(shape, in_dtype)
    check_function(lambda v: F.cast(v, out_dtype), (x,), lambda a: a.astype(out_dtype))


@pytest.mark.parametrize(
    ("in_dtype", "out_dtype"),
    [(numpy.float64, numpy.float16), (numpy.float32, numpy.float16), (numpy.float64, "float32")],
)
def test_cast_down(in_dtype, out_dtype):
    # a finite difference through a lower precision is noise, so check the gradient directly
    x = kusari.Variable(_u((3, 2), in_dtype))
    y = F.cast(x, out_dtype)
    assert y.dtype == numpy.dtype(out_dtype)
    numpy.testing.assert_array_equal(y.array, x.array.astype(out_dtype))
    gy = kusari.Variable(_u((3, 2), out_dtype))
    gx, = kusari.grad([y], [x], [gy], enable_double_backprop=True)
    assert gx.dtype == in_dtype
    numpy.testing.assert_array_equal(gx.array, gy.array.astype(in_dtype))
    ggx = _u((3, 2), in_dtype)
    ggy, = kusari.grad([gx], [gy], [ggx])
    assert ggy.dtype == numpy.dtype(out_dtype)
    numpy.testing.assert_array_equal(ggy.array, ggx.astype(out_dtype))


@pytest.mark.parametrize("typ", [numpy.float16, "float16", numpy.dtype("f2"), "e"])
def test_cast_type_spellings(typ):
    assert F.cast(numpy.zeros(2, "f"), typ).dtype == numpy.float16


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_cast_float_to_int_forward(dtype):
    x = numpy.array([1.7, -2.2, 3.0], dtype)
    y = F.cast(x, numpy.int32)
    assert y.dtype == numpy.int32
    numpy.testing.assert_array_equal(y.array, x.astype(numpy.int32))


def test_cast_int_input_gets_no_gradient():
    t = kusari.Variable(numpy.array([1, 2, 3], numpy.int32))
    y = F.cast(t, numpy.float32)
    gt, = kusari.grad([y], [t], [numpy.ones(3, numpy.float32)])
    assert gt is None


def test_cast_same_dtype_without_backprop_returns_input():
    x = kusari.Variable(_u((2,), numpy.float32))
    with kusari.no_backprop_mode():
        assert F.cast(x, numpy.float32) is x
    y = F.cast(x, numpy.float32)
    assert y is not x
    assert y.creator is not None


def test_cast_bad_type():
    with pytest.raises(TypeError, match="cast: typ must be a dtype or the name of one, got "
                       "'floaty'"):
        F.cast(numpy.zeros(2, "f"), "floaty")
