import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _reference(a, b):
    return numpy.asarray((a.astype(numpy.float64) - b) ** 2, a.dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (), (0, 2)])
@pytest.mark.parametrize("func", [F.squared_difference, F.squared_error])
def test_squared_difference(dtype, shape, func):
    rng = numpy.random.default_rng(0)
    a = numpy.asarray(rng.uniform(-1, 1, shape), dtype)
    b = numpy.asarray(rng.uniform(-1, 1, shape), dtype)
    check_function(func, (a, b), _reference)


@pytest.mark.parametrize("func", [F.squared_difference, F.squared_error])
def test_squared_difference_constant_operand(func):
    rng = numpy.random.default_rng(1)
    b = rng.uniform(-1, 1, (3, 4))
    check_function(lambda a: func(a, b), (rng.uniform(-1, 1, (3, 4)),),
                   lambda a: _reference(a, b))
    check_function(lambda a: func(b, a), (rng.uniform(-1, 1, (3, 4)),),
                   lambda a: _reference(b, a))


def test_squared_difference_gradient():
    a = kusari.Variable(numpy.array([1.0, 4.0]))
    b = kusari.Variable(numpy.array([3.0, 2.0]))
    y = F.squared_difference(a, b)
    y.grad = numpy.array([1.0, 10.0])
    y.backward()
    numpy.testing.assert_array_equal(a.grad, [-4.0, 40.0])
    numpy.testing.assert_array_equal(b.grad, [4.0, -40.0])


@pytest.mark.parametrize(("func", "n1", "n2"), [(F.squared_difference, "x1", "x2"),
                                                (F.squared_error, "x0", "x1")])
def test_squared_difference_bad_input(func, n1, n2):
    name = func.__name__
    with pytest.raises(InvalidType, match=rf"{name}: {n1}.shape \(\(2,\)\) != {n2}.shape "
                       r"\(\(3,\)\)"):
        func(numpy.ones(2, "f"), numpy.ones(3, "f"))
    with pytest.raises(InvalidType, match=rf"{name}: {n2}.dtype \(float64\) != {n1}.dtype"):
        func(numpy.ones(2, "f"), numpy.ones(2, "d"))
    with pytest.raises(InvalidType, match=f"{name}: {n1} must be a float array.*int32"):
        func(numpy.ones(2, "i"), numpy.ones(2, "i"))
