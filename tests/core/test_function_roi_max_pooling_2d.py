import math

import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.functions.pooling.roi_max_pooling_2d import ROIMaxPooling2D
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _distinct(shape, dtype, seed):
    """Distinct values, at least 2 / size apart, in random order: no ties in any bin."""
    size = int(numpy.prod(shape))
    perm = numpy.random.default_rng(seed).permutation(size)
    return (perm * (2.0 / size) - 1).reshape(shape).astype(dtype)


def _round(v):
    """C's round(): halves away from zero."""
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def _roi_max_pooling_ref(x, rois, roi_indices, outh, outw, scale):
    """Chainer v7's roi_max_pooling_2d, one bin at a time; returns the output and the argmax."""
    _, c, h, w = x.shape
    y = numpy.zeros((len(rois), c, outh, outw), x.dtype)
    arg = numpy.full(y.shape, -1, numpy.int64)
    for r, roi in enumerate(rois):
        b = int(roi_indices[r])
        ymin, xmin, ymax, xmax = (_round(float(v) * scale) for v in roi)
        stride_h = max(ymax - ymin, 1) / outh
        stride_w = max(xmax - xmin, 1) / outw
        for ph in range(outh):
            hs = min(max(math.floor(ph * stride_h) + ymin, 0), h)
            he = min(max(math.ceil((ph + 1) * stride_h) + ymin, 0), h)
            for pw in range(outw):
                ws = min(max(math.floor(pw * stride_w) + xmin, 0), w)
                we = min(max(math.ceil((pw + 1) * stride_w) + xmin, 0), w)
                if he <= hs or we <= ws:
                    continue
                patch = x[b, :, hs:he, ws:we].reshape(c, -1)
                y[r, :, ph, pw] = patch.max(axis=1)
                k = patch.argmax(axis=1)
                arg[r, :, ph, pw] = (hs + k // (we - ws)) * w + ws + k % (we - ws)
    return y, arg


# (x shape, rois as (y_min, x_min, y_max, x_max), roi_indices, outsize, spatial_scale)
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
    ),
    ((1, 2, 5, 7), [[0.0, 0.0, 4.0, 6.0], [1.2, 2.1, 1.1, 2.2]], [0, 0], 2, 1.0),
    ((3, 1, 6, 6), [[0.3, 0.2, 5.2, 5.1], [4.2, 4.1, 9.1, 9.3]], [2, 1], (4, 1), 1.0),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("x_shape", "rois", "indices", "outsize", "scale"), _CASES)
def test_roi_max_pooling_2d(dtype, x_shape, rois, indices, outsize, scale):
    x = _distinct(x_shape, dtype, 0)
    rois = numpy.asarray(rois, dtype)
    indices = numpy.asarray(indices, numpy.int32)
    outh, outw = outsize if isinstance(outsize, tuple) else (outsize, outsize)
    check_function(
        lambda v, r, i: F.roi_max_pooling_2d(v, r, i, outsize, scale),
        (x, rois, indices),
        lambda a, r, i: _roi_max_pooling_ref(a, r, i, outh, outw, scale)[0],
        no_grads=[False, True, True],
    )


def test_roi_max_pooling_2d_ties_and_random_rois_match_reference():
    rng = numpy.random.default_rng(6)
    x = rng.integers(0, 3, (2, 3, 13, 17)).astype(numpy.float32)
    rois = rng.uniform(-8, 40, (40, 4)).astype(numpy.float32)
    indices = rng.integers(0, 2, 40).astype(numpy.int32)
    node = ROIMaxPooling2D((3, 5), 0.5)
    (y,) = node.apply((kusari.Variable(x), rois, indices))
    y_ref, arg_ref = _roi_max_pooling_ref(x, rois, indices, 3, 5, 0.5)
    numpy.testing.assert_array_equal(y.array, y_ref)
    numpy.testing.assert_array_equal(node.bins.argmax, arg_ref)


def test_roi_max_pooling_2d_bad_input_messages():
    x = numpy.zeros((2, 3, 4, 4), numpy.float32)
    rois = numpy.array([[0, 0, 3, 3]], numpy.float32)
    idx = numpy.zeros(1, numpy.int32)
    f = F.roi_max_pooling_2d
    with pytest.raises(InvalidType, match=r"roi_max_pooling_2d: x\.ndim must be 4, got 3"):
        f(x[0], rois, idx, 2, 1.0)
    with pytest.raises(
        InvalidType,
        match=r"roi_max_pooling_2d: rois\.shape must be \(R, 4\)"
        r".*got \(1, 5\)",
    ):
        f(x, numpy.zeros((1, 5), numpy.float32), idx, 2, 1.0)
    with pytest.raises(
        InvalidType,
        match=r"roi_max_pooling_2d: roi_indices\.dtype must be "
        r"int32, got int64",
    ):
        f(x, rois, idx.astype(numpy.int64), 2, 1.0)
    with pytest.raises(
        InvalidType,
        match=r"roi_max_pooling_2d: rois\.shape\[0\] \(1\) != "
        r"roi_indices\.shape\[0\] \(2\)",
    ):
        f(x, rois, numpy.zeros(2, numpy.int32), 2, 1.0)
    with pytest.raises(
        ValueError,
        match=r"roi_max_pooling_2d: roi_indices must lie in "
        r"\[0, 2\).*from 5 to 5",
    ):
        f(x, rois, numpy.full(1, 5, numpy.int32), 2, 1.0)
    with pytest.raises(
        ValueError,
        match=r"roi_max_pooling_2d: outsize\[0\] must be an "
        r"integer >= 1, got -1",
    ):
        f(x, rois, idx, (-1, 2), 1.0)
    with pytest.raises(TypeError, match=r"roi_max_pooling_2d: outsize\[0\] must be an integer"):
        f(x, rois, idx, 2.0, 1.0)
    with pytest.raises(ValueError, match=r"roi_max_pooling_2d: outsize must be an int or a pair"):
        f(x, rois, idx, (2, 2, 2), 1.0)
    with pytest.raises(TypeError, match=r"roi_max_pooling_2d: spatial_scale must be a positive"):
        f(x, rois, idx, 2, "1")
    with pytest.raises(
        ValueError, match=r"roi_max_pooling_2d: spatial_scale must be a positive finite.*got 0"
    ):
        f(x, rois, idx, 2, 0)


@pytest.mark.parametrize("bad", [float("inf"), -float("inf"), float("nan")])
def test_roi_max_pooling_2d_non_finite_rois(bad):
    x = numpy.zeros((1, 3, 4, 4), numpy.float32)
    rois = numpy.array([[0, 0, 3, 3], [1, 1, 2, 2], [0, 0, 1, 1]], numpy.float32)
    rois[2, 3] = bad
    with pytest.raises(
        ValueError, match=r"roi_max_pooling_2d: rois must be finite.*1 inf/nan.*row 2"
    ):
        F.roi_max_pooling_2d(x, rois, numpy.zeros(3, numpy.int32), 2, 1.0)


def test_roi_max_pooling_2d_large_bins_with_ties_match_reference():
    rng = numpy.random.default_rng(8)
    x = rng.integers(0, 2, (2, 2, 33, 41)).astype(numpy.float32)
    rois = rng.uniform(-10, 50, (16, 4)).astype(numpy.float32)
    rois[0] = (0, 0, 33, 41)
    indices = rng.integers(0, 2, 16).astype(numpy.int32)
    for outsize in (1, (3, 2)):
        outh, outw = outsize if isinstance(outsize, tuple) else (outsize, outsize)
        node = ROIMaxPooling2D(outsize, 1.0)
        (y,) = node.apply((kusari.Variable(x), rois, indices))
        y_ref, arg_ref = _roi_max_pooling_ref(x, rois, indices, outh, outw, 1.0)
        numpy.testing.assert_array_equal(y.array, y_ref)
        numpy.testing.assert_array_equal(node.bins.argmax, arg_ref)
