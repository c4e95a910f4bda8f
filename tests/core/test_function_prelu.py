import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _away_from_zero(shape, dtype, seed):
    """Uniform in [-1, 1] with |x| >= 0.1, so finite differences never cross the kink."""
    x = numpy.random.default_rng(seed).uniform(-1, 1, shape)
    x[numpy.abs(x) < 0.1] = 0.5
    return x.astype(dtype)


def _prelu_ref(x, W):
    w = W.reshape((1,) + W.shape + (1,) * (x.ndim - W.ndim - 1))
    return numpy.where(x >= 0, x, x * w).astype(x.dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("x_shape", "w_shape"),
    [
        ((3, 5), ()),
        ((3, 5), (5,)),
        ((2, 3, 4), (3,)),
        ((2, 3, 4), (3, 4)),
        ((2, 3, 2, 2), (3,)),
        ((1, 2, 3, 1, 2), (2, 3)),
    ],
)
def test_prelu(dtype, x_shape, w_shape):
    x = _away_from_zero(x_shape, dtype, 0)
    W = numpy.random.default_rng(1).uniform(0.1, 0.9, w_shape).astype(dtype)
    check_function(F.prelu, (x, W), _prelu_ref)


def test_prelu_zero_size_batch():
    x = numpy.zeros((0, 3), numpy.float32)
    W = numpy.full((3,), 0.5, numpy.float32)
    y = F.prelu(x, W)
    assert y.shape == (0, 3)
    xv, Wv = kusari.Variable(x), kusari.Variable(W)
    y = F.prelu(xv, Wv)
    y.grad = numpy.zeros((0, 3), numpy.float32)
    y.backward()
    numpy.testing.assert_array_equal(Wv.grad, numpy.zeros(3, numpy.float32))


def test_prelu_chainer_example():
    x = numpy.arange(-3, 3, dtype=numpy.float32).reshape((2, 3))
    W = numpy.array([0.01, 0.1, 1], dtype=numpy.float32)
    numpy.testing.assert_allclose(F.prelu(x, W).array, [[-0.03, -0.2, -1.0], [0.0, 1.0, 2.0]])


def test_prelu_gradient_of_w_sums_negative_entries():
    x = kusari.Variable(numpy.array([[-2.0, 3.0], [-1.0, -4.0]]))
    W = kusari.Variable(numpy.array([0.5, 0.25]))
    y = F.prelu(x, W)
    y.grad = numpy.ones((2, 2))
    y.backward()
    numpy.testing.assert_array_equal(W.grad, [-3.0, -4.0])
    numpy.testing.assert_array_equal(x.grad, [[0.5, 1.0], [0.5, 0.25]])


def test_prelu_bad_input():
    x = numpy.zeros((2, 3, 4), numpy.float32)
    with pytest.raises(InvalidType, match=r"prelu: x\.shape\[1:2\] \(3,\) != W\.shape \(4,\)"):
        F.prelu(x, numpy.zeros(4, numpy.float32))
    with pytest.raises(InvalidType, match=r"prelu: x\.ndim \(3\) must be >= W\.ndim \+ 1 \(4\)"):
        F.prelu(x, numpy.zeros((3, 4, 1), numpy.float32))
    with pytest.raises(InvalidType, match=r"prelu: W\.dtype \(float64\) != x\.dtype \(float32\)"):
        F.prelu(x, numpy.zeros(3, numpy.float64))
    with pytest.raises(InvalidType, match=r"prelu: x must be a float array"):
        F.prelu(x.astype(numpy.int32), numpy.zeros(3, numpy.int32))
