import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("shape", "axis"),
    [
        ((1, 3, 1, 4), None),
        ((1, 3, 1, 4), 0),
        ((1, 3, 1, 4), -2),
        ((1, 3, 1, 4), (0, 2)),
        ((2, 3), None),
        ((0, 1), 1),
    ],
)
def test_squeeze(dtype, shape, axis):
    x = numpy.random.default_rng(0).uniform(-1, 1, shape).astype(dtype)
    check_function(lambda v: F.squeeze(v, axis), (x,), lambda a: numpy.squeeze(a, axis))


def test_squeeze_to_0d():
    x = numpy.array([[0.5]], numpy.float32)
    y = F.squeeze(x)
    assert y.shape == ()
    check_function(F.squeeze, (x,), lambda a: a.reshape(()))


def test_squeeze_axis_not_length_one():
    with pytest.raises(ValueError, match=r"squeeze: cannot remove axis 1 of length 3 \(x.shape "
                       r"\(1, 3\)\)"):
        F.squeeze(numpy.zeros((1, 3), "f"), axis=1)


def test_squeeze_axis_out_of_range():
    with pytest.raises(ValueError, match="squeeze: axis 2 is out of range for x.ndim 2"):
        F.squeeze(numpy.zeros((1, 3), "f"), axis=2)


def test_squeeze_axis_bad_type():
    with pytest.raises(TypeError, match="squeeze: axis must be None, an int or a tuple of ints, "
                       "got 0.0"):
        F.squeeze(numpy.zeros((1, 3), "f"), axis=0.0)
