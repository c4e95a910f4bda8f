import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("shape", "axis"), [((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -1), ((2, 1, 3), 1)]
)
def test_separate(dtype, shape, axis):
    x = numpy.random.default_rng(0).uniform(-1, 1, shape).astype(dtype)
    check_function(
        lambda v: F.separate(v, axis),
        (x,),
        lambda a: tuple(numpy.moveaxis(a, axis, 0)),
    )


def test_separate_default_axis_is_0():
    x = numpy.arange(6, dtype=numpy.float32).reshape(2, 3)
    ys = F.separate(x)
    assert isinstance(ys, tuple)
    assert [y.shape for y in ys] == [(3,), (3,)]


def test_separate_of_1d_gives_0d_arrays():
    ys = F.separate(numpy.array([1, 2], numpy.float32))
    assert all(isinstance(y.array, numpy.ndarray) and y.shape == () for y in ys)
    x = numpy.array([0.5, -0.25, 0.75], numpy.float64)
    check_function(F.separate, (x,), lambda a: tuple(a[i] for i in range(3)))


def test_separate_unused_outputs_get_zero_gradient():
    x = kusari.Variable(numpy.ones((3, 2), numpy.float32))
    _, y1, _ = F.separate(x, axis=0)
    y1.grad = numpy.array([5, 6], numpy.float32)
    y1.backward()
    numpy.testing.assert_array_equal(x.grad, [[0, 0], [5, 6], [0, 0]])


def test_separate_axis_out_of_range():
    with pytest.raises(InvalidType, match=r"separate: axis 2 is out of range for x.ndim 2 \(shape "
                       r"\(3, 2\)\)"):
        F.separate(numpy.zeros((3, 2), "f"), axis=2)


def test_separate_0d_input():
    with pytest.raises(InvalidType, match="separate: axis 0 is out of range for x.ndim 0"):
        F.separate(numpy.zeros((), "f"))
