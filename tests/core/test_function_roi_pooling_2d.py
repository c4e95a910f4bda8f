import math

import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.functions.pooling.roi_pooling_2d import ROIPooling2D
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


def _roi_pooling_ref(x, rois, outh, outw, scale):
    """Fast R-CNN's RoIPooling, one bin at a time; returns the output and the argmax."""
    _, c, h, w = x.shape
    y = numpy.zeros((len(rois), c, outh, outw), x.dtype)
    arg = numpy.full(y.shape, -1, numpy.int64)
    for r, roi in enumerate(rois):
        b = int(roi[0])
        xmin, ymin, xmax, ymax = (_round(float(v) * scale) for v in roi[1:])
        stride_h = max(ymax - ymin + 1, 1) / outh
        stride_w = max(xmax - xmin + 1, 1) / outw
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


# (x shape, rois as (batch, x_min, y_min, x_max, y_max), outh, outw, spatial_scale); the scaled
# corners stay away from .5 so that the rounding is the same for every dtype
_CASES = [
    (
        (2, 3, 9, 11),
        [
            [0, 1.1, 2.2, 60.3, 40.1],
            [1, 9.7, 20.2, 70.6, 57.3],
            [0, -30.2, -20.1, 20.3, 13.1],
            [1, 40.2, 30.3, 20.1, 10.2],
            [0, 85.3, 75.2, 120.1, 130.3],
        ],
        3,
        4,
        0.125,
    ),
    ((1, 2, 5, 7), [[0, 0.0, 0.0, 6.0, 4.0], [0, 2.1, 1.2, 2.2, 1.1]], 2, 3, 1.0),
    (
        (3, 1, 6, 6),
        [[2, 0.2, 0.3, 5.1, 5.2], [0, 1.3, 0.2, 3.1, 4.2], [1, 4.1, 4.2, 9.3, 9.1]],
        4,
        4,
        1.0,
    ),
    ((1, 4, 8, 5), [[0, 3.2, 5.1, 14.3, 25.2]], 7, 1, 0.3),
    ((2, 2, 4, 4), [[1, 0.1, 0.2, 3.2, 3.1]], 1, 1, 1.0),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("x_shape", "rois", "outh", "outw", "scale"), _CASES)
def test_roi_pooling_2d(dtype, x_shape, rois, outh, outw, scale):
    x = _distinct(x_shape, dtype, 0)
    rois = numpy.asarray(rois, dtype)
    check_function(
        lambda v, r: F.roi_pooling_2d(v, r, outh, outw, scale),
        (x, rois),
        lambda a, r: _roi_pooling_ref(a, r, outh, outw, scale)[0],
        no_grads=[False, True],
    )


@pytest.mark.parametrize(("x_shape", "rois", "outh", "outw", "scale"), _CASES)
def test_roi_pooling_2d_argmax_matches_reference(x_shape, rois, outh, outw, scale):
    x = _distinct(x_shape, numpy.float32, 1)
    rois = numpy.asarray(rois, numpy.float32)
    node = ROIPooling2D(outh, outw, scale)
    (y,) = node.apply((kusari.Variable(x), rois))
    y_ref, arg_ref = _roi_pooling_ref(x, rois, outh, outw, scale)
    numpy.testing.assert_array_equal(y.array, y_ref)
    numpy.testing.assert_array_equal(node.bins.argmax, arg_ref)


def test_roi_pooling_2d_ties_route_the_gradient_to_the_first_maximum():
    x = numpy.zeros((1, 1, 4, 4), numpy.float32)
    x[0, 0, 1, 2] = x[0, 0, 2, 1] = x[0, 0, 3, 3] = 5
    v = kusari.Variable(x)
    y = F.roi_pooling_2d(v, numpy.array([[0, 0, 0, 3, 3]], numpy.float32), 1, 1, 1.0)
    y.grad = numpy.array([[[[7]]]], numpy.float32)
    y.backward()
    expected = numpy.zeros_like(x)
    expected[0, 0, 1, 2] = 7
    numpy.testing.assert_array_equal(v.grad, expected)


def test_roi_pooling_2d_overlapping_rois_add_their_gradients():
    x = _distinct((2, 2, 6, 7), numpy.float64, 2)
    rois = numpy.array([[1, 0, 0, 6, 5], [1, 0, 0, 6, 5], [0, 2, 1, 4, 4]], numpy.float64)
    v = kusari.Variable(x)
    y = F.roi_pooling_2d(v, rois, 2, 2, 1.0)
    gy = numpy.random.default_rng(3).uniform(-1, 1, y.shape)
    y.grad = gy
    y.backward()
    _, arg = _roi_pooling_ref(x, rois, 2, 2, 1.0)
    expected = numpy.zeros_like(x)
    for r in range(3):
        for c in range(2):
            for ph in range(2):
                for pw in range(2):
                    h, w = divmod(arg[r, c, ph, pw], 7)
                    expected[int(rois[r, 0]), c, h, w] += gy[r, c, ph, pw]
    numpy.testing.assert_allclose(v.grad, expected)


def test_roi_pooling_2d_without_gradient_gives_the_same_values():
    x = _distinct((2, 3, 9, 11), numpy.float32, 4)
    rois = numpy.asarray(_CASES[0][1], numpy.float32)
    y_plain = F.roi_pooling_2d(x, rois, 3, 4, 0.125)
    with kusari.no_backprop_mode():
        y_nograd = F.roi_pooling_2d(kusari.Variable(x), rois, 3, 4, 0.125)
    y_ref, _ = _roi_pooling_ref(x, rois, 3, 4, 0.125)
    numpy.testing.assert_array_equal(y_plain.array, y_ref)
    numpy.testing.assert_array_equal(y_nograd.array, y_ref)


def test_roi_pooling_2d_empty_inputs():
    x = _distinct((1, 3, 4, 5), numpy.float32, 5)
    y = F.roi_pooling_2d(x, numpy.zeros((0, 5), numpy.float32), 2, 2, 1.0)
    assert y.shape == (0, 3, 2, 2)
    outside = numpy.array([[0, 50, 50, 60, 60]], numpy.float32)
    v = kusari.Variable(x)
    y = F.roi_pooling_2d(v, outside, 2, 3, 1.0)
    numpy.testing.assert_array_equal(y.array, numpy.zeros((1, 3, 2, 3), numpy.float32))
    y.grad = numpy.ones(y.shape, numpy.float32)
    y.backward()
    numpy.testing.assert_array_equal(v.grad, numpy.zeros_like(x))


def test_roi_pooling_2d_bad_input_messages():
    x = numpy.zeros((2, 3, 4, 4), numpy.float32)
    rois = numpy.array([[0, 0, 0, 3, 3]], numpy.float32)
    with pytest.raises(InvalidType, match=r"roi_pooling_2d: x\.ndim must be 4, got 3"):
        F.roi_pooling_2d(x[0], rois, 2, 2, 1.0)
    with pytest.raises(InvalidType, match=r"roi_pooling_2d: x must be a float array"):
        F.roi_pooling_2d(x.astype(numpy.int32), rois, 2, 2, 1.0)
    with pytest.raises(
        InvalidType,
        match=r"roi_pooling_2d: rois\.shape must be \(R, 5\).*"
        r"got \(1, 4\)",
    ):
        F.roi_pooling_2d(x, rois[:, 1:], 2, 2, 1.0)
    with pytest.raises(InvalidType, match=r"roi_pooling_2d: rois must be a float array.*int32"):
        F.roi_pooling_2d(x, rois.astype(numpy.int32), 2, 2, 1.0)
    with pytest.raises(ValueError, match=r"roi_pooling_2d: rois\[:, 0\].*\[0, 2\).*2 to 2"):
        F.roi_pooling_2d(x, numpy.array([[2, 0, 0, 3, 3]], numpy.float32), 2, 2, 1.0)
    with pytest.raises(ValueError, match=r"roi_pooling_2d: outh must be an integer >= 1, got 0"):
        F.roi_pooling_2d(x, rois, 0, 2, 1.0)
    with pytest.raises(TypeError, match=r"roi_pooling_2d: outw must be an integer >= 1, got 2\.5"):
        F.roi_pooling_2d(x, rois, 2, 2.5, 1.0)
    with pytest.raises(TypeError, match=r"roi_pooling_2d: outh must be an integer >= 1, got True"):
        F.roi_pooling_2d(x, rois, True, 2, 1.0)
    for scale in (-1.0, 0, float("inf"), float("nan")):
        with pytest.raises(
            ValueError, match=r"roi_pooling_2d: spatial_scale must be a positive finite float"
        ) as info:
            F.roi_pooling_2d(x, rois, 2, 2, scale)
        assert not isinstance(info.value, TypeError)
    with pytest.raises(TypeError, match=r"roi_pooling_2d: spatial_scale must be a positive.*'1'"):
        F.roi_pooling_2d(x, rois, 2, 2, "1")


@pytest.mark.parametrize("bad", [float("inf"), -float("inf"), float("nan")])
@pytest.mark.parametrize("column", [0, 1, 4])
def test_roi_pooling_2d_non_finite_rois(bad, column):
    x = numpy.zeros((2, 3, 4, 4), numpy.float32)
    rois = numpy.array([[0, 0, 0, 3, 3], [1, 1, 1, 2, 2]], numpy.float32)
    rois[1, column] = bad
    with pytest.raises(ValueError, match=r"roi_pooling_2d: rois must be finite.*1 inf/nan.*row 1"):
        F.roi_pooling_2d(x, rois, 2, 2, 1.0)


def test_roi_pooling_2d_many_ties_and_random_rois_match_reference():
    rng = numpy.random.default_rng(6)
    x = rng.integers(0, 3, (2, 3, 13, 17)).astype(numpy.float32)
    xy = rng.uniform(-8, 40, (40, 4))
    rois = numpy.concatenate((rng.integers(0, 2, (40, 1)), xy), axis=1).astype(numpy.float32)
    node = ROIPooling2D(3, 5, 0.5)
    (y,) = node.apply((kusari.Variable(x), rois))
    y_ref, arg_ref = _roi_pooling_ref(x, rois, 3, 5, 0.5)
    numpy.testing.assert_array_equal(y.array, y_ref)
    numpy.testing.assert_array_equal(node.bins.argmax, arg_ref)


def test_roi_pooling_2d_rois_get_no_gradient():
    x = _distinct((1, 2, 6, 6), numpy.float32, 7)
    rois = kusari.Variable(numpy.array([[0, 0.2, 0.1, 4.3, 5.2]], numpy.float32))
    v = kusari.Variable(x)
    y = F.roi_pooling_2d(v, rois, 2, 2, 1.0)
    y.grad = numpy.ones(y.shape, numpy.float32)
    y.backward()
    assert rois.grad is None
    assert v.grad.sum() == 8
    y = F.roi_pooling_2d(x, rois, 2, 2, 1.0)
    y.grad = numpy.ones(y.shape, numpy.float32)
    y.backward()
    assert rois.grad is None


@pytest.mark.parametrize("seed", [0, 1])
def test_roi_pooling_2d_large_bins_with_ties_match_reference(seed):
    # bins up to 37 x 45 pixels (several sparse-table levels along both axes), values in {0, 1}
    # so that most bins tie across rows and columns
    rng = numpy.random.default_rng(seed)
    x = rng.integers(0, 2, (2, 3, 37, 45)).astype(numpy.float64)
    x[0, :, 30:, 40:] = 2
    corners = rng.uniform(-10, 50, (12, 4))
    rois = numpy.concatenate((rng.integers(0, 2, (12, 1)), corners), axis=1)
    rois = numpy.concatenate((rois, [[0, 0, 0, 44, 36], [1, 3, 5, 44, 36], [0, 40, 2, 44, 36]]))
    for outh, outw in ((1, 1), (2, 3), (5, 2)):
        node = ROIPooling2D(outh, outw, 1.0)
        (y,) = node.apply((kusari.Variable(x), rois))
        y_ref, arg_ref = _roi_pooling_ref(x, rois, outh, outw, 1.0)
        numpy.testing.assert_array_equal(y.array, y_ref)
        numpy.testing.assert_array_equal(node.bins.argmax, arg_ref)


def test_roi_pooling_2d_tie_on_an_earlier_row_in_a_later_column():
    # the bin's maxima are at (3, 1) and (0, 6): the first in row-major order is (0, 6)
    x = numpy.zeros((1, 1, 5, 8), numpy.float32)
    x[0, 0, 3, 1] = x[0, 0, 0, 6] = 1
    node = ROIPooling2D(1, 1, 1.0)
    (y,) = node.apply((kusari.Variable(x), numpy.array([[0, 0, 0, 7, 4]], numpy.float32)))
    assert y.array[0, 0, 0, 0] == 1
    assert node.bins.argmax[0, 0, 0, 0] == 6
