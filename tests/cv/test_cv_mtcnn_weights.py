"""MTCNN networks and weights, checked against the ``mtcnn`` 0.1.1 package's layout.

The Kusari P/R/O-Nets with the shipped weights are compared with a NumPy re-implementation of
that package's Keras graph (images transposed, NHWC, HWIO kernels, TensorFlow 'same' pooling),
and the weight conversion with the wheel.

The wheel is read from ``$KUSARI_MTCNN_WHEEL`` (default
``/tmp/mtcnn_dl/mtcnn-0.1.1-py3-none-any.whl``, from ``pip download mtcnn==0.1.1 --no-deps``);
the tests that need it are skipped when it is missing (tests use no network).
"""

import importlib.util
import os
from pathlib import Path

import numpy
import pytest

import kusari
from kusari_cv.links.model.mtcnn import MTCNN, ONet, PNet, RNet

ROOT = Path(__file__).resolve().parents[2]
NPZ = ROOT / "packages/cv/src/kusari_cv/links/model/mtcnn/data/mtcnn.npz"
LICENSE = ROOT / "packages/cv/src/kusari_cv/links/model/mtcnn/data/LICENSE-mtcnn.txt"
TOOL = ROOT / "packages/cv/tools/convert_mtcnn_weights.py"
WHEEL = Path(os.environ.get("KUSARI_MTCNN_WHEEL", "/tmp/mtcnn_dl/mtcnn-0.1.1-py3-none-any.whl"))
needs_wheel = pytest.mark.skipif(not WHEEL.is_file(), reason=f"mtcnn wheel not at {WHEEL}")

# Layer names in the order of each net's Keras weight list.
KERAS_LAYERS = {
    "pnet": ["conv1", "prelu1", "conv2", "prelu2", "conv3", "prelu3", "conv4_1", "conv4_2"],
    "rnet": ["conv1", "prelu1", "conv2", "prelu2", "conv3", "prelu3", "fc4", "prelu4"]
    + ["fc5_1", "fc5_2"],
    "onet": ["conv1", "prelu1", "conv2", "prelu2", "conv3", "prelu3", "conv4", "prelu4"]
    + ["fc5", "prelu5", "fc6_1", "fc6_2", "fc6_3"],
}
LOC_HEADS = {"pnet/conv4_2", "rnet/fc5_2", "onet/fc6_2"}
POINT_HEAD = "onet/fc6_3"
# Kusari's landmark rows are (y1, x1, ..., y5, x5); Keras's are (x1..x5, y1..y5).
POINT_ORDER = numpy.array([5, 0, 6, 1, 7, 2, 8, 3, 9, 4])


def to_keras(npz):
    """Undo the documented conversion: Kusari arrays -> Keras weight lists."""
    weights = {}
    for net, names in KERAS_LAYERS.items():
        arrays = []
        for i, name in enumerate(names):
            key = f"{net}/{name}"
            w = npz[f"{key}/W"]
            if name.startswith("prelu"):
                # After a convolution the slopes are (1, 1, C) in Keras, after a dense layer (C,).
                arrays.append(w if names[i - 1].startswith("fc") else w.reshape(1, 1, -1))
                continue
            b = npz[f"{key}/b"]
            if key in LOC_HEADS:
                w, b = w[[1, 0, 3, 2]], b[[1, 0, 3, 2]]
            if key == POINT_HEAD:
                inverse = numpy.argsort(POINT_ORDER)
                w, b = w[inverse], b[inverse]
            if w.ndim == 4:
                arrays.append(w.transpose(3, 2, 1, 0))
            elif name in ("fc4", "fc5"):
                n_out, n_in = w.shape
                side, channel = 3, n_in // 9
                arrays.append(
                    w.reshape(n_out, channel, side, side).transpose(3, 2, 1, 0).reshape(n_in, n_out)
                )
            else:
                arrays.append(w.T)
            arrays.append(b)
        weights[net] = arrays
    return weights


@pytest.fixture(scope="module")
def keras_weights():
    with numpy.load(NPZ) as npz:
        return to_keras(dict(npz))


# --- A NumPy re-implementation of the Keras graph of mtcnn 0.1.1 (NHWC). ---


def conv_valid(x, kernel, bias):
    kh, kw = kernel.shape[:2]
    patches = numpy.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    return numpy.einsum("bhwcij,ijco->bhwo", patches, kernel) + bias


def prelu(x, alpha):
    return numpy.where(x > 0, x, x * alpha)


def max_pool(x, k, s, same):
    b, h, w, c = x.shape
    if same:
        out = [-(-n // s) for n in (h, w)]
        pads = [max((o - 1) * s + k - n, 0) for o, n in zip(out, (h, w), strict=True)]
        x = numpy.pad(
            x,
            (
                (0, 0),
                (pads[0] // 2, pads[0] - pads[0] // 2),
                (pads[1] // 2, pads[1] - pads[1] // 2),
                (0, 0),
            ),
            constant_values=-numpy.inf,
        )
    windows = numpy.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))[:, ::s, ::s]
    return windows.max(axis=(4, 5))


def keras_pnet(w, x):
    h = prelu(conv_valid(x, w[0], w[1]), w[2])
    h = max_pool(h, 2, 2, True)
    h = prelu(conv_valid(h, w[3], w[4]), w[5])
    h = prelu(conv_valid(h, w[6], w[7]), w[8])
    return conv_valid(h, w[9], w[10]), conv_valid(h, w[11], w[12])


def keras_rnet(w, x):
    h = prelu(conv_valid(x, w[0], w[1]), w[2])
    h = max_pool(h, 3, 2, True)
    h = prelu(conv_valid(h, w[3], w[4]), w[5])
    h = max_pool(h, 3, 2, False)
    h = prelu(conv_valid(h, w[6], w[7]), w[8])
    h = prelu(h.reshape(len(h), -1) @ w[9] + w[10], w[11])
    return h @ w[12] + w[13], h @ w[14] + w[15]


def keras_onet(w, x):
    h = prelu(conv_valid(x, w[0], w[1]), w[2])
    h = max_pool(h, 3, 2, True)
    h = prelu(conv_valid(h, w[3], w[4]), w[5])
    h = max_pool(h, 3, 2, False)
    h = prelu(conv_valid(h, w[6], w[7]), w[8])
    h = max_pool(h, 2, 2, True)
    h = prelu(conv_valid(h, w[9], w[10]), w[11])
    h = prelu(h.reshape(len(h), -1) @ w[12] + w[13], w[14])
    return h @ w[15] + w[16], h @ w[19] + w[20], h @ w[17] + w[18]


def load_net(net_cls, prefix):
    net = net_cls()
    kusari.serializers.load_npz(NPZ, net, path=f"{prefix}/")
    return net


def transposed(x):
    """(B, C, H, W) images -> the (B, W, H, C) arrays the mtcnn package feeds its nets."""
    return x.transpose(0, 3, 2, 1).astype(numpy.float64)


def test_pnet_matches_keras_graph(keras_weights):
    x = numpy.random.default_rng(0).uniform(-1, 1, (2, 3, 17, 24)).astype(numpy.float32)
    conf, loc = load_net(PNet, "pnet")(x)
    assert conf.shape == (2, 2, 4, 7) and loc.shape == (2, 4, 4, 7)
    ref_conf, ref_loc = keras_pnet(keras_weights["pnet"], transposed(x))
    numpy.testing.assert_allclose(conf.array, ref_conf.transpose(0, 3, 2, 1), atol=1e-4)
    ref_loc = ref_loc.transpose(0, 3, 2, 1)
    numpy.testing.assert_allclose(loc.array, ref_loc[:, [1, 0, 3, 2]], atol=1e-4)


def test_rnet_matches_keras_graph(keras_weights):
    x = numpy.random.default_rng(1).uniform(-1, 1, (3, 3, 24, 24)).astype(numpy.float32)
    conf, loc = load_net(RNet, "rnet")(x)
    assert conf.shape == (3, 2) and loc.shape == (3, 4)
    ref_conf, ref_loc = keras_rnet(keras_weights["rnet"], transposed(x))
    numpy.testing.assert_allclose(conf.array, ref_conf, atol=1e-4)
    numpy.testing.assert_allclose(loc.array, ref_loc[:, [1, 0, 3, 2]], atol=1e-4)


def test_onet_matches_keras_graph(keras_weights):
    x = numpy.random.default_rng(2).uniform(-1, 1, (2, 3, 48, 48)).astype(numpy.float32)
    conf, loc, point = load_net(ONet, "onet")(x)
    assert conf.shape == (2, 2) and loc.shape == (2, 4) and point.shape == (2, 10)
    ref_conf, ref_point, ref_loc = keras_onet(keras_weights["onet"], transposed(x))
    numpy.testing.assert_allclose(conf.array, ref_conf, atol=1e-4)
    numpy.testing.assert_allclose(loc.array, ref_loc[:, [1, 0, 3, 2]], atol=1e-4)
    # Keras gives (x1..x5, y1..y5); Kusari gives (y, x) pairs.
    ref_yx = numpy.stack((ref_point[:, 5:], ref_point[:, :5]), axis=2)
    numpy.testing.assert_allclose(point.array.reshape(2, 5, 2), ref_yx, atol=1e-4)


@pytest.mark.parametrize(
    ("net_cls", "shape"),
    [
        (PNet, (1, 3, 11, 20)),
        (PNet, (1, 4, 12, 12)),
        (RNet, (2, 3, 24, 23)),
        (ONet, (2, 3, 24, 24)),
    ],
)
def test_nets_reject_wrong_crop_size(net_cls, shape):
    with pytest.raises(ValueError, match=net_cls.__name__):
        net_cls()(numpy.zeros(shape, numpy.float32))


def test_shipped_npz_loads_strictly_and_has_licence():
    model = MTCNN(pretrained_model=None)
    kusari.serializers.load_npz(NPZ, model)
    with numpy.load(NPZ) as npz:
        keys = set(npz.files)
        numpy.testing.assert_array_equal(model.onet.fc6_3.W.array, npz["onet/fc6_3/W"])
    params = {name for name, _ in model.namedparams()}
    assert keys == {name.lstrip("/") for name in params}
    text = LICENSE.read_text(encoding="utf-8")
    assert "MIT License" in text and "Iván de Paz Centeno" in text and "mtcnn==0.1.1" in text


def _tool():
    spec = importlib.util.spec_from_file_location("convert_mtcnn_weights", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_wheel
def test_conversion_round_trip_against_wheel(tmp_path):
    tool = _tool()
    source = tool.read_weights(WHEEL)
    out = tmp_path / "mtcnn.npz"
    tool.save(tool.convert(source), out)
    with numpy.load(out) as converted, numpy.load(NPZ) as shipped:
        assert set(converted.files) == set(shipped.files)
        for key in shipped.files:
            numpy.testing.assert_array_equal(converted[key], shipped[key])
        back = to_keras(dict(shipped))
    for net, arrays in source.items():
        assert len(back[net]) == len(arrays)
        for got, expected in zip(back[net], arrays, strict=True):
            numpy.testing.assert_array_equal(got, expected)


@needs_wheel
def test_conversion_rejects_other_file(tmp_path):
    other = tmp_path / "mtcnn_weights.npy"
    numpy.save(other, numpy.zeros(3))
    with pytest.raises(ValueError, match="SHA-256"):
        _tool().read_weights(other)
