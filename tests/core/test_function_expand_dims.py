import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("shape", "axis"),
    [((2, 3), 0), ((2, 3), 1), ((2, 3), 2), ((2, 3), -1), ((2, 3), -3), ((3,), -2)],
)
def test_expand_dims(dtype, shape, axis):
    x = numpy.random.default_rng(0).uniform(-1, 1, shape).astype(dtype)
    check_function(
        lambda v: F.expand_dims(v, axis), (x,), lambda a: numpy.expand_dims(a, axis)
    )


@pytest.mark.parametrize("axis", [3, -4])
def test_expand_dims_axis_out_of_range(axis):
    with pytest.raises(ValueError, match=rf"expand_dims: axis {axis} is out of range \[-3, 2\] "
                       "for x.ndim 2"):
        F.expand_dims(numpy.zeros((2, 3), "f"), axis)


def test_expand_dims_axis_not_int():
    with pytest.raises(TypeError, match="expand_dims: axis must be an int, got tuple"):
        F.expand_dims(numpy.zeros((2, 3), "f"), (0,))


@pytest.mark.parametrize("axis", [0, -1])
def test_expand_dims_0d(axis):
    x = numpy.array(0.5, numpy.float32)
    check_function(lambda v: F.expand_dims(v, axis), (x,), lambda a: a.reshape(1))
