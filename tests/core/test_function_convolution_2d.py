import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils import conv
from kusari.utils.type_check import InvalidType

_FORWARD_TOL = {numpy.float16: {"atol": 2e-2, "rtol": 2e-2}}
_BACKWARD_TOL = {numpy.float16: {"atol": 1e-1, "rtol": 1e-1}}


def _uniform(shape, dtype, seed):
    return numpy.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


def _outsize(size, k, s, p, d, cover_all):
    dk = (k - 1) * d + 1
    extra = s - 1 if cover_all else 0
    return (size + 2 * p - dk + extra) // s + 1


def _conv_ref(x, W, b=None, stride=(1, 1), pad=(0, 0), cover_all=False, dilate=(1, 1),
              groups=1):
    """Direct loop over output channels and positions, in float64."""
    n, c, h, w = x.shape
    out_c, c_g, kh, kw = W.shape
    (sy, sx), (ph, pw), (dy, dx) = stride, pad, dilate
    out_h = _outsize(h, kh, sy, ph, dy, cover_all)
    out_w = _outsize(w, kw, sx, pw, dx, cover_all)
    xp = numpy.pad(x.astype(numpy.float64), ((0, 0), (0, 0), (ph, ph + sy), (pw, pw + sx)))
    y = numpy.zeros((n, out_c, out_h, out_w))
    o_g = out_c // groups
    for o in range(out_c):
        g = o // o_g
        for i in range(out_h):
            for j in range(out_w):
                patch = xp[:, g * c_g:(g + 1) * c_g,
                           i * sy:i * sy + (kh - 1) * dy + 1:dy,
                           j * sx:j * sx + (kw - 1) * dx + 1:dx]
                y[:, o, i, j] = (patch * W[o]).sum(axis=(1, 2, 3))
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y.astype(x.dtype)


def _deconv_ref(x, W, b=None, stride=(1, 1), pad=(0, 0), outsize=None, dilate=(1, 1),
                groups=1):
    """Scatter every input pixel times the filter onto the output, in float64."""
    n, in_c, h, w = x.shape
    _, o_g, kh, kw = W.shape
    (sy, sx), (ph, pw), (dy, dx) = stride, pad, dilate
    if outsize is None:
        outsize = (sy * (h - 1) + (kh - 1) * dy + 1 - 2 * ph,
                   sx * (w - 1) + (kw - 1) * dx + 1 - 2 * pw)
    out_h, out_w = outsize
    full = numpy.zeros((n, o_g * groups, out_h + 2 * ph + sy * kh * dy,
                        out_w + 2 * pw + sx * kw * dx))
    i_g = in_c // groups
    for ci in range(in_c):
        g = ci // i_g
        for i in range(h):
            for j in range(w):
                for u in range(kh):
                    for v in range(kw):
                        full[:, g * o_g:(g + 1) * o_g, i * sy + u * dy, j * sx + v * dx] += (
                            x[:, ci, i, j, None].astype(numpy.float64) * W[ci, :, u, v]
                        )
    y = full[:, :, ph:ph + out_h, pw:pw + out_w]
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y.astype(x.dtype)


_CONV_CASES = [
    # x shape, W shape, stride, pad, cover_all, dilate, groups
    ((2, 3, 5, 4), (2, 3, 3, 2), 2, 1, False, 1, 1),
    ((1, 2, 4, 5), (3, 2, 2, 2), 1, 0, False, 1, 1),
    ((2, 1, 5, 5), (2, 1, 2, 3), (2, 1), (0, 1), True, 1, 1),
    ((1, 2, 6, 5), (2, 2, 2, 2), 1, 1, False, (2, 1), 1),
    ((2, 4, 3, 4), (6, 2, 2, 1), 1, 0, False, 1, 2),
    ((1, 3, 5, 5), (2, 3, 3, 3), 3, 1, True, 1, 1),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("nobias", [False, True])
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "pad", "cover_all", "dilate", "groups"),
                         _CONV_CASES)
def test_convolution_2d(dtype, nobias, x_shape, w_shape, stride, pad, cover_all, dilate,
                        groups):
    x = _uniform(x_shape, dtype, 0)
    W = _uniform(w_shape, dtype, 1)
    b = _uniform(w_shape[:1], dtype, 2)
    kw = {"stride": stride, "pad": pad, "cover_all": cover_all, "dilate": dilate,
          "groups": groups}
    ref_kw = dict(kw, stride=_pair(stride), pad=_pair(pad), dilate=_pair(dilate))
    inputs = (x, W) if nobias else (x, W, b)
    check_function(
        lambda *a: F.convolution_2d(*a, **kw),
        inputs,
        lambda *a: _conv_ref(*a, **ref_kw),
        forward_tol=_FORWARD_TOL.get(dtype),
        backward_tol=_BACKWARD_TOL.get(dtype),
    )


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


_DECONV_CASES = [
    # x shape, W shape, stride, pad, outsize, dilate, groups
    ((2, 3, 3, 2), (3, 2, 3, 2), 2, 1, None, 1, 1),
    ((1, 2, 2, 3), (2, 3, 2, 2), 1, 0, None, 1, 1),
    ((1, 2, 3, 3), (2, 1, 2, 3), (2, 1), (0, 1), (7, 3), 1, 1),
    ((2, 4, 2, 3), (4, 1, 2, 2), 1, 0, None, (1, 2), 2),
    ((1, 2, 3, 3), (2, 1, 2, 2), 2, 0, (5, 6), 1, 1),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("nobias", [False, True])
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "pad", "outsize", "dilate", "groups"),
                         _DECONV_CASES)
def test_deconvolution_2d(dtype, nobias, x_shape, w_shape, stride, pad, outsize, dilate, groups):
    x = _uniform(x_shape, dtype, 0)
    W = _uniform(w_shape, dtype, 1)
    b = _uniform((w_shape[1] * groups,), dtype, 2)
    kw = {"stride": stride, "pad": pad, "outsize": outsize, "dilate": dilate, "groups": groups}
    ref_kw = dict(kw, stride=_pair(stride), pad=_pair(pad), dilate=_pair(dilate))
    check_function(
        lambda *a: F.deconvolution_2d(*a, **kw),
        (x, W) if nobias else (x, W, b),
        lambda *a: _deconv_ref(*a, **ref_kw),
        forward_tol=_FORWARD_TOL.get(dtype),
        backward_tol=_BACKWARD_TOL.get(dtype),
    )


def test_deconvolution_is_adjoint_of_convolution():
    x = _uniform((2, 3, 5, 4), numpy.float64, 0)
    W = _uniform((2, 3, 3, 2), numpy.float64, 1)
    y = F.convolution_2d(x, W, stride=2, pad=1)
    gy = _uniform(y.shape, numpy.float64, 2)
    gx = F.deconvolution_2d(gy, W, stride=2, pad=1, outsize=(5, 4))
    numpy.testing.assert_allclose((y.array * gy).sum(), (x * gx.array).sum(), rtol=1e-12)


def test_convolution_2d_grads_come_from_one_node():
    x = kusari.Variable(_uniform((2, 3, 5, 4), numpy.float32, 0))
    W = kusari.Variable(_uniform((2, 3, 3, 2), numpy.float32, 1))
    b = kusari.Variable(_uniform((2,), numpy.float32, 2))
    y = F.convolution_2d(x, W, b, stride=2, pad=1)
    gx, gW, gb = kusari.grad([y], [x, W, b], [kusari.Variable(numpy.ones_like(y.array))],
                             enable_double_backprop=True)
    assert type(gx.creator).__name__ == "Convolution2DGrad"
    assert gx.creator is gW.creator is gb.creator
    numpy.testing.assert_allclose(gb.array, numpy.full(2, y.shape[0] * y.shape[2] * y.shape[3]))


def test_im2col_col2im_adjoint():
    img = _uniform((2, 3, 5, 6), numpy.float64, 0)
    col = conv.im2col(img, 3, 2, 2, 1, 1, 0, cover_all=True, dy=1, dx=2)
    assert col.shape == (2, 3, 3, 2, 3, 4)
    assert col.flags.c_contiguous
    assert col[0, 1, 2, 1, 1, 2] == img[0, 1, 1 * 2 + 2 - 1, 2 + 1 * 2]
    other = _uniform(col.shape, numpy.float64, 1)
    back = conv.col2im(other, 2, 1, 1, 0, 5, 6, dy=1, dx=2)
    numpy.testing.assert_allclose((col * other).sum(), (img * back).sum(), rtol=1e-12)


def test_outsize_helpers():
    assert conv.get_conv_outsize(5, 3, 2, 1) == 3
    assert conv.get_conv_outsize(5, 2, 2, 0, cover_all=True) == 3
    assert conv.get_conv_outsize(7, 3, 1, 0, d=2) == 3
    assert conv.get_deconv_outsize(3, 3, 2, 1) == 5
    assert conv.get_deconv_outsize(3, 2, 2, 0, cover_all=True) == 5


def test_convolution_2d_channel_mismatch_message():
    x = numpy.zeros((1, 3, 4, 4), numpy.float32)
    W = numpy.zeros((2, 4, 3, 3), numpy.float32)
    with pytest.raises(InvalidType, match=r"convolution_2d: x\.shape\[1\] \(3\) != W\.shape\[1\]"):
        F.convolution_2d(x, W)


def test_convolution_2d_groups_message():
    x = numpy.zeros((1, 3, 4, 4), numpy.float32)
    W = numpy.zeros((2, 2, 3, 3), numpy.float32)
    with pytest.raises(
        InvalidType, match=r"convolution_2d: x\.shape\[1\] \(3\) != W\.shape\[1\] \* groups "
        r"\(2 \* 2 = 4\)"
    ):
        F.convolution_2d(x, W, groups=2)
    with pytest.raises(InvalidType, match=r"convolution_2d: W\.shape\[0\] \(3\) must be divisible"):
        F.convolution_2d(numpy.zeros((1, 4, 4, 4), numpy.float32),
                         numpy.zeros((3, 2, 3, 3), numpy.float32), groups=2)


def test_convolution_2d_empty_output_message():
    x = numpy.zeros((1, 1, 2, 2), numpy.float32)
    W = numpy.zeros((1, 1, 3, 3), numpy.float32)
    with pytest.raises(ValueError, match=r"convolution_2d: the output would be empty \(0 x 0\)"):
        F.convolution_2d(x, W)


def test_convolution_2d_bad_arguments():
    x = numpy.zeros((1, 1, 4, 4), numpy.float32)
    W = numpy.zeros((1, 1, 3, 3), numpy.float32)
    with pytest.raises(ValueError, match=r"convolution_2d: stride must be >= 1, got 0"):
        F.convolution_2d(x, W, stride=0)
    with pytest.raises(TypeError, match=r"convolution_2d: pad must be an int or a pair"):
        F.convolution_2d(x, W, pad=(1, 1, 1))
    with pytest.raises(ValueError, match=r"convolution_2d: groups must be a positive int"):
        F.convolution_2d(x, W, groups=0)
    with pytest.raises(InvalidType, match=r"convolution_2d: x\.ndim must be 4, got 3"):
        F.convolution_2d(x[0], W)
    with pytest.raises(InvalidType, match=r"convolution_2d: W\.dtype \(float64\) != x\.dtype"):
        F.convolution_2d(x, W.astype(numpy.float64))


def test_deconvolution_2d_bad_outsize_message():
    x = numpy.zeros((1, 1, 3, 3), numpy.float32)
    W = numpy.zeros((1, 1, 3, 3), numpy.float32)
    with pytest.raises(InvalidType, match=r"deconvolution_2d: outsize h \(9\) does not fit"):
        F.deconvolution_2d(x, W, stride=2, outsize=(9, 7))


@pytest.mark.parametrize("block", [1, 50, 400])
@pytest.mark.parametrize(
    "x_shape, w_shape, stride, pad, dilate, groups",
    [
        ((2, 4, 9, 7), (6, 2, 3, 3), (1, 1), (1, 1), (1, 1), 2),
        ((1, 3, 11, 8), (5, 3, 3, 2), (2, 1), (0, 1), (2, 1), 1),
    ],
)
def test_convolution_2d_in_row_bands_matches_reference(
    monkeypatch, block, x_shape, w_shape, stride, pad, dilate, groups
):
    # Large images are convolved a band of output rows at a time; a tiny band size sends these
    # small inputs through that path (1 row, a few rows, or a ragged last band).
    monkeypatch.setattr("kusari.functions._conv_utils._COL_BLOCK_SIZE", block)
    monkeypatch.setattr("kusari.functions._conv_utils._MIN_BAND_COLUMNS", 1)
    x = _uniform(x_shape, numpy.float64, 0)
    W = _uniform(w_shape, numpy.float64, 1)
    y = F.convolution_2d(x, W, stride=stride, pad=pad, dilate=dilate, groups=groups)
    expected = _conv_ref(x, W, stride=stride, pad=pad, dilate=dilate, groups=groups)
    numpy.testing.assert_allclose(y.array, expected, rtol=1e-12, atol=1e-12)
