"""VGG16: ChainerCV's layer names and .npz layout, forward values, pick and loading."""

import importlib
import io
import os

import numpy
import pytest

import kusari
from kusari_cv.links.model.vgg import VGG16

# ChainerCV 0.13's VGG16.layer_names, in order.
LAYER_NAMES = [
    "conv1_1", "conv1_2", "pool1",
    "conv2_1", "conv2_2", "pool2",
    "conv3_1", "conv3_2", "conv3_3", "pool3",
    "conv4_1", "conv4_2", "conv4_3", "pool4",
    "conv5_1", "conv5_2", "conv5_3", "pool5",
    "fc6", "fc6_relu", "fc6_dropout",
    "fc7", "fc7_relu", "fc7_dropout",
    "fc8", "prob",
]  # fmt: skip


def _saved_keys(link):
    buf = io.BytesIO()
    kusari.serializers.save_npz(buf, link, compression=False)
    buf.seek(0)
    with numpy.load(buf) as npz:
        return set(npz.files)


def _fast_normal(scale):
    """An initializer tiling a fixed block of normal samples (quick for 10^7 weights).

    The block length is prime, so the tiling does not line up with any weight axis.
    """
    block = numpy.random.default_rng(0).standard_normal(100_003).astype(numpy.float32)

    def initialize(array):
        array[...] = numpy.resize(block, array.shape) * numpy.float32(scale)

    return initialize


@pytest.fixture(scope="module")
def x():
    return numpy.random.default_rng(0).uniform(0, 255, (1, 3, 64, 64)).astype(numpy.float32)


@pytest.fixture(scope="module")
def vgg(x):
    """A full-size VGG16, initialized by one forward pass on a 64x64 image."""
    model = VGG16(initialW=_fast_normal(0.01), initial_bias=_fast_normal(0.1))
    model.pick = model.layer_names
    with kusari.using_config("train", False), kusari.no_backprop_mode():
        outputs = model(x)
    model.pick = None
    return model, dict(zip(model.layer_names, (h.array for h in outputs), strict=True))


@pytest.fixture(scope="module")
def dataset_root(vgg, tmp_path_factory):
    """A dataset root holding the fixture's weights as the cached 'imagenet' file."""
    root = tmp_path_factory.mktemp("root")
    os.makedirs(root / "models")
    path = root / "models" / "vgg16_imagenet_converted_2017_07_18.npz"
    kusari.serializers.save_npz(path, vgg[0], compression=False)
    return root


def test_layer_names_and_npz_keys(vgg, dataset_root):
    model, _ = vgg
    assert model.layer_names == LAYER_NAMES
    with numpy.load(dataset_root / "models" / "vgg16_imagenet_converted_2017_07_18.npz") as npz:
        keys = set(npz.files)
    # Representative keys of ChainerCV's vgg16_imagenet_converted_2017_07_18.npz.
    assert {
        "conv1_1/conv/W",
        "conv1_1/conv/b",
        "conv3_3/conv/W",
        "conv5_3/conv/b",
        "fc6/W",
        "fc6/b",
        "fc7/W",
        "fc8/W",
        "fc8/b",
    } <= keys
    convs = [name for name in LAYER_NAMES if name.startswith("conv")]
    expected = {f"{name}/conv/{p}" for name in convs for p in "Wb"}
    expected |= {f"fc{i}/{p}" for i in (6, 7, 8) for p in "Wb"}
    assert keys == expected


def test_forward_shapes_and_values(vgg, x):
    model, out = vgg
    shapes = {
        "conv1_2": (1, 64, 64, 64),
        "pool1": (1, 64, 32, 32),
        "conv3_3": (1, 256, 16, 16),
        "conv5_3": (1, 512, 4, 4),
        "pool5": (1, 512, 2, 2),
        "fc6": (1, 4096),
        "fc7_dropout": (1, 4096),
        "fc8": (1, 1000),
        "prob": (1, 1000),
    }
    assert {name: out[name].shape for name in shapes} == shapes
    assert model.fc6.W.shape == (4096, 512 * 2 * 2)
    W, b = model.conv1_1.conv.W.array, model.conv1_1.conv.b.array
    assert W.shape == (64, 3, 3, 3)
    padded = numpy.pad(x[0].astype(numpy.float64), ((0, 0), (1, 1), (1, 1)))
    conv = sum(
        numpy.einsum("chw,oc->ohw", padded[:, i : i + 64, j : j + 64], W[:, :, i, j])
        for i in range(3)
        for j in range(3)
    )
    expected = numpy.maximum(conv + b[:, None, None], 0)
    numpy.testing.assert_allclose(out["conv1_1"][0], expected, rtol=1e-4, atol=1e-3)
    pool1 = out["conv1_2"][0].reshape(64, 32, 2, 32, 2).max(axis=(2, 4))
    numpy.testing.assert_array_equal(out["pool1"][0], pool1)
    fc8 = out["fc8"].astype(numpy.float64)
    prob = numpy.exp(fc8 - fc8.max()) / numpy.exp(fc8 - fc8.max()).sum()
    numpy.testing.assert_allclose(out["prob"], prob, rtol=1e-5, atol=1e-7)
    numpy.testing.assert_allclose(out["fc7_dropout"], out["fc7_relu"])
    assert model.mean.shape == (3, 1, 1)
    numpy.testing.assert_allclose(model.mean.ravel(), [123.68, 116.779, 103.939], rtol=1e-6)


def test_pick_remove_unused():
    model = VGG16(n_class=10)
    model.pick = ("conv2_2", "conv1_1")
    model.remove_unused()
    assert model.layer_names == ["conv1_1", "conv1_2", "pool1", "conv2_1", "conv2_2"]
    conv2_2, conv1_1 = model(numpy.zeros((2, 3, 8, 8), numpy.float32))
    assert conv2_2.shape == (2, 128, 4, 4) and conv1_1.shape == (2, 64, 8, 8)
    assert _saved_keys(model) == {
        f"{name}/conv/{p}" for name in ("conv1_1", "conv1_2", "conv2_1", "conv2_2") for p in "Wb"
    }


def test_save_load_round_trip(tmp_path):
    x = numpy.random.default_rng(1).uniform(0, 255, (2, 3, 8, 8)).astype(numpy.float32)
    model = VGG16(n_class=10)
    model.pick = ("conv2_1", "conv1_2")
    model.remove_unused()
    expected = [h.array for h in model(x)]
    path = tmp_path / "vgg16_head.npz"
    kusari.serializers.save_npz(path, model)
    loaded = VGG16(n_class=10)
    loaded.pick = ("conv2_1", "conv1_2")
    loaded.remove_unused()
    kusari.serializers.load_npz(path, loaded)
    for h, e in zip(loaded(x), expected, strict=True):
        numpy.testing.assert_array_equal(h.array, e)


def test_load_named_model_from_cache(vgg, x, dataset_root, monkeypatch):
    _, out = vgg
    # A name resolves to <dataset root>/models/<file name of the URL>; a file already there
    # is used without the network.
    monkeypatch.setattr(importlib.import_module("kusari.dataset.download"), "_dataset_root", None)
    monkeypatch.setenv("KUSARI_DATASET_ROOT", str(dataset_root))
    named = VGG16(pretrained_model="imagenet", mean=numpy.zeros((3, 1, 1), numpy.float32))
    numpy.testing.assert_array_equal(named.mean, numpy.zeros((3, 1, 1), numpy.float32))
    with kusari.using_config("train", False), kusari.no_backprop_mode():
        numpy.testing.assert_array_equal(named(x).array, out["prob"])


def test_models_table():
    entry = VGG16._models["imagenet"]
    assert entry["url"] == (
        "https://chainercv-models.preferred.jp/vgg16_imagenet_converted_2017_07_18.npz"
    )
    assert entry["param"]["n_class"] == 1000


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="n_class=1000"):
        VGG16(n_class=10, pretrained_model="imagenet")
    with pytest.raises(ValueError, match="imagenet"):
        VGG16(pretrained_model="imagenet21k")
    with pytest.raises(ValueError, match="existing"):
        VGG16(pretrained_model=str(tmp_path / "missing.npz"))
