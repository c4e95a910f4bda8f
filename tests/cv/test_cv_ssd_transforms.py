"""Tests of SSD's training transforms: IoU-constrained crop, color distortion, random resize."""

import colorsys
import math
from fractions import Fraction

import numpy
import PIL.Image
import pytest

from kusari_cv.links.model.ssd import (
    random_crop_with_bbox_constraints,
    random_distort,
    resize_with_random_interpolation,
)
from kusari_cv.links.model.ssd.transforms import _hsv_to_rgb, _rgb_to_hsv
from kusari_cv.transforms import resize

# ---------------------------------------------------------------- references, one pixel at a time


def _round_half_up(x):
    return math.floor(x + Fraction(1, 2))


def _ref_rgb_to_hsv(red, green, blue):
    value = max(red, green, blue)
    diff = value - min(red, green, blue)
    sat = _round_half_up(Fraction(255 * diff, value)) if value else 0
    if diff == 0:
        return 0, sat, value
    if value == red:
        hue = Fraction(30 * (green - blue), diff)
    elif value == green:
        hue = 60 + Fraction(30 * (blue - red), diff)
    else:
        hue = 120 + Fraction(30 * (red - green), diff)
    return _round_half_up(hue) % 180, sat, value


def _ref_hsv_to_rgb(hue, sat, value):
    sextant, frac = divmod(hue, 30)
    frac = Fraction(frac, 30)
    sat = Fraction(sat, 255)
    p = _round_half_up(value * (1 - sat))
    q = _round_half_up(value * (1 - sat * frac))
    t = _round_half_up(value * (1 - sat * (1 - frac)))
    return [
        (value, t, p),
        (q, value, p),
        (p, value, t),
        (p, q, value),
        (t, p, value),
        (value, p, q),
    ][sextant]


def _ref_hsv_op(rgb, op):
    out = numpy.empty_like(rgb)
    for y in range(rgb.shape[1]):
        for x in range(rgb.shape[2]):
            hsv = op(*_ref_rgb_to_hsv(*(int(c) for c in rgb[:, y, x])))
            out[:, y, x] = _ref_hsv_to_rgb(*hsv)
    return out


def _ref_convert(rgb, alpha=1.0, beta=0.0):
    return numpy.floor(numpy.clip(rgb * alpha + beta, 0, 255))


def _ref_distort(img, seed, bd, cl, ch, sl, sh, hd):
    """Replay random_distort's documented draws from RandomState(seed); return (out, applied)."""
    rs = numpy.random.RandomState(seed)
    applied = []
    rgb = _ref_convert(img.astype(numpy.float64))
    if rs.randint(2):
        rgb = _ref_convert(rgb, beta=rs.uniform(-bd, bd))
        applied.append("brightness")

    def contrast(rgb):
        if rs.randint(2):
            applied.append("contrast")
            return _ref_convert(rgb, alpha=rs.uniform(cl, ch))
        return rgb

    def saturation(rgb):
        if rs.randint(2):
            applied.append("saturation")
            alpha = rs.uniform(sl, sh)
            return _ref_hsv_op(rgb, lambda h, s, v: (h, int(_ref_convert(s, alpha=alpha)), v))
        return rgb

    def hue(rgb):
        if rs.randint(2):
            applied.append("hue")
            delta = rs.randint(-hd, hd + 1)
            return _ref_hsv_op(rgb, lambda h, s, v: ((h + delta) % 180, s, v))
        return rgb

    steps = (contrast, saturation, hue) if rs.randint(2) else (saturation, hue, contrast)
    for step in steps:
        rgb = step(rgb)
    return rgb, tuple(applied)


def _image(shape=(3, 3, 4), seed=0):
    return numpy.random.default_rng(seed).uniform(0, 255, size=shape).astype(numpy.float32)


# ---------------------------------------------------------------- HSV


def test_rgb_to_hsv_matches_reference_and_colorsys():
    rgb = numpy.random.default_rng(1).integers(0, 256, size=(3, 6, 7))
    rgb[:, 0, :3] = [[0, 255, 10], [0, 255, 10], [0, 255, 10]]  # grays, black, white
    rgb[:, 1, 0] = (255, 0, 0)
    rgb[:, 1, 1] = (0, 255, 0)
    rgb[:, 1, 2] = (0, 0, 255)
    hsv = _rgb_to_hsv(rgb)
    for y in range(rgb.shape[1]):
        for x in range(rgb.shape[2]):
            pixel = [int(c) for c in rgb[:, y, x]]
            assert tuple(hsv[:, y, x]) == _ref_rgb_to_hsv(*pixel)
            h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in pixel))
            hue_err = abs(hsv[0, y, x] - h * 180)
            assert min(hue_err, 180 - hue_err) <= 0.5 + 1e-9
            assert abs(hsv[1, y, x] - s * 255) <= 0.5 + 1e-9
            assert hsv[2, y, x] == round(v * 255)
    numpy.testing.assert_array_equal(
        hsv[:, 1, :3].T, [[0, 255, 255], [60, 255, 255], [120, 255, 255]]
    )


def test_hsv_to_rgb_matches_reference_and_colorsys():
    rng = numpy.random.default_rng(2)
    hsv = numpy.stack(
        (rng.integers(0, 180, (5, 6)), rng.integers(0, 256, (5, 6)), rng.integers(0, 256, (5, 6)))
    )
    rgb = _hsv_to_rgb(hsv)
    for y in range(hsv.shape[1]):
        for x in range(hsv.shape[2]):
            h, s, v = (int(c) for c in hsv[:, y, x])
            assert tuple(rgb[:, y, x]) == _ref_hsv_to_rgb(h, s, v)
            expected = numpy.array(colorsys.hsv_to_rgb(h / 180, s / 255, v / 255)) * 255
            assert numpy.abs(rgb[:, y, x] - expected).max() <= 0.5 + 1e-9


def test_hsv_round_trip_identity():
    gray = numpy.broadcast_to(numpy.arange(256).reshape(1, 16, 16), (3, 16, 16))
    numpy.testing.assert_array_equal(_hsv_to_rgb(_rgb_to_hsv(gray)), gray)
    hue = numpy.arange(180).reshape(1, 12, 15)
    for sat_value in (255, 200):
        hsv = numpy.concatenate((hue, numpy.full((2, 12, 15), sat_value)))
        numpy.testing.assert_array_equal(_rgb_to_hsv(_hsv_to_rgb(hsv)), hsv)
    rgb = numpy.random.default_rng(3).integers(0, 256, size=(3, 20, 20))
    # 8-bit hue has 180 levels: colors come back within a few levels, as with OpenCV.
    assert numpy.abs(_hsv_to_rgb(_rgb_to_hsv(rgb)) - rgb).max() <= 4


# ---------------------------------------------------------------- random_distort


def test_random_distort_shape_dtype_range():
    img = _image((3, 8, 9))
    for seed in range(10):
        numpy.random.seed(seed)
        out = random_distort(img)
        assert out.shape == img.shape
        assert out.dtype == numpy.float32
        assert out.min() >= 0 and out.max() <= 255
        numpy.testing.assert_array_equal(out, numpy.floor(out))


@pytest.mark.parametrize("params", [(32, 0.5, 1.5, 0.5, 1.5, 18), (100, 0.2, 2.5, 0.0, 3.0, 90)])
def test_random_distort_matches_replayed_reference(params):
    img = _image()
    img[:, 0, 0] = (300, -5, 128)  # out of range: clipped first
    seen = set()
    for seed in range(40):
        numpy.random.seed(seed)
        out = random_distort(img, *params)
        expected, applied = _ref_distort(img, seed, *params)
        numpy.testing.assert_array_equal(out, expected)
        seen.update(applied)
    assert seen == {"brightness", "contrast", "saturation", "hue"}


def _seed_applying(only, params=(32, 0.5, 1.5, 0.5, 1.5, 18)):
    img = _image()
    for seed in range(200):
        _, applied = _ref_distort(img, seed, *params)
        if applied == (only,):
            return seed
    raise AssertionError(f"no seed applies only {only}")


def test_random_distort_brightness_alone():
    img = _image()
    seed = _seed_applying("brightness")
    rs = numpy.random.RandomState(seed)
    rs.randint(2)
    beta = rs.uniform(-32, 32)
    numpy.random.seed(seed)
    out = random_distort(img)
    numpy.testing.assert_array_equal(out, numpy.clip(numpy.floor(numpy.floor(img) + beta), 0, 255))


def test_random_distort_contrast_alone():
    img = _image()
    seed = _seed_applying("contrast")
    rs = numpy.random.RandomState(seed)
    rs.randint(2), rs.randint(2)
    first = rs.randint(2)
    if not first:
        rs.randint(2), rs.randint(2)
    alpha = rs.uniform(0.5, 1.5)
    numpy.random.seed(seed)
    out = random_distort(img)
    expected = numpy.clip(numpy.floor(numpy.floor(img).astype(numpy.float64) * alpha), 0, 255)
    numpy.testing.assert_array_equal(out, expected)


def test_random_distort_hue_alone_rotates_hue():
    img = _image()
    seed = _seed_applying("hue")
    numpy.random.seed(seed)
    out = random_distort(img)
    hsv_in = _rgb_to_hsv(numpy.floor(img).astype(numpy.int64))
    hsv_out = _rgb_to_hsv(out.astype(numpy.int64))
    shift = (hsv_out[0] - hsv_in[0]) % 180
    shift = numpy.where(shift > 90, shift - 180, shift)
    numpy.testing.assert_array_less(numpy.abs(shift), 18 + 3)
    numpy.testing.assert_allclose(hsv_out[2], hsv_in[2], atol=1)


def test_random_distort_saturation_alone_scales_saturation():
    img = _image()
    seed = _seed_applying("saturation")
    numpy.random.seed(seed)
    out = random_distort(img)
    expected = _ref_distort(img, seed, 32, 0.5, 1.5, 0.5, 1.5, 18)[0]
    numpy.testing.assert_array_equal(out, expected)
    hsv_in = _rgb_to_hsv(numpy.floor(img).astype(numpy.int64))
    hsv_out = _rgb_to_hsv(out.astype(numpy.int64))
    rs = numpy.random.RandomState(seed)
    rs.randint(2)
    if rs.randint(2):
        rs.randint(2)
    rs.randint(2)
    alpha = rs.uniform(0.5, 1.5)
    scaled = numpy.clip(numpy.floor(hsv_in[1] * alpha), 0, 255)
    numpy.testing.assert_allclose(hsv_out[1], scaled, atol=2)  # up to re-quantization
    numpy.testing.assert_allclose(hsv_out[2], hsv_in[2], atol=1)


def test_random_distort_seeded_repeatability():
    img = _image((3, 5, 6))
    numpy.random.seed(7)
    first = random_distort(img)
    numpy.random.seed(7)
    numpy.testing.assert_array_equal(random_distort(img), first)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"brightness_delta": -1}, "brightness_delta"),
        ({"contrast_low": 2.0}, "contrast_low <= contrast_high"),
        ({"saturation_low": 2.0}, "saturation_low <= saturation_high"),
        ({"hue_delta": 1.5}, "hue_delta"),
    ],
)
def test_random_distort_bad_args(kwargs, message):
    with pytest.raises(ValueError, match=message):
        random_distort(_image(), **kwargs)


def test_random_distort_needs_rgb():
    with pytest.raises(ValueError, match="random_distort: expected an RGB img with 3 channels"):
        random_distort(numpy.zeros((1, 4, 4), numpy.float32))


@pytest.mark.gpu
def test_random_distort_cupy_matches_numpy():
    cupy = pytest.importorskip("cupy")
    img = _image((3, 6, 7))
    for seed in range(8):
        numpy.random.seed(seed)
        expected = random_distort(img)
        numpy.random.seed(seed)
        out = random_distort(cupy.asarray(img))
        assert isinstance(out, cupy.ndarray)
        numpy.testing.assert_array_equal(cupy.asnumpy(out), expected)


# ---------------------------------------------------------------- random_crop_with_bbox_constraints


def _ref_iou(bbox, crop):
    tl = numpy.maximum(bbox[:, :2], crop[:2])
    br = numpy.minimum(bbox[:, 2:], crop[2:])
    inter = numpy.prod(numpy.clip(br - tl, 0, None), axis=1)
    area = numpy.prod(bbox[:, 2:] - bbox[:, :2], axis=1)
    return inter / (area + numpy.prod(crop[2:] - crop[:2]) - inter)


_BBOX = numpy.array([[2, 3, 20, 18], [10, 12, 30, 38], [25, 1, 38, 9]], dtype=numpy.float32)


def test_crop_constraints_honored():
    img = numpy.arange(3 * 40 * 48, dtype=numpy.float32).reshape(3, 40, 48)
    seen = set()
    for seed in range(60):
        numpy.random.seed(seed)
        out, param = random_crop_with_bbox_constraints(img, _BBOX, return_param=True)
        ys, xs = param["y_slice"], param["x_slice"]
        assert 0 <= ys.start < ys.stop <= 40 and 0 <= xs.start < xs.stop <= 48
        numpy.testing.assert_array_equal(out, img[:, ys, xs])
        seen.add(param["constraint"])
        if param["constraint"] is None:
            assert (ys, xs) == (slice(0, 40), slice(0, 48))
            continue
        min_iou, max_iou = param["constraint"]
        iou = _ref_iou(_BBOX, numpy.array([ys.start, xs.start, ys.stop, xs.stop], float))
        assert ((min_iou <= iou + 1e-6) & (iou <= max_iou + 1e-6)).all()
        assert (iou >= min_iou - 1e-6).any()
        scale_h, scale_w = (ys.stop - ys.start) / 40, (xs.stop - xs.start) / 48
        assert 0.3 - 1 / 40 <= math.sqrt(scale_h * scale_w) <= 1 + 1e-9
    assert None in seen and (0.1, 1.0) in seen and (0.0, 1.0) in seen


def test_crop_single_constraint_and_trials():
    img = numpy.zeros((1, 40, 48), numpy.float32)
    bbox = _BBOX[:1]
    for seed in range(20):
        numpy.random.seed(seed)
        _, param = random_crop_with_bbox_constraints(
            img, bbox, constraints=[(0.3, 0.6)], return_param=True
        )
        if param["constraint"] is not None:
            assert param["constraint"] == (0.3, 0.6)
            ys, xs = param["y_slice"], param["x_slice"]
            iou = _ref_iou(bbox, numpy.array([ys.start, xs.start, ys.stop, xs.stop], float))
            assert 0.3 <= iou[0] <= 0.6
    numpy.random.seed(0)
    _, param = random_crop_with_bbox_constraints(img, bbox, max_trial=0, return_param=True)
    assert param["constraint"] is None


def test_crop_without_boxes_returns_whole_image():
    img = numpy.ones((3, 10, 12), numpy.float32)
    out, param = random_crop_with_bbox_constraints(
        img, numpy.zeros((0, 4), numpy.float32), return_param=True
    )
    assert param == {"constraint": None, "y_slice": slice(0, 10), "x_slice": slice(0, 12)}
    assert out.shape == img.shape


def test_crop_return_param_consistent_and_repeatable():
    img = numpy.arange(3 * 40 * 48, dtype=numpy.float32).reshape(3, 40, 48)
    for seed in range(5):
        numpy.random.seed(seed)
        out, param = random_crop_with_bbox_constraints(img, _BBOX, return_param=True)
        numpy.random.seed(seed)
        plain = random_crop_with_bbox_constraints(img, _BBOX)
        numpy.testing.assert_array_equal(plain, out)
        numpy.random.seed(seed)
        _, again = random_crop_with_bbox_constraints(img, _BBOX, return_param=True)
        assert again == param


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"min_scale": 0.0}, ValueError, "0 < min_scale <= max_scale <= 1"),
        ({"min_scale": 0.8, "max_scale": 0.5}, ValueError, "min_scale <= max_scale"),
        ({"max_aspect_ratio": 0.5}, ValueError, "max_aspect_ratio >= 1"),
        ({"max_trial": -1}, ValueError, "max_trial"),
        ({"constraints": [(0.5, 0.2)]}, ValueError, "min_iou <= max_iou"),
        ({"constraints": [(0.5,)]}, ValueError, "expected each constraint"),
        ({"constraints": 3}, TypeError, "iterable"),
    ],
)
def test_crop_bad_args(kwargs, error, message):
    img = numpy.zeros((3, 10, 10), numpy.float32)
    with pytest.raises(error, match=message):
        random_crop_with_bbox_constraints(img, _BBOX, **kwargs)


def test_crop_bad_bbox():
    with pytest.raises(ValueError, match="random_crop_with_bbox_constraints: expected bbox"):
        random_crop_with_bbox_constraints(numpy.zeros((3, 4, 4)), numpy.zeros((2, 3)))


# ---------------------------------------------------------------- resize_with_random_interpolation


def test_resize_with_random_interpolation_records_filter():
    img = _image((2, 7, 9))
    seen = set()
    for seed in range(16):
        numpy.random.seed(seed)
        out, param = resize_with_random_interpolation(img, (5, 11), return_param=True)
        assert out.shape == (2, 5, 11) and out.dtype == numpy.float32
        inter = param["interpolation"]
        choices = (PIL.Image.NEAREST, PIL.Image.BILINEAR, PIL.Image.BICUBIC, PIL.Image.LANCZOS)
        assert inter == choices[numpy.random.RandomState(seed).randint(4)]
        numpy.testing.assert_array_equal(out, resize(img, (5, 11), interpolation=inter))
        numpy.random.seed(seed)
        numpy.testing.assert_array_equal(resize_with_random_interpolation(img, (5, 11)), out)
        seen.add(inter)
    assert len(seen) == 4


def test_resize_with_random_interpolation_bad_size():
    with pytest.raises(ValueError, match="resize_with_random_interpolation: expected size"):
        resize_with_random_interpolation(_image(), (3,))
