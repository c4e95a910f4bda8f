"""FasterRCNNVGG16 end to end (one full-size model per module, small images)."""

import io

import numpy as np
import pytest

import kusari
import kusari.functions as F
from kusari_cv.links.model.faster_rcnn import (
    AnchorTargetCreator,
    FasterRCNNTrainChain,
    FasterRCNNVGG16,
    ProposalTargetCreator,
)
from kusari_cv.links.model.vgg import VGG16

pytestmark = pytest.mark.skipif(
    not hasattr(F, "roi_pooling_2d"), reason="kusari.functions.roi_pooling_2d is not available"
)

_CONVS = [
    "conv1_1",
    "conv1_2",
    "conv2_1",
    "conv2_2",
    "conv3_1",
    "conv3_2",
    "conv3_3",
    "conv4_1",
    "conv4_2",
    "conv4_3",
    "conv5_1",
    "conv5_2",
    "conv5_3",
]


@pytest.fixture(scope="module")
def model():
    # Zero initialization is cheap; the weights are then drawn in float32 (LeCun scaling) so
    # that predictions are not trivial.
    model = FasterRCNNVGG16(
        n_fg_class=2,
        min_size=64,
        max_size=96,
        anchor_scales=(1, 2, 4),
        vgg_initialW=kusari.initializers.Zero(),
    )
    for name in _CONVS:
        conv = model.extractor[name].conv
        conv.W.initialize(_conv_shape(name))
    rng = np.random.default_rng(0)
    for _, param in model.namedparams():
        if param.ndim > 1:
            fan_in = int(np.prod(param.shape[1:]))
            if param.size > 10**7:  # fc6 and fc7: tile a random block, much cheaper to draw
                block = rng.standard_normal((param.shape[0], fan_in // 16), dtype=np.float32)
                param.array[...] = np.tile(block, (1, 16)).reshape(param.shape)
            else:
                param.array[...] = rng.standard_normal(param.shape, dtype=np.float32)
            param.array /= np.float32(np.sqrt(fan_in))
    model.use_preset("evaluate")
    return model


def _conv_shape(name):
    channels = {"1": 64, "2": 128, "3": 256, "4": 512, "5": 512}
    block, index = name[4], name[6]
    out_ch = channels[block]
    if index != "1":
        in_ch = out_ch
    elif block == "1":
        in_ch = 3
    else:
        in_ch = channels[str(int(block) - 1)]
    return (out_ch, in_ch, 3, 3)


def _img(seed=0, shape=(3, 48, 64)):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype(np.float32)


def test_npz_key_layout(model):
    serializer = kusari.serializers.DictionarySerializer()
    serializer.save(model)
    target = serializer.target
    expected = {f"extractor/{name}/conv/{p}" for name in _CONVS for p in "Wb"}
    expected |= {f"rpn/{name}/{p}" for name in ("conv1", "score", "loc") for p in "Wb"}
    expected |= {f"head/{name}/{p}" for name in ("fc6", "fc7", "cls_loc", "score") for p in "Wb"}
    assert set(target) == expected
    shapes = {
        "head/fc6/W": (4096, 25088),
        "head/cls_loc/W": (12, 4096),
        "head/score/b": (3,),
        "rpn/score/W": (18, 512, 1, 1),
        "rpn/loc/W": (36, 512, 1, 1),
        "extractor/conv1_1/conv/W": (64, 3, 3, 3),
        "extractor/conv4_1/conv/W": (512, 256, 3, 3),
    }
    assert {key: target[key].shape for key in shapes} == shapes


def test_predict_end_to_end(model):
    imgs = [_img(0), _img(1, (3, 60, 40))]
    bboxes, labels, scores = model.predict(imgs)
    assert model.n_class == 3
    for img, bbox, label, score in zip(imgs, bboxes, labels, scores, strict=True):
        assert bbox.ndim == 2 and bbox.shape[1] == 4 and bbox.dtype == np.float32
        assert label.shape == score.shape == (len(bbox),)
        assert label.dtype == np.int32 and score.dtype == np.float32
        assert ((label >= 0) & (label < 2)).all()
        assert ((score > 0.05) & (score <= 1)).all()
        assert (bbox >= 0).all() and (bbox[:, 0::2] <= img.shape[1]).all()
        assert (bbox[:, 1::2] <= img.shape[2]).all()
    assert sum(len(b) for b in bboxes) > 0


def test_predict_with_no_proposal_returns_empty_arrays(model, monkeypatch):
    # Proposals smaller than min_size are dropped; with a huge min_size none is left, and the
    # head must still run on zero RoIs.
    monkeypatch.setattr(model.rpn.proposal_layer, "min_size", 10000)
    bboxes, labels, scores = model.predict([_img(2)])
    assert bboxes[0].shape == (0, 4) and bboxes[0].dtype == np.float32
    assert labels[0].shape == (0,) and labels[0].dtype == np.int32
    assert scores[0].shape == (0,) and scores[0].dtype == np.float32


def test_save_load_round_trip(model):
    img = _img(2)
    before = model.predict([img])
    buf = io.BytesIO()
    kusari.serializers.save_npz(buf, model, compression=False)
    saved = {
        name: (param.array.sum(), param.array.ravel()[:100].copy())
        for name, param in model.namedparams()
    }
    for _, param in model.namedparams():  # overwrite every weight, then load them back
        param.array[...] = 0
    buf.seek(0)
    kusari.serializers.load_npz(buf, model)
    for name, param in model.namedparams():
        assert param.array.sum() == saved[name][0], name
        np.testing.assert_array_equal(param.array.ravel()[:100], saved[name][1], err_msg=name)
    after = model.predict([img])
    for b, a in zip(before, after, strict=True):
        np.testing.assert_array_equal(b[0], a[0])
    assert len(after[0][0]) > 0


@pytest.mark.slow
def test_constructor_loads_local_file(model, tmp_path):
    path = tmp_path / "weights.npz"
    kusari.serializers.save_npz(str(path), model, compression=False)
    loaded = FasterRCNNVGG16(n_fg_class=2, pretrained_model=str(path), anchor_scales=(1, 2, 4))
    for name in ("head/cls_loc", "head/fc6", "rpn/loc", "extractor/conv3_2/conv"):
        np.testing.assert_array_equal(
            _link(loaded, name).W.array, _link(model, name).W.array, err_msg=name
        )


def _link(model, path):
    link = model
    for part in path.split("/"):
        link = link[part]
    return link


def test_train_chain_loss_and_gradients(model):
    chain = FasterRCNNTrainChain(
        model,
        anchor_target_creator=AnchorTargetCreator(n_sample=32),
        proposal_target_creator=ProposalTargetCreator(n_sample=8),
    )
    x = (_img(3, (3, 48, 64)) - model.mean)[None]
    bboxes = np.array([[[4, 8, 30, 40], [20, 30, 44, 60]]], np.float32)
    labels = np.array([[0, 1]], np.int32)
    model.cleargrads()
    reporter = kusari.Reporter()
    reporter.add_observer("main", chain)
    observation = {}
    with reporter.scope(observation):
        loss = chain(x, bboxes, labels, np.array([1.0], np.float32))
    assert loss.shape == () and np.isfinite(loss.array)
    for key in ("rpn_loc_loss", "rpn_cls_loss", "roi_loc_loss", "roi_cls_loss", "loss"):
        assert np.isfinite(float(observation[f"main/{key}"].array))
    loss.backward()
    for link in (
        model.head.fc6,
        model.head.cls_loc,
        model.head.score,
        model.rpn.conv1,
        model.rpn.score,
        model.rpn.loc,
        model.extractor.conv5_3.conv,
    ):
        assert link.W.grad is not None and np.isfinite(link.W.grad).all()
        assert np.abs(link.W.grad).sum() > 0
    model.cleargrads()


def test_train_chain_bad_input(model):
    chain = FasterRCNNTrainChain(model)
    x = np.zeros((1, 3, 64, 64), np.float32)
    with pytest.raises(ValueError, match="batch size 1"):
        chain(
            np.zeros((2, 3, 64, 64), np.float32),
            np.zeros((2, 1, 4), np.float32),
            np.zeros((2, 1), np.int32),
            np.ones(2, np.float32),
        )
    with pytest.raises(ValueError, match="labels"):
        chain(x, np.zeros((1, 2, 4), np.float32), np.zeros((1, 3), np.int32), 1.0)


def test_imagenet_weights_are_copied(model):
    vgg = VGG16(initialW=kusari.initializers.Zero())
    for k, name in enumerate(_CONVS):
        vgg[name].conv.W.initialize(_conv_shape(name))
        vgg[name].conv.W.array[...] = k + 1
        vgg[name].conv.b.array[...] = -k
    vgg.fc6.W.initialize((4096, 25088))
    vgg.fc6.W.array[...] = 7
    vgg.fc7.W.initialize((4096, 4096))
    vgg.fc7.b.array[...] = 3
    target = FasterRCNNVGG16(n_fg_class=2, vgg_initialW=kusari.initializers.Zero())
    target._copy_imagenet_pretrained_vgg16(vgg)
    for k, name in enumerate(_CONVS):
        assert (target.extractor[name].conv.W.array == k + 1).all()
        assert (target.extractor[name].conv.b.array == -k).all()
    assert (target.head.fc6.W.array == 7).all() and (target.head.fc7.b.array == 3).all()
    assert (target.head.score.W.array != 0).any()  # not part of VGG-16: left random


def test_constructor_errors():
    with pytest.raises(ValueError, match="n_fg_class"):
        FasterRCNNVGG16()
    with pytest.raises(ValueError, match="pretrained_model"):
        FasterRCNNVGG16(n_fg_class=2, pretrained_model="no_such_model")
    with pytest.raises(ValueError, match="n_fg_class"):
        FasterRCNNVGG16(n_fg_class=0)


def test_models_table():
    models = FasterRCNNVGG16._models
    assert set(models) == {"voc07", "voc0712", "imagenet"}
    assert models["voc07"]["url"].endswith("faster_rcnn_vgg16_voc07_trained_2018_06_01.npz")
    assert models["voc0712"]["url"].endswith("faster_rcnn_vgg16_voc0712_trained_2017_07_21.npz")
    assert models["imagenet"]["url"].endswith("vgg16_imagenet_converted_2017_07_18.npz")
    assert models["voc0712"]["param"] == {"n_fg_class": 20}
