"""YOLOv2 and YOLOv2Tiny: ChainerCV's npz layout, raw outputs, Darknet's layers, predict.

The models run at a 64x64 input (grid 2) through subclasses that only change the extractors'
``insize`` / ``grid``; the weights and their names are those of the 416x416 models.
"""

import numpy
import pytest

import kusari
from kusari_cv.links.model.yolo import (
    Darknet19Extractor,
    DarknetExtractor,
    YOLOv2,
    YOLOv2Tiny,
)
from kusari_cv.links.model.yolo.yolo_v2 import _maxpool, _reorg
from kusari_cv.utils.testing import assert_is_detection_link

_BN_KEYS = ("bn/gamma", "bn/beta", "bn/avg_mean", "bn/avg_var", "bn/N")


class _SmallDarknet19Extractor(Darknet19Extractor):
    insize = 64
    grid = 2


class _SmallDarknetExtractor(DarknetExtractor):
    insize = 64
    grid = 2


class _SmallYOLOv2(YOLOv2):
    _extractor = _SmallDarknet19Extractor


class _SmallYOLOv2Tiny(YOLOv2Tiny):
    _extractor = _SmallDarknetExtractor


def _initialized(model_class, n_fg_class=20):
    """A model whose lazily shaped weights are created by one forward pass, bias randomized."""
    model = model_class(n_fg_class=n_fg_class)
    with kusari.using_config("train", False):
        model.forward(numpy.zeros((1, 3, 64, 64), numpy.float32))
    # a random head bias makes the scores and boxes differ from one default box to the next
    bias = model.subnet.b.array
    bias[...] = numpy.random.default_rng(0).normal(0, 1, bias.shape).astype(numpy.float32)
    return model


@pytest.fixture(scope="module")
def yolo_v2():
    return _initialized(_SmallYOLOv2)


@pytest.fixture(scope="module")
def yolo_v2_tiny():
    return _initialized(_SmallYOLOv2Tiny)


@pytest.fixture(scope="module", params=["yolo_v2", "yolo_v2_tiny"])
def model(request):
    return request.getfixturevalue(request.param)


def _conv_bn_keys(prefix):
    return {f"{prefix}/conv/W"} | {f"{prefix}/{key}" for key in _BN_KEYS}


def _saved(model, path):
    kusari.serializers.save_npz(str(path), model, compression=False)
    with numpy.load(str(path), allow_pickle=False) as npz:
        return {key: npz[key].shape for key in npz.files}


def test_yolo_v2_npz_layout(yolo_v2, tmp_path):
    shapes = _saved(yolo_v2, tmp_path / "yolo_v2.npz")
    expected = {"subnet/W", "subnet/b"}
    for i in range(22):
        expected |= _conv_bn_keys(f"extractor/{i}")
    assert set(shapes) == expected
    assert shapes["extractor/0/conv/W"] == (32, 3, 3, 3)
    assert shapes["extractor/1/conv/W"] == (64, 32, 3, 3)
    assert shapes["extractor/3/conv/W"] == (64, 128, 1, 1)
    assert shapes["extractor/17/conv/W"] == (1024, 512, 3, 3)
    assert shapes["extractor/20/conv/W"] == (64, 512, 1, 1)
    assert shapes["extractor/21/conv/W"] == (1024, 1280, 3, 3)
    assert shapes["extractor/21/bn/gamma"] == (1024,)
    assert shapes["extractor/21/bn/N"] == ()
    assert shapes["subnet/W"] == (125, 1024, 1, 1)
    assert shapes["subnet/b"] == (125,)


def test_yolo_v2_tiny_npz_layout(yolo_v2_tiny, tmp_path):
    shapes = _saved(yolo_v2_tiny, tmp_path / "yolo_v2_tiny.npz")
    expected = {"subnet/W", "subnet/b"}
    for i in range(8):
        expected |= _conv_bn_keys(f"extractor/{i}")
    assert set(shapes) == expected
    assert shapes["extractor/0/conv/W"] == (16, 3, 3, 3)
    assert shapes["extractor/5/conv/W"] == (512, 256, 3, 3)
    assert shapes["extractor/6/conv/W"] == (1024, 512, 3, 3)
    assert shapes["extractor/7/conv/W"] == (1024, 1024, 3, 3)
    assert shapes["subnet/W"] == (125, 1024, 1, 1)


def test_raw_output_shapes(model):
    x = numpy.random.default_rng(0).uniform(0, 1, (2, 3, 64, 96)).astype(numpy.float32)
    with kusari.using_config("train", False):
        locs, objs, confs = model.forward(x)
    n_box = 2 * 3 * 5
    assert locs.shape == (2, n_box, 4) and objs.shape == (2, n_box)
    assert confs.shape == (2, n_box, 20)
    # box k = (cell * 5 + anchor) reads channels anchor * 25 + (0..24) of the head at its cell
    with kusari.using_config("train", False):
        head = model.subnet(model.extractor(x)).array
    numpy.testing.assert_array_equal(locs.array[1, 3 * 5 + 2], head[1, 50:54, 1, 0])
    numpy.testing.assert_array_equal(objs.array[0, 4 * 5 + 4], head[0, 104, 1, 1])
    numpy.testing.assert_array_equal(confs.array[1, 1 * 5 + 1], head[1, 30:50, 0, 1])


def test_reorg_matches_index_reference():
    # Darknet's reorg reads the (B, C, H, W) buffer as (B, C/4, H, 2, W, 2) and writes
    # (B, 2, 2, C/4, H, W): per image, out[((i * 2 + j) * C4 + c) * H * W + a * W + b]
    # = in[(((c * H + a) * 2 + i) * W + b) * 2 + j], then viewed as (B, 4C, H/2, W/2).
    x = numpy.random.default_rng(0).normal(size=(2, 8, 4, 6)).astype(numpy.float32)
    n, c, h, w = x.shape
    c4 = c // 4
    i, j, cc, a, b = numpy.indices((2, 2, c4, h, w))
    src = (((cc * h + a) * 2 + i) * w + b) * 2 + j
    expected = x.reshape(n, -1)[:, src.reshape(-1)].reshape(n, 4 * c, h // 2, w // 2)
    y = _reorg(kusari.Variable(x))
    assert y.shape == (2, 32, 2, 3)
    numpy.testing.assert_array_equal(y.array, expected)


def test_maxpool_stride_one_keeps_size_and_pads_bottom_right():
    x = numpy.random.default_rng(0).normal(size=(1, 2, 3, 4)).astype(numpy.float32)
    padded = numpy.full((1, 2, 4, 5), -numpy.inf, numpy.float32)
    padded[:, :, :3, :4] = x
    expected = numpy.maximum.reduce(
        [padded[:, :, dy : dy + 3, dx : dx + 4] for dy in (0, 1) for dx in (0, 1)]
    )
    numpy.testing.assert_array_equal(_maxpool(x, 2, stride=1).array, expected)
    y = _maxpool(x, 2)
    assert y.shape == (1, 2, 2, 2)
    numpy.testing.assert_array_equal(y.array[0, 1, 0, 1], x[0, 1, :2, 2:].max())


def test_predict_is_detection_link(model):
    model.use_preset("evaluate")
    try:
        assert_is_detection_link(model, 20)
    finally:
        model.use_preset("visualize")


def test_save_load_round_trip(yolo_v2_tiny, tmp_path):
    path = tmp_path / "model.npz"
    kusari.serializers.save_npz(str(path), yolo_v2_tiny, compression=False)
    loaded = _SmallYOLOv2Tiny(n_fg_class=20, pretrained_model=str(path))
    x = numpy.random.default_rng(2).uniform(0, 1, (1, 3, 64, 64)).astype(numpy.float32)
    with kusari.using_config("train", False):
        for a, b in zip(yolo_v2_tiny.forward(x), loaded.forward(x), strict=True):
            numpy.testing.assert_array_equal(a.array, b.array)
    img = numpy.random.default_rng(1).uniform(0, 255, (3, 50, 70)).astype(numpy.float32)
    for model in (yolo_v2_tiny, loaded):
        model.score_thresh = 0.05
    expected = yolo_v2_tiny.predict([img])
    result = loaded.predict([img])
    yolo_v2_tiny.use_preset("visualize")
    assert len(expected[0][0]) > 0
    for a, b in zip(expected, result, strict=True):
        numpy.testing.assert_array_equal(a[0], b[0])


@pytest.mark.gpu
def test_predict_on_gpu_matches_cpu():
    model = _initialized(_SmallYOLOv2Tiny)
    model.use_preset("evaluate")
    img = numpy.random.default_rng(3).uniform(0, 255, (3, 100, 80)).astype(numpy.float32)
    expected = model.predict([img])
    model.to_device("@cupy:0")
    result = model.predict([img])
    for a, b in zip(expected, result, strict=True):
        assert isinstance(b[0], numpy.ndarray)
        numpy.testing.assert_allclose(a[0], b[0], rtol=1e-4, atol=1e-3)
