import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _distinct(shape, dtype, seed):
    """Distinct values, at least 2 / size apart, in random order: no ties in any window."""
    size = int(numpy.prod(shape))
    perm = numpy.random.default_rng(seed).permutation(size)
    return (perm * (2.0 / size) - 1).reshape(shape).astype(dtype)


def _outsize(size, k, s, p, cover_all):
    return (size + 2 * p - k + (s - 1 if cover_all else 0)) // s + 1


def _max_pool_ref(x, ksize, stride, pad, cover_all):
    n, c, h, w = x.shape
    (kh, kw), (sy, sx), (ph, pw) = ksize, stride, pad
    out_h = _outsize(h, kh, sy, ph, cover_all)
    out_w = _outsize(w, kw, sx, pw, cover_all)
    xp = numpy.pad(x, ((0, 0), (0, 0), (ph, ph + sy), (pw, pw + sx)),
                   constant_values=-numpy.inf)
    y = numpy.empty((n, c, out_h, out_w), x.dtype)
    idx = numpy.empty((n, c, out_h, out_w), numpy.int64)
    for i in range(out_h):
        for j in range(out_w):
            win = xp[:, :, i * sy:i * sy + kh, j * sx:j * sx + kw].reshape(n, c, -1)
            y[:, :, i, j] = win.max(axis=2)
            idx[:, :, i, j] = win.argmax(axis=2)
    return y, idx


_CASES = [
    # x shape, ksize, stride, pad, cover_all
    ((2, 3, 5, 4), 2, None, 0, True),
    ((2, 3, 5, 4), 2, None, 0, False),
    ((1, 2, 5, 6), (3, 2), (2, 1), (1, 0), True),
    ((2, 1, 4, 4), 3, 1, 1, False),
    ((1, 2, 3, 3), 1, 1, 0, True),
]


def _pairs(ksize, stride, pad):
    def pair(v):
        return tuple(v) if isinstance(v, tuple) else (v, v)

    k = pair(ksize)
    return k, k if stride is None else pair(stride), pair(pad)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("x_shape", "ksize", "stride", "pad", "cover_all"), _CASES)
def test_max_pooling_2d(dtype, x_shape, ksize, stride, pad, cover_all):
    x = _distinct(x_shape, dtype, 0)
    ref_args = _pairs(ksize, stride, pad) + (cover_all,)
    check_function(
        lambda v: F.max_pooling_2d(v, ksize, stride, pad, cover_all),
        (x,),
        lambda a: _max_pool_ref(a, *ref_args)[0],
    )


@pytest.mark.parametrize(("x_shape", "ksize", "stride", "pad", "cover_all"), _CASES)
def test_max_pooling_2d_return_indices(x_shape, ksize, stride, pad, cover_all):
    x = _distinct(x_shape, numpy.float32, 1)
    y, indexes = F.max_pooling_2d(x, ksize, stride, pad, cover_all, return_indices=True)
    y_ref, idx_ref = _max_pool_ref(x, *_pairs(ksize, stride, pad), cover_all)
    numpy.testing.assert_array_equal(y.array, y_ref)
    numpy.testing.assert_array_equal(indexes, idx_ref)


def test_max_pooling_2d_gradient_goes_to_the_maximum():
    x = kusari.Variable(numpy.array([[[[1, 5], [3, 2]]]], numpy.float32))
    y = F.max_pooling_2d(x, 2)
    y.grad = numpy.array([[[[7]]]], numpy.float32)
    y.backward()
    numpy.testing.assert_array_equal(x.grad, [[[[0, 7], [0, 0]]]])


def test_max_pooling_2d_default_stride_is_ksize():
    x = _distinct((1, 1, 4, 6), numpy.float64, 2)
    assert F.max_pooling_2d(x, 2).shape == (1, 1, 2, 3)
    assert F.max_pooling_2d(x, 2, stride=1).shape == (1, 1, 3, 5)


def test_max_pooling_2d_bad_input_messages():
    x = numpy.zeros((1, 1, 4, 4), numpy.float32)
    with pytest.raises(InvalidType, match=r"max_pooling_2d: x\.ndim must be 4, got 3"):
        F.max_pooling_2d(x[0], 2)
    with pytest.raises(InvalidType, match=r"max_pooling_2d: x must be a float array"):
        F.max_pooling_2d(x.astype(numpy.int32), 2)
    with pytest.raises(ValueError, match=r"max_pooling_2d: ksize must be >= 1, got 0"):
        F.max_pooling_2d(x, 0)
    with pytest.raises(TypeError, match=r"max_pooling_2d: stride must be an int or a pair"):
        F.max_pooling_2d(x, 2, stride=1.5)
    with pytest.raises(InvalidType, match=r"max_pooling_2d: the output would be empty"):
        F.max_pooling_2d(x, 5, cover_all=False)
