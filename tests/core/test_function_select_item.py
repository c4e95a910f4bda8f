import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("t_dtype", [numpy.int32, numpy.int64, numpy.uint8])
@pytest.mark.parametrize("shape", [(3, 5), (4, 1), (1, 7), (0, 3)])
def test_select_item(dtype, t_dtype, shape):
    rng = numpy.random.default_rng(0)
    x = rng.uniform(-1, 1, shape).astype(dtype)
    t = rng.integers(0, shape[1], shape[0]).astype(t_dtype)
    check_function(F.select_item, (x, t), lambda a, b: a[numpy.arange(len(b)), b])


def test_select_item_gradient_is_one_hot():
    x = kusari.Variable(numpy.zeros((3, 4), numpy.float32))
    t = numpy.array([3, 0, 3], numpy.int32)
    y = F.select_item(x, t)
    y.grad = numpy.array([1, 2, 3], numpy.float32)
    y.backward()
    expected = numpy.zeros((3, 4), numpy.float32)
    expected[[0, 1, 2], [3, 0, 3]] = [1, 2, 3]
    numpy.testing.assert_array_equal(x.grad, expected)


def test_select_item_t_as_variable_gets_no_gradient():
    x = kusari.Variable(numpy.ones((2, 3), numpy.float64))
    t = kusari.Variable(numpy.array([1, 2], numpy.int32))
    gx, gt = kusari.grad([F.select_item(x, t)], [x, t], [numpy.ones(2)])
    assert gt is None
    numpy.testing.assert_array_equal(gx.array, [[0, 1, 0], [0, 0, 1]])


@pytest.mark.parametrize("bad", [[0, 3], [-1, 0]])
def test_select_item_t_out_of_range(bad):
    x = numpy.zeros((2, 3), numpy.float32)
    with pytest.raises(ValueError, match=r"select_item: t must be in \[0, 3\) \(x.shape\[1\]\), "
                       r"got values in"):
        F.select_item(x, numpy.array(bad, numpy.int32))


def test_select_item_t_float():
    with pytest.raises(InvalidType, match="select_item: t must be a signed integer or unsigned "
                       "integer array, got float32"):
        F.select_item(numpy.zeros((2, 3), "f"), numpy.zeros(2, "f"))


def test_select_item_x_not_2d():
    with pytest.raises(InvalidType, match=r"select_item: x.ndim must be 2, got 3 \(shape "
                       r"\(2, 3, 1\)\)"):
        F.select_item(numpy.zeros((2, 3, 1), "f"), numpy.zeros(2, "i"))


def test_select_item_batch_mismatch():
    with pytest.raises(InvalidType, match=r"select_item: x.shape\[0\] \(2\) != t.shape\[0\] "
                       r"\(3\)"):
        F.select_item(numpy.zeros((2, 3), "f"), numpy.zeros(3, "i"))
