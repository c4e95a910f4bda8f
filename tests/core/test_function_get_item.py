import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function

_INDEXES = [
    1,
    -1,
    slice(1, 3),
    (slice(None), 2),
    (slice(None, None, -1), slice(0, 4, 2)),
    (Ellipsis, 1),
    (None, slice(None), None, 0),
    (1, None, Ellipsis),
    numpy.array([0, 2]),
    (numpy.array([2, 0, 1]), numpy.array([1, 3, 0])),
    [0, 2],
    (slice(None), [3, 0]),
    numpy.array([True, False, True]),
    (slice(None), numpy.array([True, False, False, True])),
    numpy.arange(12).reshape(3, 4) % 3 == 0,
    (numpy.array([[0], [2]]), slice(1, 3)),
    [],
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("index", _INDEXES, ids=[repr(i)[:40] for i in _INDEXES])
def test_get_item(dtype, index):
    x = numpy.random.default_rng(0).uniform(-1, 1, (3, 4)).astype(dtype)
    check_function(lambda v: F.get_item(v, index), (x,), lambda a: a[index])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_get_item_3d_mixed(dtype):
    x = numpy.random.default_rng(0).uniform(-1, 1, (2, 3, 4)).astype(dtype)
    index = (slice(None), numpy.array([2, 0]), slice(1, None))
    check_function(lambda v: F.get_item(v, index), (x,), lambda a: a[index])


@pytest.mark.parametrize(
    "index", [numpy.array([1, 1, 0, 1]), (numpy.array([0, 0, 2]), numpy.array([3, 3, 3])), [2, 2]]
)
def test_get_item_repeated_indices_accumulate(index):
    x = kusari.Variable(numpy.zeros((3, 4), numpy.float64))
    y = x[index]
    gy = numpy.random.default_rng(0).uniform(-1, 1, y.shape)
    y.grad = gy
    y.backward()
    expected = numpy.zeros((3, 4))
    numpy.add.at(expected, index, gy)
    numpy.testing.assert_allclose(x.grad, expected)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_get_item_repeated_indices_check(dtype):
    x = numpy.random.default_rng(0).uniform(-1, 1, (3, 4)).astype(dtype)
    index = numpy.array([2, 0, 2, 2])
    check_function(lambda v: v[index], (x,), lambda a: a[index])


def test_get_item_all_ints_gives_0d_array():
    x = numpy.arange(12, dtype=numpy.float32).reshape(3, 4)
    y = F.get_item(x, (1, 2))
    assert isinstance(y.array, numpy.ndarray)
    assert y.shape == ()
    assert y.array == 6
    v = kusari.Variable(x)
    gx, = kusari.grad([v[1, 2]], [v])
    expected = numpy.zeros((3, 4), numpy.float32)
    expected[1, 2] = 1
    numpy.testing.assert_array_equal(gx.array, expected)


def test_get_item_operator_matches_function():
    x = kusari.Variable(numpy.arange(12, dtype=numpy.float32).reshape(3, 4))
    numpy.testing.assert_array_equal(x[1:, ::2].array, F.get_item(x, (slice(1, None),
                                                                      slice(None, None, 2))).array)


def test_get_item_basic_slice_is_a_view():
    x = numpy.arange(12, dtype=numpy.float32).reshape(3, 4)
    assert numpy.shares_memory(F.get_item(x, (slice(None), 1)).array, x)


def test_get_item_out_of_range():
    with pytest.raises(IndexError, match=r"get_item: .*\(x.shape is \(3, 4\)\)"):
        F.get_item(numpy.zeros((3, 4), "f"), (0, 7))


def test_get_item_variable_index():
    x = kusari.Variable(numpy.zeros((3, 4), "f"))
    with pytest.raises(TypeError, match="get_item: an index must be an int, slice, array or "
                       "list, not a Variable; use its .array"):
        x[kusari.Variable(numpy.array([0, 1]))]
