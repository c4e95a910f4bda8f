import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _uniform(shape, dtype, seed):
    return numpy.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


def _depth2space_ref(x, r):
    """``y[b, c, u * r + i, v * r + j] = x[b, (i * r + j) * C + c, u, v]``, element by element."""
    n, crr, h, w = x.shape
    c = crr // (r * r)
    y = numpy.empty((n, c, h * r, w * r), x.dtype)
    for i in range(r):
        for j in range(r):
            for ch in range(c):
                y[:, ch, i::r, j::r] = x[:, (i * r + j) * c + ch]
    return y


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("shape", "r"),
    [
        ((2, 12, 2, 3), 2),
        ((1, 18, 1, 3), 3),
        ((2, 3, 3, 5), 1),
        ((1, 4, 3, 1), 2),
        ((0, 4, 2, 2), 2),
    ],
)
def test_depth2space(dtype, shape, r):
    x = _uniform(shape, dtype, 0)
    check_function(lambda v: F.depth2space(v, r), (x,), lambda a: _depth2space_ref(a, r))


def test_depth2space_chainer_example():
    X = numpy.arange(24, dtype=numpy.float32).reshape(1, 4, 2, 3)
    y = F.depth2space(X, 2)
    assert y.shape == (1, 1, 4, 6)
    numpy.testing.assert_array_equal(
        y.array[0, 0],
        [
            [0, 6, 1, 7, 2, 8],
            [12, 18, 13, 19, 14, 20],
            [3, 9, 4, 10, 5, 11],
            [15, 21, 16, 22, 17, 23],
        ],
    )


def test_depth2space_inverts_space2depth():
    x = _uniform((2, 27, 2, 3), numpy.float64, 0)
    numpy.testing.assert_array_equal(F.space2depth(F.depth2space(x, 3), 3).array, x)


def test_depth2space_bad_input():
    x = numpy.zeros((1, 6, 2, 2), numpy.float32)
    with pytest.raises(
        InvalidType,
        match=r"depth2space: X\.shape\[1\] \(6\) must be divisible by "
        r"r \* r \(2 \* 2 = 4\)",
    ):
        F.depth2space(x, 2)
    with pytest.raises(InvalidType, match=r"depth2space: X\.ndim must be 4, got 5"):
        F.depth2space(x[None], 1)
    with pytest.raises(InvalidType, match=r"depth2space: X must be a float array"):
        F.depth2space(x.astype(numpy.int32), 1)
    with pytest.raises(ValueError, match=r"depth2space: r must be >= 1, got -2"):
        F.depth2space(x, -2)
    with pytest.raises(TypeError, match=r"depth2space: r must be an int, got bool"):
        F.depth2space(x, True)
