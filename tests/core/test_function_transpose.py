import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("shape", "axes"),
    [
        ((2, 3), None),
        ((2, 3), (1, 0)),
        ((2, 3, 4), None),
        ((2, 3, 4), (1, 2, 0)),
        ((2, 3, 4), (-1, 0, -2)),
        ((2, 3, 4), [0, 1, 2]),
        ((5,), None),
        ((2, 0, 3), (2, 0, 1)),
    ],
)
def test_transpose(dtype, shape, axes):
    x = numpy.random.default_rng(0).uniform(-1, 1, shape).astype(dtype)
    check_function(
        lambda v: F.transpose(v, axes), (x,), lambda a: numpy.transpose(a, axes)
    )


def test_transpose_gradient_uses_inverse_permutation():
    x = kusari.Variable(numpy.zeros((2, 3, 4), numpy.float32))
    y = F.transpose(x, (1, 2, 0))
    gy = numpy.arange(24, dtype=numpy.float32).reshape(3, 4, 2)
    y.grad = gy
    y.backward()
    numpy.testing.assert_array_equal(x.grad, numpy.transpose(gy, (2, 0, 1)))


@pytest.mark.parametrize("args", [(), (None,), ((1, 2, 0),), (1, 2, 0), ([1, 2, 0],)])
def test_variable_transpose_method(args):
    a = numpy.arange(24, dtype=numpy.float32).reshape(2, 3, 4)
    y = kusari.Variable(a).transpose(*args)
    axes = None if not args or args[0] is None else (1, 2, 0)
    numpy.testing.assert_array_equal(y.array, numpy.transpose(a, axes))


def test_variable_T():
    a = numpy.arange(6, dtype=numpy.float32).reshape(2, 3)
    numpy.testing.assert_array_equal(kusari.Variable(a).T.array, a.T)


@pytest.mark.parametrize("axes", [(0, 0, 1), (0, 1), (0, 1, 2, 3), (0, 1, 5), (0, 1, -5)])
def test_transpose_bad_axes(axes):
    with pytest.raises(InvalidType, match=r"transpose: axes .* is not a permutation of the 3 "
                       r"axes of x \(shape \(2, 3, 4\)\)"):
        F.transpose(numpy.zeros((2, 3, 4), "f"), axes)
