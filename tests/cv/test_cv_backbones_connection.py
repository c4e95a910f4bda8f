"""Conv2DActiv, Conv2DBNActiv and PickableSequentialChain against NumPy references."""

import io

import numpy
import pytest

import kusari
import kusari.functions as F
import kusari.links as L
from kusari_cv.links.connection import Conv2DActiv, Conv2DBNActiv
from kusari_cv.links.model.pickable_sequential_chain import PickableSequentialChain


def _conv_ref(x, W, b=None, stride=1, pad=0, dilate=1):
    """Direct 2-D cross-correlation: one einsum per kernel offset."""
    n, _, h, w = x.shape
    out_c, _, kh, kw = W.shape
    xp = numpy.pad(x.astype(numpy.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho = (h + 2 * pad - dilate * (kh - 1) - 1) // stride + 1
    wo = (w + 2 * pad - dilate * (kw - 1) - 1) // stride + 1
    y = numpy.zeros((n, out_c, ho, wo))
    for i in range(kh):
        for j in range(kw):
            patch = xp[
                :,
                :,
                i * dilate : i * dilate + stride * (ho - 1) + 1 : stride,
                j * dilate : j * dilate + stride * (wo - 1) + 1 : stride,
            ]
            y += numpy.einsum("bchw,oc->bohw", patch, W[:, :, i, j])
    if b is not None:
        y += b[None, :, None, None]
    return y


def _saved_keys(link):
    buf = io.BytesIO()
    kusari.serializers.save_npz(buf, link)
    buf.seek(0)
    with numpy.load(buf) as npz:
        return sorted(npz.files)


@pytest.fixture
def x():
    return numpy.random.default_rng(0).standard_normal((2, 3, 7, 6)).astype(numpy.float32)


@pytest.mark.parametrize("stride, pad, dilate", [(1, 1, 1), (2, 0, 1), (1, 2, 2)])
def test_conv_2d_activ_matches_reference(x, stride, pad, dilate):
    layer = Conv2DActiv(3, 4, 3, stride, pad, dilate, initial_bias=0.5)
    y = layer(x).array
    W = layer.conv.W.array
    expected = numpy.maximum(_conv_ref(x, W, layer.conv.b.array, stride, pad, dilate), 0)
    numpy.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_conv_2d_activ_lazy_and_identity(x):
    layer = Conv2DActiv(4, 1, activ=None)
    y = layer(x).array
    assert layer.conv.W.shape == (4, 3, 1, 1)
    numpy.testing.assert_allclose(y, _conv_ref(x, layer.conv.W.array), rtol=1e-5, atol=1e-5)
    assert (y < 0).any()
    assert _saved_keys(layer) == ["conv/W", "conv/b"]


def test_conv_2d_bn_activ_train_and_test(x):
    rng = numpy.random.default_rng(1)
    layer = Conv2DBNActiv(None, 4, 3, 1, 1, bn_kwargs={"eps": 1e-3, "decay": 0.5})
    assert layer.conv.b is None and layer.bn.eps == 1e-3
    layer.bn.gamma.array[:] = rng.uniform(0.5, 2, 4)
    layer.bn.beta.array[:] = rng.uniform(-1, 1, 4)
    y = layer(x).array
    h = _conv_ref(x, layer.conv.W.array, None, 1, 1)
    mean = h.mean(axis=(0, 2, 3))
    var = h.var(axis=(0, 2, 3))
    gamma = layer.bn.gamma.array[None, :, None, None]
    beta = layer.bn.beta.array[None, :, None, None]
    normed = (h - mean[None, :, None, None]) / numpy.sqrt(var[None, :, None, None] + 1e-3)
    numpy.testing.assert_allclose(y, numpy.maximum(gamma * normed + beta, 0), atol=1e-4)

    layer.bn.avg_mean[:] = rng.uniform(-1, 1, 4)
    layer.bn.avg_var[:] = rng.uniform(0.5, 2, 4)
    with kusari.using_config("train", False):
        y = layer(x).array
    avg_mean = layer.bn.avg_mean[None, :, None, None]
    avg_var = layer.bn.avg_var[None, :, None, None]
    expected = gamma * (h - avg_mean) / numpy.sqrt(avg_var + 1e-3) + beta
    numpy.testing.assert_allclose(y, numpy.maximum(expected, 0), atol=1e-4)


def test_conv_2d_bn_activ_groups_keys_and_round_trip(x, tmp_path):
    x6 = numpy.concatenate([x, x], axis=1)
    layer = Conv2DBNActiv(6, 4, 3, pad=1, groups=2, nobias=False, activ=F.sigmoid)
    assert layer.conv.W.shape == (4, 3, 3, 3)
    assert _saved_keys(layer) == [
        "bn/N",
        "bn/avg_mean",
        "bn/avg_var",
        "bn/beta",
        "bn/gamma",
        "conv/W",
        "conv/b",
    ]
    layer(x6)
    path = tmp_path / "layer.npz"
    kusari.serializers.save_npz(path, layer)
    other = Conv2DBNActiv(6, 4, 3, pad=1, groups=2, nobias=False, activ=F.sigmoid)
    kusari.serializers.load_npz(path, other)
    with kusari.using_config("train", False):
        numpy.testing.assert_array_equal(layer(x6).array, other(x6).array)


def test_conv_bad_arguments():
    with pytest.raises(TypeError, match="Conv2DBNActiv: activ"):
        Conv2DBNActiv(3, 4, 3, activ="relu")
    with pytest.raises(TypeError, match="Conv2DActiv: activ"):
        Conv2DActiv(3, 4, 3, activ=1)
    with pytest.raises(ValueError, match="comm"):
        Conv2DBNActiv(3, 4, 3, bn_kwargs={"comm": object()})
    with pytest.raises(TypeError, match="bn_kwargs"):
        Conv2DBNActiv(3, 4, 3, bn_kwargs=[("eps", 1e-3)])


def _chain():
    model = PickableSequentialChain()
    with model.init_scope():
        model.l1 = L.Linear(3, 4)
        model.l1_relu = F.relu
        model.l2 = L.Linear(4, 2)
        model.l3 = L.Linear(2, 5)
    return model


def test_pickable_sequential_chain_pick():
    model = _chain()
    x = numpy.random.default_rng(2).standard_normal((2, 3)).astype(numpy.float32)
    assert model.layer_names == ["l1", "l1_relu", "l2", "l3"]
    h1 = x @ model.l1.W.array.T + model.l1.b.array
    h2 = numpy.maximum(h1, 0) @ model.l2.W.array.T + model.l2.b.array
    h3 = h2 @ model.l3.W.array.T + model.l3.b.array
    assert model.pick is None
    numpy.testing.assert_allclose(model(x).array, h3, rtol=1e-5, atol=1e-6)
    model.pick = "l1"
    assert model.pick == "l1"
    numpy.testing.assert_allclose(model(x).array, h1, rtol=1e-5, atol=1e-6)
    model.pick = ["l2", "l1_relu"]
    assert model.pick == ("l2", "l1_relu")
    out = model(x)
    assert isinstance(out, tuple) and len(out) == 2
    numpy.testing.assert_allclose(out[0].array, h2, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(out[1].array, numpy.maximum(h1, 0), rtol=1e-5, atol=1e-6)
    model.pick = ("l1",)
    assert isinstance(model(x), tuple)


def test_pickable_sequential_chain_remove_unused():
    model = _chain()
    model.remove_unused()
    assert model.layer_names == ["l1", "l1_relu", "l2", "l3"]
    model.pick = ("l1_relu", "l1")
    model.remove_unused()
    assert model.layer_names == ["l1", "l1_relu"]
    assert not hasattr(model, "l2") and not hasattr(model, "l3")
    assert _saved_keys(model) == ["l1/W", "l1/b"]
    with pytest.raises(AttributeError, match="in pick"):
        del model.l1
    model.pick = None
    del model.l1_relu
    assert model.layer_names == ["l1"]


def test_pickable_sequential_chain_bad_pick():
    model = _chain()
    with pytest.raises(ValueError, match="invalid layer name"):
        model.pick = "l4"
    with pytest.raises(ValueError, match="invalid layer name"):
        model.pick = ("l1", "fc")
    with pytest.raises(TypeError, match="layer names must be str"):
        model.pick = ("l1", 2)
    with pytest.raises(TypeError, match="iterable"):
        model.pick = 3
    with pytest.raises(ValueError, match="empty"):
        model.pick = []
    assert model.pick is None
    with pytest.raises(ValueError, match="no layers"):
        PickableSequentialChain()(numpy.zeros((1, 3), numpy.float32))


@pytest.mark.gpu
def test_conv_2d_bn_activ_cupy_matches_numpy(x):
    cupy = pytest.importorskip("cupy")
    layer = Conv2DBNActiv(3, 4, 3, pad=1)
    layer(x)
    with kusari.using_config("train", False):
        expected = layer(x).array
        layer.to_gpu()
        out = layer(cupy.asarray(x)).array
    assert isinstance(out, cupy.ndarray)
    numpy.testing.assert_allclose(cupy.asnumpy(out), expected, rtol=1e-5, atol=1e-5)
