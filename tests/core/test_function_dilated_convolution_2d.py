import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType

_FORWARD_TOL = {numpy.float16: {"atol": 2e-2, "rtol": 2e-2}}
_BACKWARD_TOL = {numpy.float16: {"atol": 1e-1, "rtol": 1e-1}}


def _uniform(shape, dtype, seed):
    return numpy.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


def _dilated_conv_ref(x, W, b=None, stride=1, pad=0, dilate=1, cover_all=False):
    """Spread the filter taps ``dilate`` apart (zeros between) and correlate directly."""
    (sy, sx), (ph, pw), (dy, dx) = _pair(stride), _pair(pad), _pair(dilate)
    out_c, c, kh, kw = W.shape
    big = numpy.zeros((out_c, c, (kh - 1) * dy + 1, (kw - 1) * dx + 1))
    big[:, :, ::dy, ::dx] = W
    n, _, h, w = x.shape
    ekh, ekw = big.shape[2:]
    extra_h, extra_w = (sy - 1, sx - 1) if cover_all else (0, 0)
    out_h = (h + 2 * ph - ekh + extra_h) // sy + 1
    out_w = (w + 2 * pw - ekw + extra_w) // sx + 1
    xp = numpy.pad(x.astype(numpy.float64), ((0, 0), (0, 0), (ph, ph + sy), (pw, pw + sx)))
    y = numpy.zeros((n, out_c, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            patch = xp[:, :, i * sy : i * sy + ekh, j * sx : j * sx + ekw]
            y[:, :, i, j] = numpy.einsum("bcuv,ocuv->bo", patch, big)
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y.astype(x.dtype)


_CASES = [
    # x shape, W shape, stride, pad, dilate, cover_all
    ((2, 3, 7, 6), (2, 3, 3, 2), 1, 0, 2, False),
    ((1, 2, 7, 8), (3, 2, 2, 3), 2, 1, (2, 3), False),
    ((2, 1, 9, 5), (2, 1, 3, 2), (2, 1), (1, 0), (3, 1), True),
    ((1, 2, 5, 5), (1, 2, 1, 1), 1, 0, 4, False),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("nobias", [False, True])
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "pad", "dilate", "cover_all"), _CASES)
def test_dilated_convolution_2d(dtype, nobias, x_shape, w_shape, stride, pad, dilate, cover_all):
    x = _uniform(x_shape, dtype, 0)
    W = _uniform(w_shape, dtype, 1)
    b = _uniform(w_shape[:1], dtype, 2)
    kw = {"stride": stride, "pad": pad, "dilate": dilate, "cover_all": cover_all}
    check_function(
        lambda *a: F.dilated_convolution_2d(*a, **kw),
        (x, W) if nobias else (x, W, b),
        lambda *a: _dilated_conv_ref(*a, **kw),
        forward_tol=_FORWARD_TOL.get(dtype),
        backward_tol=_BACKWARD_TOL.get(dtype),
    )


def test_dilated_convolution_2d_positional_arguments_follow_chainer():
    x = _uniform((1, 2, 9, 9), numpy.float64, 0)
    W = _uniform((3, 2, 3, 3), numpy.float64, 1)
    b = _uniform((3,), numpy.float64, 2)
    y = F.dilated_convolution_2d(x, W, b, 2, 1, 2, True)
    numpy.testing.assert_allclose(
        y.array,
        _dilated_conv_ref(x, W, b, stride=2, pad=1, dilate=2, cover_all=True),
        rtol=1e-12,
    )
    same = F.convolution_2d(x, W, b, 2, 1, True, dilate=2)
    numpy.testing.assert_array_equal(y.array, same.array)


def test_dilated_convolution_2d_bad_input():
    x = numpy.zeros((1, 2, 5, 5), numpy.float32)
    W = numpy.zeros((1, 2, 3, 3), numpy.float32)
    with pytest.raises(ValueError, match=r"convolution_2d: dilate must be >= 1, got 0"):
        F.dilated_convolution_2d(x, W, dilate=0)
    with pytest.raises(TypeError, match=r"convolution_2d: dilate must be an int or a pair"):
        F.dilated_convolution_2d(x, W, dilate=1.5)
    with pytest.raises(InvalidType, match=r"convolution_2d: the output would be empty \(-1 x -1\)"):
        F.dilated_convolution_2d(x, W, dilate=3)
    with pytest.raises(InvalidType, match=r"convolution_2d: x\.shape\[1\] \(2\) != W\.shape"):
        F.dilated_convolution_2d(x, numpy.zeros((1, 3, 3, 3), numpy.float32), dilate=2)
