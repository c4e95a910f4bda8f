import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _uniform(shape, dtype, seed):
    return numpy.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


def _unpool_ref(x, ksize, stride, pad, outsize, cover_all):
    """Add every pixel onto each position of its window, one pixel at a time, in float64."""
    (kh, kw), (ph, pw) = _pair(ksize), _pair(pad)
    sy, sx = (kh, kw) if stride is None else _pair(stride)
    n, c, h, w = x.shape
    if outsize is None:
        extra_h, extra_w = (sy - 1, sx - 1) if cover_all else (0, 0)
        outsize = (sy * (h - 1) + kh - extra_h - 2 * ph, sx * (w - 1) + kw - extra_w - 2 * pw)
    out_h, out_w = outsize
    full = numpy.zeros(
        (n, c, max(out_h + ph, (h - 1) * sy + kh), max(out_w + pw, (w - 1) * sx + kw))
    )
    for i in range(h):
        for j in range(w):
            full[:, :, i * sy : i * sy + kh, j * sx : j * sx + kw] += x[:, :, i : i + 1, j : j + 1]
    return full[:, :, ph : ph + out_h, pw : pw + out_w].astype(x.dtype)


_CASES = [
    # x shape, ksize, stride, pad, outsize, cover_all
    ((2, 3, 3, 4), 2, None, 0, None, False),
    ((2, 3, 3, 4), 2, None, 0, None, True),
    ((1, 2, 3, 3), 3, 2, 1, None, True),
    ((2, 1, 3, 2), (2, 3), (1, 2), (0, 1), None, False),
    ((1, 2, 3, 3), 2, 2, 1, None, False),
    ((1, 1, 4, 4), 2, 2, 0, (7, 8), True),
    ((1, 2, 3, 2), 2, 2, 0, (7, 5), False),
    ((1, 2, 2, 3), 3, 3, 1, None, False),
    ((2, 1, 3, 3), 1, 1, 0, None, True),
    ((1, 2, 3, 2), 1, 2, 0, None, False),
    ((1, 1, 2, 2), (3, 1), (2, 1), (1, 0), None, True),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("x_shape", "ksize", "stride", "pad", "outsize", "cover_all"), _CASES)
def test_unpooling_2d(dtype, x_shape, ksize, stride, pad, outsize, cover_all):
    x = _uniform(x_shape, dtype, 0)
    check_function(
        lambda v: F.unpooling_2d(v, ksize, stride, pad, outsize, cover_all),
        (x,),
        lambda a: _unpool_ref(a, ksize, stride, pad, outsize, cover_all),
    )


def test_unpooling_2d_yolo_upsample_is_repeat():
    x = _uniform((2, 4, 3, 5), numpy.float32, 0)
    y = F.unpooling_2d(x, 2, cover_all=False)
    numpy.testing.assert_array_equal(y.array, x.repeat(2, axis=2).repeat(2, axis=3))
    assert y.array.flags.c_contiguous
    xv = kusari.Variable(x)
    y = F.unpooling_2d(xv, 2, cover_all=False)
    gy = _uniform(y.shape, numpy.float32, 1)
    y.grad = gy
    y.backward()
    numpy.testing.assert_allclose(
        xv.grad, gy.reshape(2, 4, 3, 2, 5, 2).sum(axis=(3, 5)), rtol=1e-5, atol=1e-6
    )


def test_unpooling_2d_output_does_not_alias_input():
    x = _uniform((1, 1, 2, 2), numpy.float32, 0)
    y = F.unpooling_2d(x, 1)
    y.array[...] = 5
    assert not (x == 5).any()


def test_unpooling_2d_zero_size_batch():
    y = F.unpooling_2d(numpy.zeros((0, 2, 3, 3), numpy.float32), 2)
    assert y.shape == (0, 2, 5, 5)


def test_unpooling_2d_inverts_pooling_sizes():
    x = _uniform((1, 1, 7, 6), numpy.float32, 0)
    for cover_all in (True, False):
        pooled = F.max_pooling_2d(x, 3, 2, 1, cover_all=cover_all)
        up = F.unpooling_2d(pooled, 3, 2, 1, outsize=(7, 6), cover_all=cover_all)
        assert up.shape == x.shape


def test_unpooling_2d_bad_input():
    x = numpy.zeros((1, 1, 3, 3), numpy.float32)
    with pytest.raises(
        InvalidType,
        match=r"unpooling_2d: outsize \(9, 6\) does not fit "
        r"x\.shape\[2\] \(3\): pooling an output of size 9 "
        r"gives 5",
    ):
        F.unpooling_2d(x, 2, outsize=(9, 6))
    with pytest.raises(InvalidType, match=r"unpooling_2d: x\.ndim must be 4, got 3"):
        F.unpooling_2d(x[0], 2)
    with pytest.raises(InvalidType, match=r"unpooling_2d: x must be a float array"):
        F.unpooling_2d(x.astype(numpy.int32), 2)
    with pytest.raises(InvalidType, match=r"unpooling_2d: the output would be empty \(-1 x -1\)"):
        F.unpooling_2d(numpy.zeros((1, 1, 1, 1), numpy.float32), 1, pad=1)
    with pytest.raises(ValueError, match=r"unpooling_2d: stride must be >= 1, got 0"):
        F.unpooling_2d(x, 2, 0)
    with pytest.raises(TypeError, match=r"unpooling_2d: ksize must be an int or a pair of ints"):
        F.unpooling_2d(x, 2.0)
    with pytest.raises(ValueError, match=r"unpooling_2d: outsize must be >= 1, got \(0, 4\)"):
        F.unpooling_2d(x, 2, outsize=(0, 4))
