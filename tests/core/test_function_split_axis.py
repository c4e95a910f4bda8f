import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.functions.array.split_axis import SplitAxis
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _x(shape, dtype=numpy.float32, seed=0):
    return numpy.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("shape", "ios", "axis"),
    [
        ((2, 6), 3, 1),
        ((6, 2), 2, 0),
        ((2, 3, 4), [1, 3], -1),
        ((5, 3), [2], 0),
        ((5, 3), numpy.array([1, 4]), 0),
        ((5, 3), [0, 2, 2, 5], 0),
        ((2, 7), [-3], 1),
        ((3, 4), 1, 1),
        ((3, 4), [], 0),
    ],
)
def test_split_axis(dtype, shape, ios, axis):
    x = _x(shape, dtype)
    check_function(
        lambda v: F.split_axis(v, ios, axis),
        (x,),
        lambda a: tuple(numpy.split(a, ios, axis=axis)),
    )


def test_split_axis_returns_views_as_tuple():
    x = _x((4, 2))
    ys = F.split_axis(x, 2, 0)
    assert isinstance(ys, tuple)
    assert len(ys) == 2
    assert all(numpy.shares_memory(y.array, x) for y in ys)


@pytest.mark.parametrize("force_tuple", [True, False])
def test_split_axis_force_tuple(force_tuple):
    x = _x((3, 4))
    ys = F.split_axis(x, 1, 0, force_tuple=force_tuple)
    if force_tuple:
        assert isinstance(ys, tuple)
        assert len(ys) == 1
        numpy.testing.assert_array_equal(ys[0].array, x)
    else:
        assert isinstance(ys, kusari.Variable)
        numpy.testing.assert_array_equal(ys.array, x)


def test_split_axis_force_tuple_false_keeps_tuple_for_many():
    ys = F.split_axis(_x((4, 2)), 2, 0, force_tuple=False)
    assert isinstance(ys, tuple)


def test_split_axis_unused_outputs_get_zero_gradient():
    x = kusari.Variable(_x((2, 6)))
    _, y1, _ = F.split_axis(x, [1, 4], 1)
    gy = numpy.arange(6, dtype=numpy.float32).reshape(2, 3)
    y1.grad = gy
    y1.backward()
    expected = numpy.zeros((2, 6), numpy.float32)
    expected[:, 1:4] = gy
    numpy.testing.assert_array_equal(x.grad, expected)


def test_split_axis_unused_outputs_double_backward():
    x = kusari.Variable(_x((5, 2), numpy.float64))
    _, y1 = F.split_axis(x, [2], 0)
    gx, = kusari.grad([y1 * y1], [x], [kusari.Variable(numpy.ones((3, 2)))],
                      enable_double_backprop=True)
    expected = numpy.zeros((5, 2))
    expected[2:] = 2 * x.array[2:]
    numpy.testing.assert_allclose(gx.array, expected)
    ggx, = kusari.grad([gx], [x], [kusari.Variable(numpy.ones((5, 2)))])
    expected_gg = numpy.zeros((5, 2))
    expected_gg[2:] = 2
    numpy.testing.assert_allclose(ggx.array, expected_gg)


def test_split_axis_not_divisible():
    with pytest.raises(InvalidType, match=r"split_axis: x.shape\[1\] \(5\) is not divisible "
                       "into 2 sections"):
        F.split_axis(_x((2, 5)), 2, 1)


def test_split_axis_nonpositive_sections():
    with pytest.raises(ValueError, match="split_axis: the number of sections must be positive, "
                       "got 0"):
        F.split_axis(_x((2, 4)), 0, 1)


def test_split_axis_unsorted_indices():
    with pytest.raises(ValueError, match=r"split_axis: indices must be sorted, got \[3, 1\]"):
        F.split_axis(_x((2, 5)), [3, 1], 1)


@pytest.mark.parametrize("bad", [[1.5], 2.0, "ab"])
def test_split_axis_bad_indices_type(bad):
    with pytest.raises(TypeError, match="split_axis: indices_or_sections must be an int or a "
                       "1-D sequence of ints"):
        F.split_axis(_x((2, 5)), bad, 1)


def test_split_axis_axis_out_of_range():
    with pytest.raises(InvalidType, match=r"split_axis: axis 2 is out of range for x.ndim 2"):
        F.split_axis(_x((2, 4)), 2, 2)


def test_split_axis_axis_not_int():
    with pytest.raises(TypeError, match="split_axis: axis must be an int, got float"):
        F.split_axis(_x((2, 4)), 2, 1.0)


def test_split_axis_node_index_beyond_axis():
    with pytest.raises(InvalidType, match=r"split_axis: index 7 is beyond x.shape\[0\] \(2\)"):
        SplitAxis([7], 0).apply((_x((2, 4)),))
