import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _uniform(shape, dtype, seed):
    return numpy.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


def _space2depth_ref(x, r):
    """``y[b, (i * r + j) * C + c, u, v] = x[b, c, u * r + i, v * r + j]``, element by element."""
    n, c, h, w = x.shape
    y = numpy.empty((n, c * r * r, h // r, w // r), x.dtype)
    for i in range(r):
        for j in range(r):
            for ch in range(c):
                y[:, (i * r + j) * c + ch] = x[:, ch, i::r, j::r]
    return y


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("shape", "r"),
    [((2, 3, 4, 6), 2), ((1, 2, 6, 3), 3), ((2, 1, 3, 5), 1), ((1, 2, 4, 4), 4), ((0, 2, 2, 2), 2)],
)
def test_space2depth(dtype, shape, r):
    x = _uniform(shape, dtype, 0)
    check_function(lambda v: F.space2depth(v, r), (x,), lambda a: _space2depth_ref(a, r))


def test_space2depth_chainer_example():
    X = numpy.arange(24, dtype=numpy.float32).reshape(1, 1, 4, 6)
    y = F.space2depth(X, 2)
    assert y.shape == (1, 4, 2, 3)
    numpy.testing.assert_array_equal(
        y.array[0],
        [
            [[0, 2, 4], [12, 14, 16]],
            [[1, 3, 5], [13, 15, 17]],
            [[6, 8, 10], [18, 20, 22]],
            [[7, 9, 11], [19, 21, 23]],
        ],
    )


def test_space2depth_inverts_depth2space():
    x = _uniform((2, 3, 6, 4), numpy.float32, 0)
    numpy.testing.assert_array_equal(F.depth2space(F.space2depth(x, 2), 2).array, x)


def test_space2depth_bad_input():
    x = numpy.zeros((1, 2, 4, 6), numpy.float32)
    with pytest.raises(
        InvalidType,
        match=r"space2depth: the spatial size \(4, 6\) of X must be "
        r"divisible by r \(4\)",
    ):
        F.space2depth(x, 4)
    with pytest.raises(InvalidType, match=r"space2depth: X\.ndim must be 4, got 3"):
        F.space2depth(x[0], 2)
    with pytest.raises(InvalidType, match=r"space2depth: X must be a float array"):
        F.space2depth(x.astype(numpy.int64), 2)
    with pytest.raises(ValueError, match=r"space2depth: r must be >= 1, got 0"):
        F.space2depth(x, 0)
    with pytest.raises(TypeError, match=r"space2depth: r must be an int, got float \(2\.0\)"):
        F.space2depth(x, 2.0)
