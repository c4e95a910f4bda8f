import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _u(shape, dtype, seed=0):
    return numpy.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("in_shape", "out_shape"),
    [((3,), (2, 3)), ((2, 1), (2, 4)), ((1, 3, 1), (2, 3, 4)), ((1,), (5,)), ((2, 1), (0, 2, 3))],
)
def test_broadcast_to(dtype, in_shape, out_shape):
    x = _u(in_shape, dtype)
    check_function(
        lambda v: F.broadcast_to(v, out_shape), (x,),
        lambda a: numpy.broadcast_to(a, out_shape),
    )


def test_broadcast_to_same_shape_returns_input():
    x = kusari.Variable(_u((2, 3), numpy.float32))
    assert F.broadcast_to(x, (2, 3)) is x
    a = _u((2, 3), numpy.float32)
    y = F.broadcast_to(a, (2, 3))
    assert isinstance(y, kusari.Variable)
    assert y.array is a


def test_broadcast_to_gradient_sums():
    x = kusari.Variable(numpy.zeros((2, 1), numpy.float32))
    y = F.broadcast_to(x, (3, 2, 4))
    y.grad = numpy.ones((3, 2, 4), numpy.float32)
    y.backward()
    numpy.testing.assert_array_equal(x.grad, numpy.full((2, 1), 12, numpy.float32))


@pytest.mark.parametrize(
    ("in_shape", "out_shape"), [((2,), (3,)), ((2, 3), (3,)), ((3, 2), (3, 3))]
)
def test_broadcast_to_bad_shape(in_shape, out_shape):
    with pytest.raises(InvalidType, match=rf"broadcast_to: cannot broadcast shape "
                       rf"{numpy.zeros(in_shape).shape!r} to {out_shape!r}".replace("(", r"\(")
                       .replace(")", r"\)")):
        F.broadcast_to(numpy.zeros(in_shape, "f"), out_shape)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    "shapes",
    [[(3, 1), (4,)], [(2, 3), (2, 3)], [(1, 3, 1), (2, 1, 4), (4,)], [(2, 0), (1, 1)]],
)
def test_broadcast(dtype, shapes):
    xs = [_u(s, dtype, seed=i) for i, s in enumerate(shapes)]
    check_function(
        lambda *vs: F.broadcast(*vs), xs, lambda *a: tuple(numpy.broadcast_arrays(*a))
    )


def test_broadcast_single_input_returns_variable():
    x = _u((3, 2), numpy.float32)
    y = F.broadcast(x)
    assert isinstance(y, kusari.Variable)
    numpy.testing.assert_array_equal(y.array, x)


def test_broadcast_returns_tuple():
    ys = F.broadcast(_u((3, 1), numpy.float32), _u((1, 2), numpy.float32))
    assert isinstance(ys, tuple)
    assert [y.shape for y in ys] == [(3, 2), (3, 2)]


def test_broadcast_unused_output_gets_no_gradient():
    a = kusari.Variable(numpy.ones((3, 1), numpy.float32))
    b = kusari.Variable(numpy.ones((1, 2), numpy.float32))
    ya, _ = F.broadcast(a, b)
    ya.grad = numpy.ones((3, 2), numpy.float32)
    ya.backward()
    numpy.testing.assert_array_equal(a.grad, numpy.full((3, 1), 2, numpy.float32))
    assert b.grad is None


def test_broadcast_bad_shapes():
    with pytest.raises(InvalidType, match=r"broadcast: shapes \(2, 3\), \(4,\) do not broadcast "
                       "together"):
        F.broadcast(numpy.zeros((2, 3), "f"), numpy.zeros(4, "f"))


def test_broadcast_no_input():
    with pytest.raises(InvalidType, match="broadcast: expected at least 1 input, got 0"):
        F.broadcast()
