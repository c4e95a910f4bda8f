import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _uniform(shape, dtype, seed):
    return numpy.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


def _position(o, n, m, mode, align_corners):
    """Input position sampled by output pixel ``o`` (input length ``n``, output ``m``)."""
    if mode == "bilinear":
        if align_corners:
            return o * (n - 1) / (m - 1) if m > 1 else 0.0
        return max((o + 0.5) * n / m - 0.5, 0.0)
    if align_corners:
        return float(numpy.round(o * (n - 1) / (m - 1) if m > 1 else 0.0))
    return float(min(numpy.floor(o * n / m), n - 1))


def _resize_ref(x, out_hw, mode, align_corners):
    """Four-neighbour blend per output pixel, written straight from the definition."""
    n, c, h, w = x.shape
    out_h, out_w = out_hw
    y = numpy.zeros((n, c, out_h, out_w))
    xd = x.astype(numpy.float64)
    for i in range(out_h):
        py = _position(i, h, out_h, mode, align_corners)
        y0 = int(numpy.floor(py))
        y1, ty = min(y0 + 1, h - 1), py - y0
        for j in range(out_w):
            px = _position(j, w, out_w, mode, align_corners)
            x0 = int(numpy.floor(px))
            x1, tx = min(x0 + 1, w - 1), px - x0
            y[:, :, i, j] = (
                (1 - ty) * (1 - tx) * xd[:, :, y0, x0]
                + (1 - ty) * tx * xd[:, :, y0, x1]
                + ty * (1 - tx) * xd[:, :, y1, x0]
                + ty * tx * xd[:, :, y1, x1]
            )
    return y.astype(x.dtype)


_CASES = [
    # x shape, output shape
    ((2, 3, 3, 4), (5, 7)),
    ((1, 2, 6, 5), (4, 2)),
    ((1, 1, 2, 3), (9, 10)),
    ((2, 1, 4, 4), (1, 1)),
    ((1, 2, 1, 1), (3, 2)),
    ((1, 1, 5, 3), (5, 3)),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize(("x_shape", "out_hw"), _CASES)
def test_resize_images(dtype, mode, align_corners, x_shape, out_hw):
    x = _uniform(x_shape, dtype, 0)
    check_function(
        lambda v: F.resize_images(v, out_hw, mode=mode, align_corners=align_corners),
        (x,),
        lambda a: _resize_ref(a, out_hw, mode, align_corners),
    )


def test_resize_images_matches_opencv_and_chainer_values():
    x = numpy.array([[1, 2, 0], [3, 4, 0], [0, 0, 0]], numpy.float32).reshape(1, 1, 3, 3)
    aligned = F.resize_images(x, (6, 6)).array[0, 0]
    numpy.testing.assert_allclose(aligned[0], [1, 1.4, 1.8, 1.6, 0.8, 0], rtol=1e-6, atol=1e-6)
    numpy.testing.assert_allclose(aligned[:, 0], [1, 1.8, 2.6, 2.4, 1.2, 0], rtol=1e-6, atol=1e-6)
    # align_corners=False is cv2.resize(..., interpolation=INTER_LINEAR)
    opencv = F.resize_images(x, (6, 6), align_corners=False).array[0, 0]
    numpy.testing.assert_allclose(opencv[0], [1, 1.25, 1.75, 1.5, 0.5, 0], atol=1e-6)
    numpy.testing.assert_allclose(opencv[3], [2.25, 2.4375, 2.8125, 2.25, 0.75, 0], atol=1e-6)
    nearest = F.resize_images(x, (6, 6), mode="nearest", align_corners=False).array[0, 0]
    numpy.testing.assert_array_equal(nearest, x[0, 0].repeat(2, axis=0).repeat(2, axis=1))


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize(("in_hw", "out_hw"), [((2, 3), (11, 13)), ((9, 8), (2, 3))])
def test_resize_images_gradient_is_the_transpose(mode, in_hw, out_hw):
    x = kusari.Variable(_uniform((2, 3) + in_hw, numpy.float64, 0))
    y = F.resize_images(x, out_hw, mode=mode, align_corners=False)
    gy = _uniform(y.shape, numpy.float64, 1)
    y.grad = gy
    y.backward()
    # column k of the Jacobian is the resize of the k-th unit image
    flat = numpy.eye(int(numpy.prod(in_hw))).reshape((-1, 1) + in_hw)
    jac = F.resize_images(flat, out_hw, mode=mode, align_corners=False).array
    expected = numpy.einsum("kyx,bcyx->bck", jac[:, 0], gy).reshape(x.shape)
    numpy.testing.assert_allclose(x.grad, expected, rtol=1e-12, atol=1e-12)


def test_resize_images_zero_size_batch():
    y = F.resize_images(numpy.zeros((0, 2, 3, 3), numpy.float32), (5, 4))
    assert y.shape == (0, 2, 5, 4)


def test_resize_images_bad_input():
    x = numpy.zeros((1, 1, 3, 3), numpy.float32)
    with pytest.raises(
        ValueError,
        match=r"resize_images: mode must be 'bilinear' or 'nearest', "
        r"got 'bicubic'",
    ):
        F.resize_images(x, (4, 4), mode="bicubic")
    with pytest.raises(TypeError, match=r"resize_images: output_shape must be a pair of ints"):
        F.resize_images(x, 4)
    with pytest.raises(TypeError, match=r"resize_images: output_shape must be a pair of ints"):
        F.resize_images(x, (4.0, 4))
    with pytest.raises(
        ValueError,
        match=r"resize_images: output_shape entries must be >= 1, "
        r"got \(0, 4\)",
    ):
        F.resize_images(x, (0, 4))
    with pytest.raises(InvalidType, match=r"resize_images: x\.ndim must be 4, got 3"):
        F.resize_images(x[0], (4, 4))
    with pytest.raises(InvalidType, match=r"resize_images: x must be a float array"):
        F.resize_images(x.astype(numpy.int32), (4, 4))
    with pytest.raises(InvalidType, match=r"resize_images: x must have a non-empty height"):
        F.resize_images(numpy.zeros((1, 1, 0, 3), numpy.float32), (4, 4))
    with pytest.raises(TypeError, match=r"resize_images\(\) takes 2 positional arguments"):
        F.resize_images(x, (4, 4), "nearest")
