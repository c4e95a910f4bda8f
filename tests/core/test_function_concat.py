import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _inputs(shapes, dtype, seed=0):
    rng = numpy.random.default_rng(seed)
    return [rng.uniform(-1, 1, s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("shapes", "axis"),
    [
        ([(2, 3), (2, 4)], 1),
        ([(3, 2, 4), (1, 2, 4), (2, 2, 4)], 0),
        ([(2, 3, 1), (2, 3, 2)], -1),
        ([(2, 5)], 1),
        ([(2, 0), (2, 3), (2, 1)], 1),
        ([(4,), (3,)], 0),
    ],
)
def test_concat(dtype, shapes, axis):
    xs = _inputs(shapes, dtype)
    check_function(
        lambda *vs: F.concat(vs, axis=axis), xs, lambda *a: numpy.concatenate(a, axis=axis)
    )


def test_concat_default_axis_is_1():
    a, b = _inputs([(2, 3), (2, 2)], numpy.float32)
    y = F.concat([a, b])
    assert y.shape == (2, 5)
    numpy.testing.assert_array_equal(y.array, numpy.concatenate([a, b], axis=1))


def test_concat_grads_reach_each_variable():
    a, b = (kusari.Variable(x) for x in _inputs([(2, 3), (2, 2)], numpy.float32))
    y = F.concat((a, b), axis=1)
    gy = numpy.arange(10, dtype=numpy.float32).reshape(2, 5)
    y.grad = gy
    y.backward()
    numpy.testing.assert_array_equal(a.grad, gy[:, :3])
    numpy.testing.assert_array_equal(b.grad, gy[:, 3:])


def test_concat_mixed_constant_and_variable():
    a, b = _inputs([(2, 3), (2, 2)], numpy.float64)
    vb = kusari.Variable(b)
    y = F.concat([a, vb])
    y.grad = numpy.ones_like(y.array)
    y.backward()
    numpy.testing.assert_array_equal(vb.grad, numpy.ones_like(b))


def test_concat_dtype_mismatch():
    a = numpy.zeros((2, 3), numpy.float32)
    b = numpy.zeros((2, 3), numpy.float64)
    with pytest.raises(InvalidType, match=r"concat: xs\[1\]\.dtype \(float64\) != xs\[0\]"):
        F.concat([a, b])


def test_concat_ndim_mismatch():
    with pytest.raises(InvalidType, match=r"concat: xs\[1\]\.ndim \(1\) != xs\[0\]\.ndim \(2\)"):
        F.concat([numpy.zeros((2, 3), "f"), numpy.zeros(3, "f")], axis=0)


def test_concat_shape_mismatch_outside_axis():
    with pytest.raises(InvalidType, match=r"concat: xs\[1\]\.shape \(3, 3\) and xs\[0\]\.shape "
                       r"\(2, 3\) differ outside axis 1"):
        F.concat([numpy.zeros((2, 3), "f"), numpy.zeros((3, 3), "f")], axis=1)


def test_concat_axis_out_of_range():
    with pytest.raises(InvalidType, match="concat: axis 2 is out of range for inputs of ndim 2"):
        F.concat([numpy.zeros((2, 3), "f")] * 2, axis=2)


def test_concat_empty():
    with pytest.raises(InvalidType, match="concat: expected at least 1 input, got 0"):
        F.concat([])


def test_concat_single_array_is_refused():
    with pytest.raises(TypeError, match="concat: xs must be a list or tuple.*got one ndarray"):
        F.concat(numpy.zeros((2, 3), "f"))
