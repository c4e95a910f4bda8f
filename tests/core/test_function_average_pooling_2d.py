import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _uniform(shape, dtype, seed):
    return numpy.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


def _avg_pool_ref(x, ksize, stride, pad):
    """Zero padding, every window divided by kh * kw, in float64."""
    n, c, h, w = x.shape
    (kh, kw), (sy, sx), (ph, pw) = ksize, stride, pad
    out_h = (h + 2 * ph - kh) // sy + 1
    out_w = (w + 2 * pw - kw) // sx + 1
    xp = numpy.pad(x.astype(numpy.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = numpy.empty((n, c, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            y[:, :, i, j] = xp[:, :, i * sy:i * sy + kh, j * sx:j * sx + kw].sum(axis=(2, 3))
    return (y / (kh * kw)).astype(x.dtype)


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


_CASES = [
    # x shape, ksize, stride, pad
    ((2, 3, 5, 4), 2, None, 0),
    ((1, 2, 5, 6), (3, 2), (2, 1), (1, 0)),
    ((2, 1, 4, 4), 3, 1, 1),
    ((1, 2, 3, 3), 1, 1, 0),
    ((0, 2, 4, 4), 2, 2, 0),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("x_shape", "ksize", "stride", "pad"), _CASES)
def test_average_pooling_2d(dtype, x_shape, ksize, stride, pad):
    x = _uniform(x_shape, dtype, 0)
    k = _pair(ksize)
    ref_args = (k, k if stride is None else _pair(stride), _pair(pad))
    check_function(
        lambda v: F.average_pooling_2d(v, ksize, stride, pad),
        (x,),
        lambda a: _avg_pool_ref(a, *ref_args),
    )


def test_average_pooling_2d_padding_counts_as_zero():
    x = numpy.ones((1, 1, 2, 2), numpy.float32)
    y = F.average_pooling_2d(x, 2, stride=2, pad=1)
    numpy.testing.assert_allclose(y.array, numpy.full((1, 1, 2, 2), 0.25))


def test_average_pooling_2d_gradient_spreads_evenly():
    x = kusari.Variable(numpy.zeros((1, 1, 2, 4), numpy.float32))
    y = F.average_pooling_2d(x, 2)
    y.grad = numpy.array([[[[4, 8]]]], numpy.float32)
    y.backward()
    numpy.testing.assert_array_equal(x.grad, [[[[1, 1, 2, 2], [1, 1, 2, 2]]]])


def test_average_pooling_2d_bad_input_messages():
    x = numpy.zeros((1, 1, 4, 4), numpy.float32)
    with pytest.raises(InvalidType, match=r"average_pooling_2d: x\.ndim must be 4, got 2"):
        F.average_pooling_2d(x[0, 0], 2)
    with pytest.raises(ValueError, match=r"average_pooling_2d: pad must be >= 0, got -1"):
        F.average_pooling_2d(x, 2, pad=-1)
    with pytest.raises(InvalidType, match=r"average_pooling_2d: the output would be empty"):
        F.average_pooling_2d(x, 5)
