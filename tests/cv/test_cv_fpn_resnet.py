"""Tests of FasterRCNNFPNResNet50/101: key layout, prediction, save/load, pretrained models."""

import numpy
import pytest

import kusari
from kusari.serializers import DictionarySerializer
from kusari_cv.links.model.fpn import (
    FasterRCNNFPNResNet50,
    FasterRCNNFPNResNet101,
    faster_rcnn_fpn_resnet,
)
from kusari_cv.links.model.resnet import ResNet50
from kusari_cv.utils.testing import assert_is_bbox

_N_FG_CLASS = 3

# Random weights can decode boxes to empty ones, whose IoU in the NMS is 0 / 0.
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")


def _images():
    rng = numpy.random.RandomState(0)
    return [
        rng.uniform(0, 255, (3, 48, 64)).astype(numpy.float32),
        rng.uniform(0, 255, (3, 40, 30)).astype(numpy.float32),
    ]


def _initialize(model):
    """Shape the lazy parameters, then scale random weights to give sensible outputs."""
    x, _ = model.prepare(_images()[:1])
    roi = numpy.array([[0, 0, 32, 32]], numpy.float32)
    rois = [roi] + [roi[:0]] * 4
    roi_indices = [numpy.zeros(1, numpy.int32)] + [numpy.zeros(0, numpy.int32)] * 4
    with kusari.using_config("train", False), kusari.no_backprop_mode():
        hs = model.extractor(x)
        model.rpn(hs)
        model.bbox_head(hs, rois, roi_indices)
    # The random backbone's activations are ~1e4; small offsets keep the proposals inside.
    model.rpn.loc.W.array *= 1e-4
    model.bbox_head.loc.W.array *= 1e-4
    model.bbox_head.conf.W.array *= 1e-3


def _small(model):
    # Fewer proposals keep the box head's 12544 x 1024 layer cheap.
    model.rpn._test_nms_limit_pre = model.rpn._test_nms_limit_post = 100
    model.score_thresh = 0.2
    return model


@pytest.fixture(scope="module")
def unshaped():
    numpy.random.seed(0)
    return FasterRCNNFPNResNet50(n_fg_class=_N_FG_CLASS)


@pytest.fixture(scope="module")
def model():
    numpy.random.seed(0)
    model = _small(FasterRCNNFPNResNet50(n_fg_class=_N_FG_CLASS, min_size=64, max_size=96))
    _initialize(model)
    return model


@pytest.fixture(scope="module")
def prediction(model):
    return model.predict(_images())


@pytest.fixture(scope="module")
def saved(model, prediction, tmp_path_factory):
    path = tmp_path_factory.mktemp("fpn") / "model.npz"
    kusari.serializers.save_npz(path, model, compression=False)
    return path


@pytest.mark.slow
def test_predict_outputs(prediction):
    bboxes, labels, scores = prediction
    assert len(bboxes) == len(labels) == len(scores) == 2
    assert sum(len(label) for label in labels) > 0
    for bbox, label, score, (H, W) in zip(
        bboxes, labels, scores, [(48, 64), (40, 30)], strict=True
    ):
        assert_is_bbox(bbox, (H, W))
        assert label.dtype == numpy.int32 and label.shape == (len(bbox),)
        assert ((0 <= label) & (label < _N_FG_CLASS)).all()
        assert score.dtype == numpy.float32 and (score >= 0.2).all()
        # Detections come grouped by label, by decreasing score within a label.
        assert (numpy.diff(label) >= 0).all()
        for lb in numpy.unique(label):
            assert (numpy.diff(score[label == lb]) <= 0).all()


@pytest.mark.slow
def test_npz_key_layout(saved):
    with numpy.load(saved) as npz:
        shapes = {key: npz[key].shape for key in npz.files}
    expected = {
        "extractor/base/conv1/conv/W": (64, 3, 7, 7),
        "extractor/base/conv1/conv/b": (64,),
        "extractor/base/conv1/bn/gamma": (64,),
        "extractor/base/conv1/bn/avg_mean": (64,),
        "extractor/base/res2/a/conv1/conv/W": (64, 64, 1, 1),
        "extractor/base/res2/a/residual_conv/conv/W": (256, 64, 1, 1),
        "extractor/base/res3/b3/conv2/conv/W": (128, 128, 3, 3),
        "extractor/base/res5/b2/conv3/bn/avg_var": (2048,),
        "extractor/inner/0/W": (256, 256, 1, 1),
        "extractor/inner/3/W": (256, 2048, 1, 1),
        "extractor/inner/3/b": (256,),
        "extractor/outer/0/W": (256, 256, 3, 3),
        "extractor/outer/3/b": (256,),
        "rpn/conv/W": (256, 256, 3, 3),
        "rpn/loc/W": (12, 256, 1, 1),
        "rpn/conf/W": (3, 256, 1, 1),
        "rpn/conf/b": (3,),
        "bbox_head/fc1/W": (1024, 256 * 7 * 7),
        "bbox_head/fc1/b": (1024,),
        "bbox_head/fc2/W": (1024, 1024),
        "bbox_head/loc/W": ((_N_FG_CLASS + 1) * 4, 1024),
        "bbox_head/conf/W": (_N_FG_CLASS + 1, 1024),
        "bbox_head/conf/b": (_N_FG_CLASS + 1,),
    }
    for key, shape in expected.items():
        assert shapes.get(key) == shape, key
    assert not any(key.startswith("extractor/base/fc6") for key in shapes)
    assert {key.split("/")[0] for key in shapes} == {"extractor", "rpn", "bbox_head"}
    assert not any(key.startswith("extractor/inner/4") for key in shapes)


@pytest.mark.slow
def test_save_load_round_trip(saved, prediction):
    loaded = FasterRCNNFPNResNet50(
        n_fg_class=_N_FG_CLASS, pretrained_model=str(saved), min_size=64, max_size=96
    )
    _small(loaded)
    for expected, got in zip(prediction, loaded.predict(_images()), strict=True):
        for e, g in zip(expected, got, strict=True):
            numpy.testing.assert_array_equal(g, e)


def test_key_names_before_first_call(unshaped):
    serializer = DictionarySerializer()
    serializer.save(unshaped)
    target = serializer.target
    # ChainerCV's names; the lazily shaped parameters are saved as None until the first call.
    shaped = {
        "extractor/base/conv1/conv/b": (64,),
        "extractor/base/conv1/bn/avg_mean": (64,),
        "extractor/base/res3/b3/conv2/conv/W": (128, 128, 3, 3),
        "extractor/base/res5/a/residual_conv/bn/gamma": (2048,),
        "extractor/inner/3/b": (256,),
        "extractor/outer/4/b": None,
        "rpn/conv/b": (256,),
        "rpn/loc/b": (12,),
        "bbox_head/fc1/b": (1024,),
        "bbox_head/conf/b": (_N_FG_CLASS + 1,),
    }
    for key, shape in shaped.items():
        if shape is None:
            assert key not in target, key
        else:
            assert target[key].shape == shape, key
    for key in (
        "extractor/base/conv1/conv/W",
        "extractor/base/res2/a/conv1/conv/W",
        "extractor/inner/0/W",
        "extractor/outer/3/W",
        "rpn/loc/W",
        "bbox_head/fc1/W",
        "bbox_head/fc2/W",
        "bbox_head/loc/W",
        "bbox_head/conf/W",
    ):
        assert key in target, key
    assert not any(key.startswith("extractor/base/fc6") for key in target)
    assert {key.split("/")[0] for key in target} == {"extractor", "rpn", "bbox_head"}


def test_imagenet_loads_backbone_only(monkeypatch, tmp_path):
    numpy.random.seed(1)
    resnet = ResNet50(arch="he")
    with kusari.using_config("train", False):
        resnet(numpy.zeros((1, 3, 32, 32), numpy.float32))  # shapes every parameter
    path = tmp_path / "resnet50.npz"
    kusari.serializers.save_npz(path, resnet, compression=False)

    def fake_prepare(param, pretrained_model, models):
        assert pretrained_model == "imagenet" and "imagenet" in models
        return {"n_fg_class": param["n_fg_class"]}, str(path)

    monkeypatch.setattr(faster_rcnn_fpn_resnet, "prepare_pretrained_model", fake_prepare)
    model = FasterRCNNFPNResNet50(n_fg_class=2, pretrained_model="imagenet")
    base = model.extractor.base
    for name in (
        "conv1/conv/W",
        "conv1/bn/avg_var",
        "res3/b1/conv2/conv/W",
        "res5/b2/conv3/bn/beta",
    ):
        got = base
        expected = resnet
        for part in name.split("/"):
            got, expected = getattr(got, part), getattr(expected, part)
        numpy.testing.assert_array_equal(
            getattr(got, "array", got), getattr(expected, "array", expected)
        )
    assert model.bbox_head.conf.b.shape == (3,)
    assert model.extractor.inner[0].W.array is None  # the pyramid is not pretrained


def test_models_tables():
    url = "https://chainercv-models.preferred.jp/"
    for cls, depth in ((FasterRCNNFPNResNet50, 50), (FasterRCNNFPNResNet101, 101)):
        coco = cls._models["coco"]
        assert coco["param"] == {"n_fg_class": 80}
        assert coco["url"] == f"{url}faster_rcnn_fpn_resnet{depth}_coco_trained_2019_03_15.npz"
        imagenet = cls._models["imagenet"]
        assert imagenet["param"] == {}
        assert imagenet["url"] == f"{url}resnet{depth}_imagenet_converted_2018_03_07.npz"


def test_bad_pretrained_model():
    with pytest.raises(ValueError, match="pretrained_model must be None"):
        FasterRCNNFPNResNet50(n_fg_class=3, pretrained_model="no_such_model")
    with pytest.raises(ValueError, match="n_fg_class=80"):
        FasterRCNNFPNResNet101(n_fg_class=20, pretrained_model="coco")
    with pytest.raises(ValueError, match="n_fg_class must be given"):
        FasterRCNNFPNResNet50()


def test_structure(unshaped):
    model = unshaped
    base = model.extractor.base
    assert base.layer_names == ["conv1", "pool1", "res2", "res3", "res4", "res5"]
    assert base.pick == ("res2", "res3", "res4", "res5")
    assert model.extractor.scales == (1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64)
    assert (model.min_size, model.max_size) == (800, 1333)
    assert (model.nms_thresh, model.score_thresh) == (0.5, 0.7)
    numpy.testing.assert_array_equal(model.extractor.mean, base.mean)
