import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType

SHAPES = [
    ((3, 5), (3, 5)),
    ((2, 3, 4), (2, 3, 4)),
    ((3, 1), (1, 4)),
    ((4,), (2, 3, 4)),
    ((2, 3), ()),
    ((0, 2), (0, 2)),
]


def _inputs(s1, s2, dtype, seed=0):
    """Inputs whose elements differ by at least 0.1 (no ties, so finite differences hold)."""
    rng = numpy.random.default_rng(seed)
    x1 = rng.uniform(-1, 1, s1)
    x2 = rng.uniform(-1, 1, s2)
    diff = x1 - x2
    x1 = x1 + numpy.where(numpy.abs(diff) < 0.1, numpy.sign(diff + 1e-12) * 0.2, 0.0)
    return x1.astype(dtype), x2.astype(dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("s1", "s2"), SHAPES)
@pytest.mark.parametrize(("func", "ref"), [(F.maximum, numpy.maximum),
                                           (F.minimum, numpy.minimum)])
def test_maximum_minimum(dtype, s1, s2, func, ref):
    x1, x2 = _inputs(s1, s2, dtype)
    check_function(func, (x1, x2), lambda a, b: ref(a, b))


@pytest.mark.parametrize(("func", "first"), [(F.maximum, [1, 0, 1]), (F.minimum, [0, 1, 1])])
def test_ties_send_gradient_to_x1(func, first):
    x1 = kusari.Variable(numpy.array([2.0, 1.0, 3.0], "f"))
    x2 = kusari.Variable(numpy.array([1.0, 2.0, 3.0], "f"))
    y = func(x1, x2)
    y.grad = numpy.array([10.0, 20.0, 30.0], "f")
    y.backward()
    first = numpy.array(first, "f")
    numpy.testing.assert_array_equal(x1.grad, first * y.grad)
    numpy.testing.assert_array_equal(x2.grad, (1 - first) * y.grad)


def test_gradient_of_constant_operand_is_not_computed():
    x = kusari.Variable(numpy.array([[-1.0, 2.0], [0.5, -3.0]]))
    y = F.maximum(x, numpy.zeros(2))
    gx, = kusari.grad([y], [x], [numpy.ones((2, 2))])
    numpy.testing.assert_array_equal(gx.array, [[0.0, 1.0], [1.0, 0.0]])


def test_broadcast_gradient_is_summed():
    x1 = kusari.Variable(numpy.array([[1.0], [-1.0]]))
    x2 = kusari.Variable(numpy.array([0.0, 2.0, -2.0]))
    y = F.maximum(x1, x2)
    assert y.shape == (2, 3)
    y.grad = numpy.ones((2, 3))
    y.backward()
    numpy.testing.assert_array_equal(x1.grad, [[2.0], [1.0]])
    numpy.testing.assert_array_equal(x2.grad, [1.0, 2.0, 0.0])


@pytest.mark.parametrize("func", [F.maximum, F.minimum])
def test_rejects_int_input(func):
    name = func.__name__
    with pytest.raises(InvalidType, match=f"{name}: x1 must be a float array.*int32"):
        func(numpy.ones(3, numpy.int32), numpy.ones(3, numpy.int32))


@pytest.mark.parametrize("func", [F.maximum, F.minimum])
def test_rejects_dtype_mismatch(func):
    name = func.__name__
    with pytest.raises(InvalidType, match=rf"{name}: x2.dtype \(float64\) != x1.dtype \(float32\)"):
        func(numpy.ones(3, "f"), numpy.ones(3, "d"))


@pytest.mark.parametrize("func", [F.maximum, F.minimum])
def test_rejects_shapes_that_do_not_broadcast(func):
    name = func.__name__
    with pytest.raises(InvalidType, match=rf"{name}: x1.shape \(2,\) and x2.shape \(3,\) do not "
                       "broadcast together"):
        func(numpy.ones(2, "f"), numpy.ones(3, "f"))
