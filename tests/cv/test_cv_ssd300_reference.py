"""SSD300 against ChainerCV 0.13.1's reference outputs (../shared/data/chainercv-ref/ssd300)."""

import pathlib

import numpy
import pytest

import kusari
from kusari_cv.links import SSD300

REF = pathlib.Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "chainercv-ref"
REF = REF.resolve() / "ssd300"

pytestmark = pytest.mark.skipif(
    not (REF / "weights_fp16.npz").is_file(),
    reason=f"ChainerCV SSD300 reference data not found at {REF}",
)


@pytest.fixture(scope="module")
def io():
    return numpy.load(REF / "io.npz", allow_pickle=False)


@pytest.fixture(scope="module")
def model():
    weights = numpy.load(REF / "weights_fp16.npz", allow_pickle=False)
    model = SSD300(n_fg_class=20)
    npz = {key: weights[key].astype(numpy.float32) for key in weights.files}
    kusari.serializers.NpzDeserializer(npz).load(model)
    return model


@pytest.fixture(scope="module")
def raw_outputs(model, io):
    with kusari.using_config("train", False), kusari.no_backprop_mode():
        locs, confs = model(io["x"])
    return locs.array, confs.array


def _sorted(label, score, index):
    return numpy.lexsort((index, -score, label))


def _check_detections(io, name, preset, bbox, label, score, index=None):
    ref_bbox = io[f"{name}_{preset}_bboxes"]
    ref_label = io[f"{name}_{preset}_labels"]
    ref_score = io[f"{name}_{preset}_scores"]
    ref_index = io[f"{name}_{preset}_index"]
    assert bbox.shape == ref_bbox.shape
    assert bbox.dtype == numpy.float32 and label.dtype == numpy.int32
    assert score.dtype == numpy.float32
    ref_order = _sorted(ref_label, ref_score, ref_index)
    if index is None:
        # Match by (label, score, box) order; ties in score are resolved by box position.
        order = numpy.lexsort((bbox[:, 1], bbox[:, 0], -score, label))
        ref_order = numpy.lexsort((ref_bbox[:, 1], ref_bbox[:, 0], -ref_score, ref_label))
    else:
        order = _sorted(label, score, index)
        numpy.testing.assert_array_equal(index[order], ref_index[ref_order])
    numpy.testing.assert_array_equal(label[order], ref_label[ref_order])
    numpy.testing.assert_allclose(score[order], ref_score[ref_order], rtol=0, atol=1e-5)
    numpy.testing.assert_allclose(bbox[order], ref_bbox[ref_order], rtol=0, atol=1e-3)


def test_default_bbox(model, io):
    numpy.testing.assert_array_equal(model.coder._default_bbox, io["default_bbox"])
    assert model.coder._variance == tuple(io["variance"])


def test_weight_keys(model):
    weights = numpy.load(REF / "weights_fp16.npz", allow_pickle=False)
    names = {name.lstrip("/") for name, _ in model.namedparams()}
    assert names == set(weights.files)


def test_raw_outputs(raw_outputs, io):
    locs, confs = raw_outputs
    numpy.testing.assert_allclose(locs, io["mb_locs"], rtol=1e-4, atol=1e-4)
    numpy.testing.assert_allclose(confs, io["mb_confs"], rtol=1e-4, atol=1e-4)


# A score threshold between the 200th and the 201st score of 'low_top200' selects the same
# boxes as thresholding at 0 and keeping the top 200: NMS visits boxes in descending score, so
# boxes below the threshold never suppress one above it.
TOP200_THRESH = {"chelsea": 0.24213578, "astronaut": 0.2526484}


def _decode(model, io, i, nms_thresh, score_thresh):
    bbox, label, score = model.coder.decode(
        io["mb_locs"][i], io["mb_confs"][i], nms_thresh, score_thresh
    )
    h, w = io["orig_hw"][i]
    bbox[:, 0::2] *= numpy.float32(h / 300)
    bbox[:, 1::2] *= numpy.float32(w / 300)
    return bbox, label, score


def test_decode_stored_outputs_top200(model, io):
    for i, name in enumerate(io["image_names"]):
        name = str(name)
        _check_detections(io, name, "low_top200", *_decode(model, io, i, 0.45, TOP200_THRESH[name]))
        _check_detections(io, name, "visualize", *_decode(model, io, i, 0.45, 0.6))


@pytest.mark.slow
@pytest.mark.parametrize("i", [0, 1])
def test_decode_stored_outputs_evaluate(model, io, i):
    _check_detections(io, str(io["image_names"][i]), "evaluate", *_decode(model, io, i, 0.45, 0.01))


def test_predict_end_to_end(model, io):
    # Pillow mode 'F' bilinear resize reproduces the stored input exactly.
    imgs = [io["img_chelsea"].astype(numpy.float32), io["img_astronaut"].astype(numpy.float32)]
    numpy.testing.assert_array_equal(model._prepare(imgs[0]), io["x"][0])
    numpy.testing.assert_array_equal(model._prepare(imgs[1]), io["x"][1])
    model.nms_thresh, model.score_thresh = 0.45, TOP200_THRESH["chelsea"]
    bboxes, labels, scores = model.predict(imgs[:1])
    _check_detections(io, "chelsea", "low_top200", bboxes[0], labels[0], scores[0])
    model.use_preset("visualize")
    assert (model.nms_thresh, model.score_thresh) == (0.45, 0.6)
    bboxes, labels, scores = model.predict(imgs[1:])
    _check_detections(io, "astronaut", "visualize", bboxes[0], labels[0], scores[0])


def test_pretrained_model_path(tmp_path, io):
    weights = numpy.load(REF / "weights_fp16.npz", allow_pickle=False)
    path = tmp_path / "w32.npz"
    numpy.savez(path, **{key: weights[key].astype(numpy.float32) for key in weights.files})
    model = SSD300(n_fg_class=20, pretrained_model=str(path))
    numpy.testing.assert_array_equal(
        model.extractor.norm4.scale.array, weights["extractor/norm4/scale"].astype(numpy.float32)
    )
