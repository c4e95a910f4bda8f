import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("shape", "n", "axis"),
    [
        ((2, 3), 3, 0),
        ((2, 3), 2, 1),
        ((2, 3), 2, 2),
        ((2, 3), 4, -1),
        ((3,), 1, -2),
        ((0, 2), 2, 1),
    ],
)
def test_stack(dtype, shape, n, axis):
    rng = numpy.random.default_rng(0)
    xs = [rng.uniform(-1, 1, shape).astype(dtype) for _ in range(n)]
    check_function(
        lambda *vs: F.stack(vs, axis), xs, lambda *a: numpy.stack(a, axis=axis)
    )


def test_stack_0d():
    xs = [numpy.array(v, numpy.float32) for v in (0.5, -0.25, 0.75)]
    check_function(lambda *vs: F.stack(vs), xs, lambda *a: numpy.stack(a))


def test_stack_default_axis_is_0():
    xs = [numpy.full((2,), i, numpy.float32) for i in range(3)]
    assert F.stack(xs).shape == (3, 2)


def test_stack_gradients():
    a = kusari.Variable(numpy.zeros((2,), numpy.float32))
    b = kusari.Variable(numpy.zeros((2,), numpy.float32))
    y = F.stack([a, b], axis=1)
    y.grad = numpy.array([[1, 2], [3, 4]], numpy.float32)
    y.backward()
    numpy.testing.assert_array_equal(a.grad, [1, 3])
    numpy.testing.assert_array_equal(b.grad, [2, 4])


def test_stack_shape_mismatch():
    with pytest.raises(InvalidType, match=r"stack: xs\[1\].shape \(3,\) != xs\[0\].shape \(2,\)"):
        F.stack([numpy.zeros(2, "f"), numpy.zeros(3, "f")])


def test_stack_dtype_mismatch():
    with pytest.raises(InvalidType, match=r"stack: xs\[1\].dtype \(float64\) != xs\[0\].dtype "
                       r"\(float32\)"):
        F.stack([numpy.zeros(2, "f"), numpy.zeros(2, "d")])


def test_stack_axis_out_of_range():
    with pytest.raises(InvalidType, match=r"stack: axis 3 is out of range \[-3, 2\] for inputs "
                       "of ndim 2"):
        F.stack([numpy.zeros((2, 2), "f")] * 2, axis=3)


def test_stack_empty():
    with pytest.raises(InvalidType, match="stack: expected at least 1 input, got 0"):
        F.stack([])


def test_stack_single_array_is_refused():
    with pytest.raises(TypeError, match="stack: xs must be a list or tuple"):
        F.stack(kusari.Variable(numpy.zeros((2, 3), "f")))
