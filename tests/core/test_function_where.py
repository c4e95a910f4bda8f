import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _u(shape, dtype, rng):
    return rng.uniform(-1, 1, shape).astype(dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("c_shape", "x_shape", "y_shape"),
    [
        ((3, 4), (3, 4), (3, 4)),
        ((3, 1), (1, 4), (3, 4)),
        ((4,), (3, 4), (3, 1)),
        ((2, 3, 4), (3, 4), (1,)),
        ((0, 2), (0, 2), (0, 2)),
    ],
)
def test_where(dtype, c_shape, x_shape, y_shape):
    rng = numpy.random.default_rng(0)
    cond = rng.uniform(size=c_shape) > 0.5
    x, y = _u(x_shape, dtype, rng), _u(y_shape, dtype, rng)
    check_function(
        lambda a, b: F.where(cond, a, b), (x, y), lambda a, b: numpy.where(cond, a, b)
    )


def test_where_0d_operand():
    rng = numpy.random.default_rng(1)
    cond = rng.uniform(size=(2, 3)) > 0.5
    x, y = _u((2, 3), numpy.float64, rng), _u((), numpy.float64, rng)
    check_function(
        lambda a, b: F.where(cond, a, b), (x, y),
        lambda a, b: numpy.where(cond, a, b),
    )


def test_where_condition_variable():
    cond = kusari.Variable(numpy.array([True, False, True]))
    x = kusari.Variable(numpy.array([1, 2, 3], numpy.float32))
    y = kusari.Variable(numpy.array([4, 5, 6], numpy.float32))
    z = F.where(cond, x, y)
    numpy.testing.assert_array_equal(z.array, [1, 5, 3])
    z.grad = numpy.array([10, 20, 30], numpy.float32)
    z.backward()
    numpy.testing.assert_array_equal(x.grad, [10, 0, 30])
    numpy.testing.assert_array_equal(y.grad, [0, 20, 0])
    assert cond.grad is None


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_where_scalar_operand(dtype):
    cond = numpy.array([[True, False], [False, True]])
    x = numpy.array([[1, 2], [3, 4]], dtype)
    z = F.where(cond, x, 0.5)
    assert z.dtype == dtype
    numpy.testing.assert_array_equal(z.array, numpy.where(cond, x, dtype(0.5)))
    w = F.where(cond, -1, x)
    assert w.dtype == dtype
    numpy.testing.assert_array_equal(w.array, numpy.where(cond, dtype(-1), x))


def test_where_scalar_operand_gradient():
    cond = numpy.array([True, False, True])
    x = kusari.Variable(numpy.array([1, 2, 3], numpy.float64))
    gx, = kusari.grad([F.where(cond, x, 0.0)], [x], [numpy.ones(3)])
    numpy.testing.assert_array_equal(gx.array, [1, 0, 1])


def test_where_both_scalars():
    with pytest.raises(TypeError, match="where: x and y cannot both be scalars"):
        F.where(numpy.array([True]), 1.0, 0.0)


def test_where_condition_not_bool():
    x = numpy.zeros(3, "f")
    with pytest.raises(InvalidType, match="where: condition must be a bool array, got int64"):
        F.where(numpy.array([1, 0, 1], numpy.int64), x, x)


def test_where_dtype_mismatch():
    with pytest.raises(InvalidType, match=r"where: y.dtype \(float64\) != x.dtype \(float32\)"):
        F.where(numpy.array([True]), numpy.zeros(1, "f"), numpy.zeros(1, "d"))


def test_where_shapes_do_not_broadcast():
    with pytest.raises(InvalidType, match=r"where: condition.shape \(3,\), x.shape \(2,\) and "
                       r"y.shape \(3,\) do not broadcast together"):
        F.where(numpy.ones(3, bool), numpy.zeros(2, "f"), numpy.zeros(3, "f"))
