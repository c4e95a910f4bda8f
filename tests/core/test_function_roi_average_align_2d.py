import math

import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _bounds(p, limit):
    """Chainer v7's sample clamping: None outside [-1, limit], else (p, low, high)."""
    if p < -1 or p > limit:
        return None
    low = math.floor(p)
    if low == limit:
        low -= 1
    high = low + 1
    if low <= -1:
        p = 0.0
    elif high >= limit:
        p = float(limit - 1)
    return p, low, high


def _align_ref(x, rois, roi_indices, outsize, scale, sampling_ratio=None):
    """RoIAlign averaged per bin, one sample at a time."""
    outh, outw = outsize if isinstance(outsize, tuple) else (outsize, outsize)
    ratio = sampling_ratio if isinstance(sampling_ratio, tuple) else (sampling_ratio,) * 2
    _, c, h, w = x.shape
    y = numpy.zeros((len(rois), c, outh, outw))
    for r, roi in enumerate(rois):
        b = int(roi_indices[r])
        y0, x0, y1, x1 = (float(v) * scale for v in roi)
        roi_h, roi_w = max(y1 - y0, 1.0), max(x1 - x0, 1.0)
        bin_h, bin_w = roi_h / outh, roi_w / outw
        gh = ratio[0] if ratio[0] is not None else math.ceil(roi_h / outh)
        gw = ratio[1] if ratio[1] is not None else math.ceil(roi_w / outw)
        for ph in range(outh):
            for pw in range(outw):
                acc = numpy.zeros(c)
                for iy in range(gh):
                    by = _bounds(y0 + ph * bin_h + (iy + 0.5) * bin_h / gh, h)
                    if by is None:
                        continue
                    for ix in range(gw):
                        bx = _bounds(x0 + pw * bin_w + (ix + 0.5) * bin_w / gw, w)
                        if bx is None:
                            continue
                        (py, ylo, yhi), (px, xlo, xhi) = by, bx
                        for yy, wy in ((ylo, yhi - py), (yhi, py - ylo)):
                            for xx, wx in ((xlo, xhi - px), (xhi, px - xlo)):
                                if wy * wx > 0 and 0 <= yy < h and 0 <= xx < w:
                                    acc += wy * wx * x[b, :, yy, xx].astype(numpy.float64)
                y[r, :, ph, pw] = acc / (gh * gw)
    return y.astype(x.dtype)


# (x shape, rois as (y_min, x_min, y_max, x_max), roi_indices, outsize, scale, sampling_ratio)
_CASES = [
    (
        (2, 3, 9, 11),
        [
            [2.2, 1.1, 40.1, 60.3],
            [20.2, 9.7, 57.3, 70.6],
            [-20.1, -30.2, 13.1, 20.3],
            [30.3, 40.2, 10.2, 20.1],
            [75.2, 85.3, 130.3, 120.1],
        ],
        [0, 1, 0, 1, 0],
        (3, 4),
        0.125,
        None,
    ),
    (
        (1, 2, 5, 7),
        [[0.0, 0.0, 4.0, 6.0], [1.2, 2.1, 1.1, 2.2], [-1.0, -1.0, 5.0, 7.0]],
        [0, 0, 0],
        2,
        1.0,
        2,
    ),
    (
        (3, 1, 6, 6),
        [[0.3, 0.2, 5.2, 5.1], [0.2, 1.3, 4.2, 3.1], [4.2, 4.1, 9.1, 9.3]],
        [2, 0, 1],
        (4, 3),
        1.0,
        (1, 3),
    ),
    ((1, 4, 8, 5), [[5.1, 3.2, 25.2, 14.3]], [0], (7, 1), 0.3, (None, 2)),
    ((2, 2, 1, 1), [[-0.5, -0.7, 0.8, 0.6], [0.1, 0.2, 3.0, 0.3]], [1, 0], 2, 1.0, None),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("x_shape", "rois", "indices", "outsize", "scale", "ratio"), _CASES)
def test_roi_average_align_2d(dtype, x_shape, rois, indices, outsize, scale, ratio):
    x = numpy.random.default_rng(0).uniform(-1, 1, x_shape).astype(dtype)
    rois = numpy.asarray(rois, dtype)
    indices = numpy.asarray(indices, numpy.int32)
    check_function(
        lambda v, r, i: F.roi_average_align_2d(v, r, i, outsize, scale, ratio),
        (x, rois, indices),
        lambda a, r, i: _align_ref(a, r, i, outsize, scale, ratio),
        no_grads=[False, True, True],
    )


def test_roi_average_align_2d_random_rois_match_reference():
    rng = numpy.random.default_rng(1)
    x = rng.uniform(-1, 1, (2, 3, 10, 13))
    y0x0 = rng.uniform(-20, 60, (30, 2))
    rois = numpy.concatenate((y0x0, y0x0 + rng.uniform(-5, 50, (30, 2))), axis=1)
    indices = rng.integers(0, 2, 30).astype(numpy.int32)
    for ratio in (None, 2, (3, None)):
        y = F.roi_average_align_2d(x, rois, indices, (3, 5), 0.25, ratio)
        numpy.testing.assert_allclose(
            y.array, _align_ref(x, rois, indices, (3, 5), 0.25, ratio), rtol=1e-12, atol=1e-12
        )


def test_roi_average_align_2d_border_samples():
    x = numpy.arange(12, dtype=numpy.float64).reshape(1, 1, 3, 4)
    indices = numpy.zeros(1, numpy.int32)
    # one sample per bin at (y, x): -0.5 clamps to row 0, 2.5 clamps to row 2, -1.5 is dropped
    y = F.roi_average_align_2d(x, numpy.array([[-1.0, 0.0, 0.0, 1.0]]), indices, 1, 1.0, 1)
    numpy.testing.assert_allclose(y.array, [[[[0.5]]]])
    y = F.roi_average_align_2d(x, numpy.array([[2.0, 0.0, 3.0, 1.0]]), indices, 1, 1.0, 1)
    numpy.testing.assert_allclose(y.array, [[[[8.5]]]])
    y = F.roi_average_align_2d(x, numpy.array([[-2.0, 0.0, -1.0, 1.0]]), indices, 1, 1.0, 1)
    numpy.testing.assert_allclose(y.array, [[[[0.0]]]])
    y = F.roi_average_align_2d(x, numpy.array([[0.0, 0.0, 2.0, 2.0]]), indices, 1, 1.0, 2)
    numpy.testing.assert_allclose(y.array, [[[[(2.5 + 3.5 + 6.5 + 7.5) / 4]]]])


def test_roi_average_align_2d_gradient_sums_over_overlapping_rois():
    x = numpy.random.default_rng(2).uniform(-1, 1, (2, 2, 6, 7))
    rois = numpy.array([[0.3, 0.4, 5.2, 6.1], [0.3, 0.4, 5.2, 6.1], [1.2, 2.3, 3.4, 4.1]])
    indices = numpy.array([1, 1, 0], numpy.int32)
    v = kusari.Variable(x)
    y = F.roi_average_align_2d(v, rois, indices, 2, 1.0, 2)
    gy = numpy.random.default_rng(3).uniform(-1, 1, y.shape)
    y.grad = gy
    y.backward()
    # the function is linear in x: its gradient is the transpose of the reference map
    expected = numpy.zeros(x.size)
    for k in range(x.size):
        e = numpy.zeros(x.size)
        e[k] = 1
        expected[k] = (_align_ref(e.reshape(x.shape), rois, indices, 2, 1.0, 2) * gy).sum()
    numpy.testing.assert_allclose(v.grad.reshape(-1), expected, rtol=1e-12, atol=1e-12)


def test_roi_average_align_2d_no_rois():
    x = numpy.zeros((1, 3, 4, 5), numpy.float32)
    v = kusari.Variable(x)
    y = F.roi_average_align_2d(
        v, numpy.zeros((0, 4), numpy.float32), numpy.zeros(0, numpy.int32), 7, 0.25, 2
    )
    assert y.shape == (0, 3, 7, 7)
    y.grad = numpy.zeros(y.shape, numpy.float32)
    y.backward()
    numpy.testing.assert_array_equal(v.grad, x)


def test_roi_average_align_2d_bad_input_messages():
    x = numpy.zeros((2, 3, 4, 4), numpy.float32)
    rois = numpy.array([[0, 0, 3, 3]], numpy.float32)
    idx = numpy.zeros(1, numpy.int32)
    f = F.roi_average_align_2d
    with pytest.raises(InvalidType, match=r"roi_average_align_2d: x\.ndim must be 4, got 3"):
        f(x[0], rois, idx, 2, 1.0)
    with pytest.raises(InvalidType, match=r"roi_average_align_2d: x must be a float array"):
        f(x.astype(numpy.int32), rois, idx, 2, 1.0)
    with pytest.raises(
        InvalidType,
        match=r"roi_average_align_2d: rois\.shape must be \(R, 4\)"
        r".*got \(1, 5\)",
    ):
        f(x, numpy.zeros((1, 5), numpy.float32), idx, 2, 1.0)
    with pytest.raises(
        InvalidType,
        match=r"roi_average_align_2d: roi_indices\.dtype must be "
        r"int32, got int64",
    ):
        f(x, rois, idx.astype(numpy.int64), 2, 1.0)
    with pytest.raises(
        InvalidType,
        match=r"roi_average_align_2d: rois\.shape\[0\] \(1\) != "
        r"roi_indices\.shape\[0\] \(2\)",
    ):
        f(x, rois, numpy.zeros(2, numpy.int32), 2, 1.0)
    with pytest.raises(
        ValueError,
        match=r"roi_average_align_2d: roi_indices must lie in "
        r"\[0, 2\).*from -1 to -1",
    ):
        f(x, rois, numpy.full(1, -1, numpy.int32), 2, 1.0)
    with pytest.raises(
        ValueError,
        match=r"roi_average_align_2d: outsize\[1\] must be an "
        r"integer >= 1, got 0",
    ):
        f(x, rois, idx, (2, 0), 1.0)
    for ratio in (0, -1, (2, 0)):
        with pytest.raises(
            ValueError, match=r"roi_average_align_2d: sampling_ratio must be an integer >= 1"
        ):
            f(x, rois, idx, 2, 1.0, ratio)
    with pytest.raises(ValueError, match=r"roi_average_align_2d: outsize must be an int or a pair"):
        f(x, rois, idx, (2,), 1.0)
    with pytest.raises(
        TypeError,
        match=r"roi_average_align_2d: sampling_ratio must be an "
        r"integer >= 1, got 1\.5",
    ):
        f(x, rois, idx, 2, 1.0, 1.5)
    with pytest.raises(
        ValueError, match=r"roi_average_align_2d: spatial_scale must be a positive finite.*got 0"
    ):
        f(x, rois, idx, 2, 0)
    with pytest.raises(TypeError, match=r"roi_average_align_2d: spatial_scale must be a positive"):
        f(x, rois, idx, 2, None)


@pytest.mark.parametrize("bad", [float("inf"), -float("inf"), float("nan")])
def test_roi_average_align_2d_non_finite_rois(bad):
    x = numpy.zeros((1, 3, 4, 4), numpy.float32)
    rois = numpy.array([[0, 0, 3, 3], [1, 1, 2, 2]], numpy.float32)
    rois[0, 1] = bad
    with pytest.raises(
        ValueError, match=r"roi_average_align_2d: rois must be finite.*1 inf/nan.*row 0"
    ):
        F.roi_average_align_2d(x, rois, numpy.zeros(2, numpy.int32), 2, 1.0)


def test_roi_average_align_2d_rois_get_no_gradient():
    x = numpy.random.default_rng(4).uniform(-1, 1, (1, 2, 6, 6)).astype(numpy.float32)
    rois = kusari.Variable(numpy.array([[0.2, 0.1, 4.3, 5.2]], numpy.float32))
    idx = numpy.zeros(1, numpy.int32)
    v = kusari.Variable(x)
    y = F.roi_average_align_2d(v, rois, idx, 2, 1.0, 2)
    y.grad = numpy.ones(y.shape, numpy.float32)
    y.backward()
    assert rois.grad is None
    numpy.testing.assert_allclose(v.grad.sum(), 8, rtol=1e-5)
