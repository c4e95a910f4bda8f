import numpy
import pytest

import kusari
import kusari.links as L
from kusari import initializers, serializers


def _randn(*shape, dtype=numpy.float32, seed=0):
    return numpy.random.RandomState(seed).randn(*shape).astype(dtype)


def _dilated_ref(x, W, b, stride, pad, dilate):
    """Direct loop over output positions, taps ``dilate`` apart, in float64."""
    (sy, sx), (ph, pw), (dy, dx) = stride, pad, dilate
    n, c, h, w = x.shape
    out_c, _, kh, kw = W.shape
    xp = numpy.pad(x.astype(numpy.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out_h = (h + 2 * ph - dy * (kh - 1) - 1) // sy + 1
    out_w = (w + 2 * pw - dx * (kw - 1) - 1) // sx + 1
    y = numpy.zeros((n, out_c, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            patch = xp[
                :,
                :,
                i * sy : i * sy + dy * (kh - 1) + 1 : dy,
                j * sx : j * sx + dx * (kw - 1) + 1 : dx,
            ]
            y[:, :, i, j] = numpy.einsum("bcuv,ocuv->bo", patch, W)
    if b is not None:
        y += b[None, :, None, None]
    return y


@pytest.mark.parametrize(
    ("args", "kwargs", "stride", "pad", "dilate"),
    [
        ((3, 4, 3), {}, (1, 1), (0, 0), (1, 1)),
        ((3, 4, 3, 1, 2, 2), {}, (1, 1), (2, 2), (2, 2)),
        ((3, 4, (2, 3)), {"stride": 2, "pad": (1, 2), "dilate": (3, 1)}, (2, 2), (1, 2), (3, 1)),
        ((3, 4, 2), {"dilate": 2, "nobias": True}, (1, 1), (0, 0), (2, 2)),
    ],
)
def test_forward_matches_reference(args, kwargs, stride, pad, dilate):
    conv = L.DilatedConvolution2D(*args, initial_bias=initializers.Normal(1.0), **kwargs)
    x = _randn(2, 3, 9, 8)
    y = conv(x)
    b = None if conv.b is None else conv.b.array
    assert conv.stride == stride and conv.pad == pad and conv.dilate == dilate
    assert y.dtype == numpy.float32
    numpy.testing.assert_allclose(
        y.array, _dilated_ref(x, conv.W.array, b, stride, pad, dilate), rtol=1e-4, atol=1e-4
    )


def test_parameters_and_default_initialization():
    conv = L.DilatedConvolution2D(4, 6, (3, 2), dilate=2)
    assert conv.W.shape == (6, 4, 3, 2) and conv.b.shape == (6,)
    numpy.testing.assert_array_equal(conv.b.array, 0)
    numpy.testing.assert_allclose(conv.W.array.std(), numpy.sqrt(1 / 24), rtol=0.25)
    assert [path for path, _ in conv.namedparams()] == ["/W", "/b"]
    assert L.DilatedConvolution2D(4, 6, 3, nobias=True).b is None


@pytest.mark.parametrize("args", [(5, 3), (None, 5, 3)])
def test_lazy_in_channels(args):
    conv = L.DilatedConvolution2D(*args, pad=2, dilate=2)
    assert conv.out_channels == 5 and conv.ksize == 3
    assert not conv.W.is_initialized and conv.b.shape == (5,)
    x = _randn(2, 3, 6, 6)
    y = conv(x)
    assert conv.W.shape == (5, 3, 3, 3) and y.shape == (2, 5, 6, 6)
    numpy.testing.assert_allclose(
        y.array,
        _dilated_ref(x, conv.W.array, conv.b.array, (1, 1), (2, 2), (2, 2)),
        rtol=1e-4,
        atol=1e-4,
    )


def test_initializers_are_used():
    W = _randn(2, 3, 2, 2)
    conv = L.DilatedConvolution2D(3, 2, 2, initialW=W, initial_bias=0.5)
    numpy.testing.assert_array_equal(conv.W.array, W)
    numpy.testing.assert_array_equal(conv.b.array, numpy.full(2, 0.5, numpy.float32))


def test_backward_reaches_parameters():
    conv = L.DilatedConvolution2D(2, 3, 2, dilate=2, initialW=initializers.Normal(1.0))
    conv.W.array = conv.W.array.astype(numpy.float64)
    conv.b.array = conv.b.array.astype(numpy.float64)
    x = kusari.Variable(_randn(2, 2, 5, 5, dtype=numpy.float64))
    y = conv(x)
    gy = _randn(*y.shape, dtype=numpy.float64, seed=1)
    y.grad = gy
    y.backward()
    expected = numpy.zeros_like(conv.W.array)
    for u in range(2):
        for v in range(2):
            patch = x.array[:, :, 2 * u : 2 * u + 3, 2 * v : 2 * v + 3]
            expected[:, :, u, v] = numpy.einsum("bohw,bchw->oc", gy, patch)
    numpy.testing.assert_allclose(conv.W.grad, expected, rtol=1e-10)
    numpy.testing.assert_allclose(conv.b.grad, gy.sum(axis=(0, 2, 3)), rtol=1e-10)


def test_npz_round_trip(tmp_path):
    conv = L.DilatedConvolution2D(3, 2, 3, dilate=2, initial_bias=initializers.Normal(1.0))
    path = tmp_path / "conv.npz"
    serializers.save_npz(str(path), conv)
    with numpy.load(path) as f:
        assert sorted(f.files) == ["W", "b"]
    other = L.DilatedConvolution2D(None, 2, 3, dilate=2)
    serializers.load_npz(str(path), other)
    numpy.testing.assert_array_equal(other.W.array, conv.W.array)
    numpy.testing.assert_array_equal(other.b.array, conv.b.array)


def test_missing_arguments_and_bad_input():
    with pytest.raises(
        ValueError,
        match=r"DilatedConvolution2D: out_channels and ksize are "
        r"required, got out_channels=4 and ksize=None",
    ):
        L.DilatedConvolution2D(4)
    conv = L.DilatedConvolution2D(3, 2, 3, dilate=2)
    with pytest.raises(ValueError, match=r"convolution_2d: x\.shape\[1\] \(4\) != W\.shape\[1\]"):
        conv(_randn(1, 4, 7, 7))
    with pytest.raises(ValueError, match=r"convolution_2d: the output would be empty"):
        conv(_randn(1, 3, 4, 4))
