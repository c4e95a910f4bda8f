"""ResNet: ChainerCV's layer names and .npz layout, forward values, pick and loading."""

import numpy
import pytest

import kusari
from kusari_cv.links.model.resnet import (
    Bottleneck,
    ResBlock,
    ResNet,
    ResNet50,
    ResNet101,
    ResNet152,
)

BN_KEYS = ("N", "avg_mean", "avg_var", "beta", "gamma")
# Tiling a block of prime length never lines up with a weight axis.
_BLOCK = numpy.random.default_rng(0).standard_normal(100_003).astype(numpy.float32)


def _fast_he(array):
    """He-scaled weights tiled from a fixed block of normal samples (quick for 10^7 weights)."""
    block = _BLOCK
    fan_in = int(numpy.prod(array.shape[1:]))
    array[...] = numpy.resize(block, array.shape) * numpy.float32(numpy.sqrt(2.0 / fan_in))


def _conv_ref(x, W, stride=1, pad=0, dilate=1):
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
    return y


def _conv_bn_ref(layer, x, stride=1, pad=0, dilate=1, relu=True):
    """Conv2DBNActiv in test mode: conv, then the running statistics' affine map."""
    h = _conv_ref(x, layer.conv.W.array, stride, pad, dilate)
    bn = layer.bn
    scale = bn.gamma.array / numpy.sqrt(bn.avg_var + bn.eps)
    h = (h - bn.avg_mean[None, :, None, None]) * scale[None, :, None, None]
    h = h + bn.beta.array[None, :, None, None]
    return numpy.maximum(h, 0) if relu else h


def _randomize_bn(link, rng):
    for _, child in link.namedlinks():
        if isinstance(child, kusari.links.BatchNormalization):
            size = child.avg_mean.shape
            child.gamma.array[:] = rng.uniform(0.5, 1.5, size)
            child.beta.array[:] = rng.uniform(-0.5, 0.5, size)
            child.avg_mean[:] = rng.uniform(-0.5, 0.5, size)
            child.avg_var[:] = rng.uniform(0.5, 2.0, size)


def _bottleneck_names(n_blocks):
    for stage, n in zip((2, 3, 4, 5), n_blocks, strict=True):
        for unit in ["a"] + [f"b{i}" for i in range(1, n)]:
            yield f"res{stage}/{unit}"


def _expected_keys(n_blocks, conv1_bias, fc=True):
    """The .npz keys of ChainerCV's ResNet for stages of ``n_blocks`` bottlenecks."""
    keys = {"conv1/conv/W"} | {f"conv1/bn/{k}" for k in BN_KEYS}
    if conv1_bias:
        keys.add("conv1/conv/b")
    for unit in _bottleneck_names(n_blocks):
        convs = ["conv1", "conv2", "conv3"] + (["residual_conv"] if unit.endswith("/a") else [])
        for conv in convs:
            keys.add(f"{unit}/{conv}/conv/W")
            keys |= {f"{unit}/{conv}/bn/{k}" for k in BN_KEYS}
    if fc:
        keys |= {"fc6/W", "fc6/b"}
    return keys


def _saved_keys(link, path):
    kusari.serializers.save_npz(path, link, compression=False)
    with numpy.load(path) as npz:
        return set(npz.files)


@pytest.fixture(scope="module")
def x():
    return numpy.random.default_rng(0).uniform(0, 255, (1, 3, 64, 64)).astype(numpy.float32)


@pytest.fixture(scope="module")
def resnet(x):
    """A full-size ResNet-50 ('fb'), with random BN statistics, after one forward pass."""
    model = ResNet50(initialW=_fast_he, fc_kwargs={"initialW": _fast_he})
    model.pick = model.layer_names
    with kusari.using_config("train", False), kusari.no_backprop_mode():
        model(x)
        _randomize_bn(model, numpy.random.default_rng(1))
        outputs = model(x)
    model.pick = None
    return model, dict(zip(model.layer_names, (h.array for h in outputs), strict=True))


def test_layer_names_and_npz_keys(resnet, tmp_path):
    model, _ = resnet
    assert model.layer_names == [
        "conv1", "pool1", "res2", "res3", "res4", "res5", "pool5", "fc6", "prob",
    ]  # fmt: skip
    assert model.res2.layer_names == ["a", "b1", "b2"]
    assert model.res4.layer_names == ["a", "b1", "b2", "b3", "b4", "b5"]
    keys = _saved_keys(model, tmp_path / "resnet50.npz")
    # Representative keys of ChainerCV's resnet50_imagenet_trained_2018_11_26.npz.
    assert {
        "conv1/conv/W",
        "conv1/bn/gamma",
        "conv1/bn/avg_mean",
        "conv1/bn/N",
        "res2/a/conv1/conv/W",
        "res2/a/residual_conv/conv/W",
        "res2/a/residual_conv/bn/avg_var",
        "res3/b3/conv2/bn/beta",
        "res4/b5/conv3/conv/W",
        "res5/b2/conv3/bn/N",
        "fc6/W",
        "fc6/b",
    } <= keys
    assert "conv1/conv/b" not in keys and "res2/b1/residual_conv/conv/W" not in keys
    assert keys == _expected_keys((3, 4, 6, 3), conv1_bias=False)
    assert len(keys) == 320


def test_forward_shapes_and_values(resnet, x):
    model, out = resnet
    shapes = {
        "conv1": (1, 64, 32, 32),
        "pool1": (1, 64, 16, 16),
        "res2": (1, 256, 16, 16),
        "res3": (1, 512, 8, 8),
        "res4": (1, 1024, 4, 4),
        "res5": (1, 2048, 2, 2),
        "pool5": (1, 2048),
        "fc6": (1, 1000),
        "prob": (1, 1000),
    }
    assert {name: out[name].shape for name in shapes} == shapes
    conv1 = _conv_bn_ref(model.conv1, x, stride=2, pad=3)
    numpy.testing.assert_allclose(out["conv1"], conv1, rtol=1e-4, atol=1e-2)
    # 3x3/2 max pooling with Chainer's cover_all: 32 -> 16 windows, the last one clipped.
    padded = numpy.pad(out["conv1"], ((0, 0), (0, 0), (0, 1), (0, 1)), constant_values=-numpy.inf)
    windows = [padded[:, :, i : i + 31 : 2, j : j + 31 : 2] for i in range(3) for j in range(3)]
    numpy.testing.assert_array_equal(out["pool1"], numpy.max(windows, axis=0))
    numpy.testing.assert_allclose(out["pool5"], out["res5"].mean(axis=(2, 3)), rtol=1e-5)
    fc6 = out["fc6"].astype(numpy.float64)
    prob = numpy.exp(fc6 - fc6.max()) / numpy.exp(fc6 - fc6.max()).sum()
    numpy.testing.assert_allclose(out["prob"], prob, rtol=1e-5, atol=1e-7)
    numpy.testing.assert_allclose(model.mean.ravel(), [123.15163084, 115.90288257, 103.0626238])


def test_save_load_round_trip(resnet, x, tmp_path):
    model, out = resnet
    path = tmp_path / "resnet50.npz"
    kusari.serializers.save_npz(path, model, compression=False)
    loaded = ResNet50(pretrained_model=str(path))
    with kusari.using_config("train", False), kusari.no_backprop_mode():
        numpy.testing.assert_array_equal(loaded(x).array, out["prob"])


def test_fpn_base_pick_remove_unused(tmp_path):
    # What ChainerCV's FPN does with its ResNet-50 base.
    base = ResNet50(n_class=1, arch="he", initialW=0)
    base.pick = ("res2", "res3", "res4", "res5")
    base.remove_unused()
    assert base.layer_names == ["conv1", "pool1", "res2", "res3", "res4", "res5"]
    assert base.conv1.conv.b is not None
    hs = base(numpy.zeros((1, 3, 32, 32), numpy.float32))
    assert [h.shape for h in hs] == [
        (1, 256, 8, 8),
        (1, 512, 4, 4),
        (1, 1024, 2, 2),
        (1, 2048, 1, 1),
    ]
    keys = _saved_keys(base, tmp_path / "base.npz")
    assert keys == _expected_keys((3, 4, 6, 3), conv1_bias=True, fc=False)


def test_arch_strides_and_depths():
    fb, he = ResNet50(initialW=0), ResNet50(arch="he", initialW=0)
    assert fb.res3.a.conv1.conv.stride == (1, 1) and fb.res3.a.conv2.conv.stride == (2, 2)
    assert he.res3.a.conv1.conv.stride == (2, 2) and he.res3.a.conv2.conv.stride == (1, 1)
    assert he.res3.a.residual_conv.conv.stride == (2, 2)
    assert fb.conv1.conv.b is None and he.conv1.conv.b is not None
    deep = ResNet101(arch="he", initialW=0)
    assert deep.conv1.conv.b is None
    assert len(deep.res4.layer_names) == 23
    deeper = ResNet152(initialW=0)
    assert [len(deeper[f"res{i}"].layer_names) for i in (2, 3, 4, 5)] == [3, 8, 36, 3]


def test_bottleneck_matches_reference():
    rng = numpy.random.default_rng(3)
    x = rng.standard_normal((2, 4, 7, 7)).astype(numpy.float32)
    for stride_first in (False, True):
        unit = Bottleneck(4, 3, 6, stride=2, residual_conv=True, stride_first=stride_first)
        _randomize_bn(unit, rng)
        with kusari.using_config("train", False):
            y = unit(x).array
        s1, s2 = (2, 1) if stride_first else (1, 2)
        h = _conv_bn_ref(unit.conv1, x, stride=s1)
        h = _conv_bn_ref(unit.conv2, h, stride=s2, pad=1)
        h = _conv_bn_ref(unit.conv3, h, relu=False)
        residual = _conv_bn_ref(unit.residual_conv, x, stride=2, relu=False)
        numpy.testing.assert_allclose(y, numpy.maximum(h + residual, 0), rtol=1e-4, atol=1e-4)

    unit = Bottleneck(6, 2, 6, dilate=2)
    _randomize_bn(unit, rng)
    x6 = rng.standard_normal((1, 6, 5, 5)).astype(numpy.float32)
    with kusari.using_config("train", False):
        y = unit(x6).array
    h = _conv_bn_ref(unit.conv1, x6)
    h = _conv_bn_ref(unit.conv2, h, pad=2, dilate=2)
    h = _conv_bn_ref(unit.conv3, h, relu=False)
    numpy.testing.assert_allclose(y, numpy.maximum(h + x6, 0), rtol=1e-4, atol=1e-4)


def test_resblock_layout():
    block = ResBlock(3, None, 2, 8, stride=2)
    assert block.layer_names == ["a", "b1", "b2"]
    assert hasattr(block.a, "residual_conv") and not hasattr(block.b1, "residual_conv")
    y = block(numpy.zeros((1, 5, 6, 6), numpy.float32))
    assert y.shape == (1, 8, 3, 3)
    block.pick = ("a",)
    block.remove_unused()
    assert block.layer_names == ["a"]


def test_models_table():
    assert ResNet._models["fb"][50]["imagenet"]["url"] == (
        "https://chainercv-models.preferred.jp/resnet50_imagenet_trained_2018_11_26.npz"
    )
    assert ResNet._models["he"][152]["imagenet"]["url"] == (
        "https://chainercv-models.preferred.jp/resnet152_imagenet_converted_2018_03_07.npz"
    )


def test_bad_arguments():
    with pytest.raises(ValueError, match="arch"):
        ResNet50(arch="caffe")
    with pytest.raises(ValueError, match="n_layer"):
        ResNet(34)
    with pytest.raises(ValueError, match="n_class=1000"):
        ResNet50(n_class=10, pretrained_model="imagenet")
    with pytest.raises(ValueError, match="imagenet"):
        ResNet50(pretrained_model="places365")
    with pytest.raises(TypeError, match="fc_kwargs"):
        ResNet50(fc_kwargs=["initialW"])
    with pytest.raises(ValueError, match="n_layer"):
        ResBlock(0, 4, 2, 8, stride=1)
