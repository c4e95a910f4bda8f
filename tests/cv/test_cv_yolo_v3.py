"""YOLOv3: ChainerCV's npz layout, Darknet-53's three scales, raw outputs, predict.

One full-size YOLOv3 is built for the module. It runs at a 64x64 input (grids 2, 4, 8)
through a subclass that only changes the extractor's ``insize`` / ``grids``; the weights and
their names are those of the 416x416 model.
"""

import numpy
import pytest

import kusari
import kusari.links as L
from kusari_cv.links.model.yolo import Darknet53Extractor, ResidualBlock, YOLOv3
from kusari_cv.links.model.yolo.yolo_v3 import _upsample
from kusari_cv.utils.testing import assert_is_detection_link

_BN_KEYS = ("bn/gamma", "bn/beta", "bn/avg_mean", "bn/avg_var", "bn/N")
# children of Darknet53Extractor that are ResidualBlocks (stages of 1, 2, 8, 8, 4 blocks)
_RESIDUAL = {2, 4, 5, *range(7, 15), *range(16, 24), *range(25, 29)}


class _SmallDarknet53Extractor(Darknet53Extractor):
    insize = 64
    grids = (2, 4, 8)


class _SmallYOLOv3(YOLOv3):
    _extractor = _SmallDarknet53Extractor


@pytest.fixture(scope="module")
def yolo_v3():
    model = _SmallYOLOv3(n_fg_class=20)
    with kusari.using_config("train", False):
        model.forward(numpy.zeros((1, 3, 64, 64), numpy.float32))
    # random head biases make the scores and boxes differ from one default box to the next
    rng = numpy.random.default_rng(0)
    for head in model.subnet:
        bias = head[1].b.array
        bias[...] = rng.normal(0, 1, bias.shape).astype(numpy.float32)
    return model


def _conv_bn_keys(prefix):
    return {f"{prefix}/conv/W"} | {f"{prefix}/{key}" for key in _BN_KEYS}


def test_npz_layout(yolo_v3, tmp_path):
    path = tmp_path / "yolo_v3.npz"
    kusari.serializers.save_npz(str(path), yolo_v3, compression=False)
    with numpy.load(str(path), allow_pickle=False) as npz:
        shapes = {key: npz[key].shape for key in npz.files}
    expected = set()
    for i in range(46):
        if i in _RESIDUAL:
            expected |= _conv_bn_keys(f"extractor/{i}/0") | _conv_bn_keys(f"extractor/{i}/1")
        else:
            expected |= _conv_bn_keys(f"extractor/{i}")
    for i in range(3):
        expected |= _conv_bn_keys(f"subnet/{i}/0") | {f"subnet/{i}/1/W", f"subnet/{i}/1/b"}
    assert set(shapes) == expected
    assert shapes["extractor/0/conv/W"] == (32, 3, 3, 3)
    assert shapes["extractor/1/conv/W"] == (64, 32, 3, 3)
    assert shapes["extractor/2/0/conv/W"] == (32, 64, 1, 1)
    assert shapes["extractor/2/1/conv/W"] == (64, 32, 3, 3)
    assert shapes["extractor/28/1/conv/W"] == (1024, 512, 3, 3)
    assert shapes["extractor/33/conv/W"] == (512, 1024, 1, 1)
    assert shapes["extractor/35/conv/W"] == (256, 768, 1, 1)
    assert shapes["extractor/41/conv/W"] == (128, 384, 1, 1)
    assert shapes["extractor/45/bn/avg_var"] == (128,)
    assert shapes["subnet/0/0/conv/W"] == (1024, 512, 3, 3)
    assert shapes["subnet/0/1/W"] == (75, 1024, 1, 1)
    assert shapes["subnet/2/0/conv/W"] == (256, 128, 3, 3)
    assert shapes["subnet/2/1/W"] == (75, 256, 1, 1)
    assert shapes["subnet/2/1/b"] == (75,)


def test_extractor_scales_and_raw_outputs(yolo_v3):
    x = numpy.random.default_rng(0).uniform(0, 1, (2, 3, 64, 96)).astype(numpy.float32)
    with kusari.using_config("train", False):
        ys = yolo_v3.extractor(x)
        heads = [head(y).array for head, y in zip(yolo_v3.subnet, ys, strict=True)]
        locs, objs, confs = yolo_v3.forward(x)
    assert [y.shape for y in ys] == [(2, 512, 2, 3), (2, 256, 4, 6), (2, 128, 8, 12)]
    n_box = 3 * (2 * 3 + 4 * 6 + 8 * 12)
    assert locs.shape == (2, n_box, 4) and objs.shape == (2, n_box)
    assert confs.shape == (2, n_box, 20)
    # scale 0 first; box (cell * 3 + anchor) reads channels anchor * 25 + (0..24) at its cell
    numpy.testing.assert_array_equal(locs.array[0, 4 * 3 + 1], heads[0][0, 25:29, 1, 1])
    k = 3 * 6 + (2 * 6 + 5) * 3 + 2
    numpy.testing.assert_array_equal(objs.array[1, k], heads[1][1, 54, 2, 5])
    k = 3 * (6 + 24) + (7 * 12 + 0) * 3
    numpy.testing.assert_array_equal(confs.array[1, k], heads[2][1, 5:25, 7, 0])


def test_residual_block_adds_input():
    conv = L.Convolution2D(2, 2, 1, nobias=True, initialW=numpy.eye(2)[:, :, None, None] * 3)
    block = ResidualBlock(conv)
    x = numpy.arange(16, dtype=numpy.float32).reshape(1, 2, 2, 4)
    numpy.testing.assert_array_equal(block(x).array, 4 * x)
    assert [name for name, _ in block.namedparams()] == ["/0/W"]


def test_upsample_repeats_pixels():
    x = numpy.arange(6, dtype=numpy.float32).reshape(1, 1, 2, 3)
    expected = x.repeat(2, axis=2).repeat(2, axis=3)
    numpy.testing.assert_array_equal(_upsample(x).array, expected)


def test_predict_is_detection_link(yolo_v3):
    yolo_v3.use_preset("evaluate")
    try:
        assert_is_detection_link(yolo_v3, 20)
    finally:
        yolo_v3.use_preset("visualize")


@pytest.mark.slow  # loading initializes 62M weights randomly before copying; see the v2 file
def test_save_load_round_trip(yolo_v3, tmp_path):
    path = tmp_path / "model.npz"
    kusari.serializers.save_npz(str(path), yolo_v3, compression=False)
    loaded = _SmallYOLOv3(n_fg_class=20, pretrained_model=str(path))
    x = numpy.random.default_rng(2).uniform(0, 1, (1, 3, 64, 64)).astype(numpy.float32)
    with kusari.using_config("train", False):
        for a, b in zip(yolo_v3.forward(x), loaded.forward(x), strict=True):
            numpy.testing.assert_array_equal(a.array, b.array)
    img = numpy.random.default_rng(1).uniform(0, 255, (3, 70, 50)).astype(numpy.float32)
    loaded.score_thresh = yolo_v3.score_thresh = 0.05
    expected = yolo_v3.predict([img])
    result = loaded.predict([img])
    yolo_v3.use_preset("visualize")
    assert len(expected[0][0]) > 0
    for a, b in zip(expected, result, strict=True):
        numpy.testing.assert_array_equal(a[0], b[0])


@pytest.mark.gpu
def test_predict_on_gpu_matches_cpu(yolo_v3):
    img = numpy.random.default_rng(3).uniform(0, 255, (3, 100, 80)).astype(numpy.float32)
    yolo_v3.use_preset("evaluate")
    try:
        expected = yolo_v3.predict([img])
        yolo_v3.to_device("@cupy:0")
        result = yolo_v3.predict([img])
    finally:
        yolo_v3.to_device("@numpy")
        yolo_v3.use_preset("visualize")
    for a, b in zip(expected, result, strict=True):
        assert isinstance(b[0], numpy.ndarray)
        numpy.testing.assert_allclose(a[0], b[0], rtol=1e-4, atol=1e-3)
