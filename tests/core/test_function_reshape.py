import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("in_shape", "out_shape"),
    [
        ((2, 3), (3, 2)),
        ((2, 3, 4), (6, 4)),
        ((2, 3, 4), (-1,)),
        ((2, 3, 4), (4, -1, 2)),
        ((6,), (1, 6, 1)),
        ((2, 0), (0, 5)),
        ((3, 5), 15),
    ],
)
def test_reshape(dtype, in_shape, out_shape):
    x = numpy.random.default_rng(0).uniform(-1, 1, in_shape).astype(dtype)
    check_function(
        lambda v: F.reshape(v, out_shape), (x,), lambda a: a.reshape(out_shape)
    )


def test_reshape_to_0d():
    x = numpy.array([[0.5]], numpy.float32)
    y = F.reshape(x, ())
    assert y.shape == ()
    check_function(lambda v: F.reshape(v, ()), (x,), lambda a: a.reshape(()))


def test_reshape_same_shape_returns_input():
    x = kusari.Variable(numpy.zeros((2, 3), numpy.float32))
    assert F.reshape(x, (2, 3)) is x
    a = numpy.zeros((2, 3), numpy.float32)
    y = F.reshape(a, [2, 3])
    assert isinstance(y, kusari.Variable)
    assert y.array is a


def test_reshape_is_a_view():
    x = numpy.arange(6, dtype=numpy.float32)
    assert numpy.shares_memory(F.reshape(x, (2, 3)).array, x)


def test_reshape_gradient_shape():
    x = kusari.Variable(numpy.zeros((2, 3), numpy.float32))
    y = F.reshape(x, (3, 2))
    y.grad = numpy.arange(6, dtype=numpy.float32).reshape(3, 2)
    y.backward()
    numpy.testing.assert_array_equal(x.grad, numpy.arange(6, dtype=numpy.float32).reshape(2, 3))


@pytest.mark.parametrize("args", [((2, 3),), (2, 3), ([2, 3],)])
def test_variable_reshape_method(args):
    x = kusari.Variable(numpy.arange(6, dtype=numpy.float32))
    y = x.reshape(*args)
    assert y.shape == (2, 3)
    numpy.testing.assert_array_equal(y.array, numpy.arange(6).reshape(2, 3))


@pytest.mark.parametrize(
    ("in_shape", "out_shape"),
    [
        ((2, 3), (4, 2)),
        ((2, 3), (-1, -1)),
        ((2, 3), (4, -1)),
        ((2, 3), (-2, -3)),
        ((2, 0), (0, -1)),
    ],
)
def test_reshape_bad_shape(in_shape, out_shape):
    size = int(numpy.prod(in_shape))
    with pytest.raises(InvalidType, match=rf"reshape: cannot reshape x of shape .* \({size} "
                       r"elements\) into"):
        F.reshape(numpy.zeros(in_shape, "f"), out_shape)
