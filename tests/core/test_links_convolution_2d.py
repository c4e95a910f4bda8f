import numpy
import pytest

import kusari
import kusari.links as L
from kusari import initializers


def _randn(*shape, dtype=numpy.float32, seed=0):
    return numpy.random.RandomState(seed).randn(*shape).astype(dtype)


def _conv_reference(x, W, b, stride, pad, dilate, groups):
    """Direct (loop) 2-D cross-correlation, written independently of kusari."""
    B, C, H, Wd = x.shape
    n_out, Cg, kh, kw = W.shape
    sy, sx = stride
    ph, pw = pad
    dy, dx = dilate
    xp = numpy.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (H + 2 * ph - dy * (kh - 1) - 1) // sy + 1
    ow = (Wd + 2 * pw - dx * (kw - 1) - 1) // sx + 1
    y = numpy.zeros((B, n_out, oh, ow), numpy.float64)
    per_group = n_out // groups
    for o in range(n_out):
        g = o // per_group
        for i in range(oh):
            for j in range(ow):
                patch = xp[
                    :,
                    g * Cg : (g + 1) * Cg,
                    i * sy : i * sy + dy * (kh - 1) + 1 : dy,
                    j * sx : j * sx + dx * (kw - 1) + 1 : dx,
                ]
                y[:, o, i, j] = (patch * W[o]).sum(axis=(1, 2, 3))
    if b is not None:
        y += b[None, :, None, None]
    return y


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ksize": 3},
        {"ksize": (2, 3), "stride": 2, "pad": 1},
        {"ksize": 3, "pad": (2, 1), "dilate": 2},
        {"ksize": 1, "groups": 2, "nobias": True},
    ],
)
def test_forward_matches_reference(kwargs):
    conv = L.Convolution2D(4, 6, initial_bias=initializers.Normal(1.0), **kwargs)
    x = _randn(2, 4, 7, 6)
    y = conv(x)
    b = None if conv.b is None else conv.b.array
    expected = _conv_reference(x, conv.W.array, b, conv.stride, conv.pad, conv.dilate, conv.groups)
    assert y.shape == expected.shape and y.dtype == numpy.float32
    numpy.testing.assert_allclose(y.array, expected, rtol=1e-4, atol=1e-4)


def test_parameter_shapes_and_default_initialization():
    conv = L.Convolution2D(8, 30, ksize=(3, 2), groups=2)
    assert conv.W.shape == (30, 4, 3, 2) and conv.b.shape == (30,)
    assert conv.stride == (1, 1) and conv.pad == (0, 0) and conv.dilate == (1, 1)
    numpy.testing.assert_array_equal(conv.b.array, 0)
    # LeCunNormal: variance 1 / fan_in with fan_in = 4 * 3 * 2
    numpy.testing.assert_allclose(conv.W.array.std(), numpy.sqrt(1 / 24), rtol=0.1)
    assert [path for path, _ in conv.namedparams()] == ["/W", "/b"]


@pytest.mark.parametrize("args", [(5, 3), (None, 5, 3)])
def test_lazy_in_channels(args):
    conv = L.Convolution2D(*args, pad=1)
    assert conv.out_channels == 5 and conv.ksize == 3
    assert not conv.W.is_initialized and conv.b.shape == (5,)
    x = _randn(2, 3, 4, 4)
    y = conv(x)
    assert conv.W.shape == (5, 3, 3, 3) and y.shape == (2, 5, 4, 4)
    expected = _conv_reference(x, conv.W.array, conv.b.array, (1, 1), (1, 1), (1, 1), 1)
    numpy.testing.assert_allclose(y.array, expected, rtol=1e-4, atol=1e-4)


def test_backward_gradients_of_parameters():
    conv = L.Convolution2D(2, 3, 2, initialW=initializers.Normal(1.0))
    x = kusari.Variable(_randn(2, 2, 3, 3, dtype=numpy.float64))
    conv.W.array = conv.W.array.astype(numpy.float64)
    conv.b.array = conv.b.array.astype(numpy.float64)
    y = conv(x)
    gy = _randn(*y.shape, dtype=numpy.float64, seed=1)
    y.grad = gy
    y.backward()
    # y is linear in W: d(sum(gy * y)) / dW[o, c, u, v] = sum(gy[:, o] * x[:, c, u:u+2, v:v+2])
    expected_gW = numpy.zeros_like(conv.W.array)
    for u in range(2):
        for v in range(2):
            patch = x.array[:, :, u : u + 2, v : v + 2]
            expected_gW[:, :, u, v] = numpy.einsum("bohw,bchw->oc", gy, patch)
    numpy.testing.assert_allclose(conv.W.grad, expected_gW, rtol=1e-10)
    numpy.testing.assert_allclose(conv.b.grad, gy.sum(axis=(0, 2, 3)), rtol=1e-10)


def test_groups_must_divide_channels():
    with pytest.raises(ValueError, match=r"Convolution2D: out_channels \(5\) must be divisible"):
        L.Convolution2D(4, 5, 3, groups=2)
    with pytest.raises(ValueError, match=r"Convolution2D: in_channels \(3\) must be divisible"):
        L.Convolution2D(3, 4, 3, groups=2)
    lazy = L.Convolution2D(None, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"in_channels \(3\) must be divisible by groups \(2\)"):
        lazy(_randn(1, 3, 4, 4))


def test_bad_input_names_convolution_2d():
    conv = L.Convolution2D(3, 2, 3)
    with pytest.raises(ValueError, match=r"convolution_2d: x.shape\[1\] \(4\)"):
        conv(_randn(1, 4, 5, 5))
