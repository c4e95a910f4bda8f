"""YOLO post-processing against NumPy references: default boxes, decoding, predict's letterbox.

No network runs here: the models are built (their convolutions stay uninitialized) and
``_decode`` / ``predict`` are fed synthetic raw outputs.
"""

import numpy
import pytest

import kusari
from kusari_cv.links.model.yolo import (
    Darknet53Extractor,
    DarknetExtractor,
    YOLOv2,
    YOLOv2Tiny,
    YOLOv3,
)


class _SmallDarknetExtractor(DarknetExtractor):
    insize = 64
    grid = 2


class _SmallYOLOv2Tiny(YOLOv2Tiny):
    _extractor = _SmallDarknetExtractor


class _SmallDarknet53Extractor(Darknet53Extractor):
    insize = 64
    grids = (2, 4, 8)


class _SmallYOLOv3(YOLOv3):
    _extractor = _SmallDarknet53Extractor


def _sigmoid(x):
    return 1 / (1 + numpy.exp(-x.astype(numpy.float64)))


def _iou(a, b):
    tl = numpy.maximum(a[:2], b[:2])
    br = numpy.minimum(a[2:], b[2:])
    inter = numpy.prod(br - tl) if (tl < br).all() else 0.0
    return inter / (numpy.prod(a[2:] - a[:2]) + numpy.prod(b[2:] - b[:2]) - inter)


def _reference_suppress(bbox, score, nms_thresh, score_thresh):
    """Per-class thresholding and greedy NMS, one box at a time."""
    out_bbox, out_label, out_score = [], [], []
    for lb in range(score.shape[1]):
        order = [i for i in numpy.argsort(-score[:, lb]) if score[i, lb] >= score_thresh]
        keep = []
        for i in order:
            if all(_iou(bbox[i], bbox[j]) < nms_thresh for j in keep):
                keep.append(i)
        out_bbox += [bbox[i] for i in keep]
        out_label += [lb] * len(keep)
        out_score += [score[i, lb] for i in keep]
    return (
        numpy.array(out_bbox, dtype=numpy.float64).reshape(-1, 4),
        numpy.array(out_label, dtype=numpy.int32),
        numpy.array(out_score, dtype=numpy.float64),
    )


def _check_against(result, expected, n_candidates):
    bbox, label, score = result
    assert bbox.dtype == numpy.float32 and label.dtype == numpy.int32
    assert score.dtype == numpy.float32
    numpy.testing.assert_array_equal(label, expected[1])
    numpy.testing.assert_allclose(bbox, expected[0], rtol=1e-5, atol=1e-3)
    numpy.testing.assert_allclose(score, expected[2], rtol=1e-5)
    # The synthetic outputs are chosen so that both thresholding and NMS remove boxes.
    assert 0 < len(label) < n_candidates


def test_yolo_v2_default_bbox_layout():
    model = YOLOv2(n_fg_class=20)
    default = model._default_bbox
    assert default.shape == (13 * 13 * 5, 4) and default.dtype == numpy.float32
    # row (v * 13 + u) * 5 + a holds (v, u, anchor_h, anchor_w)
    numpy.testing.assert_allclose(default[0], (0, 0, 1.73145, 1.3221))
    numpy.testing.assert_allclose(default[(2 * 13 + 7) * 5 + 3], (2, 7, 4.84053, 9.47112))
    numpy.testing.assert_allclose(default[-1], (12, 12, 10.0071, 11.2364))


def test_yolo_v3_default_bbox_and_step_layout():
    model = YOLOv3(n_fg_class=20)
    default, step = model._default_bbox, model._step
    n13, n26, n52 = 13 * 13 * 3, 26 * 26 * 3, 52 * 52 * 3
    assert default.shape == (n13 + n26 + n52, 4) and step.shape == (n13 + n26 + n52,)
    numpy.testing.assert_array_equal(step[:n13], 32)
    numpy.testing.assert_array_equal(step[n13 : n13 + n26], 16)
    numpy.testing.assert_array_equal(step[n13 + n26 :], 8)
    numpy.testing.assert_allclose(default[(1 * 13 + 4) * 3 + 2], (1, 4, 326, 373))
    numpy.testing.assert_allclose(default[n13 + (25 * 26 + 3) * 3], (25, 3, 61, 30))
    numpy.testing.assert_allclose(default[n13 + n26 + (51 * 52 + 50) * 3 + 1], (51, 50, 30, 16))


def test_yolo_v2_decode_matches_reference():
    model = _SmallYOLOv2Tiny(n_fg_class=3)
    model.score_thresh = 0.1
    rng = numpy.random.default_rng(0)
    n_box = 2 * 2 * 5
    loc = rng.normal(0, 0.5, (n_box, 4)).astype(numpy.float32)
    obj = rng.normal(0, 2, n_box).astype(numpy.float32)
    conf = rng.normal(0, 2, (n_box, 3)).astype(numpy.float32)

    stride = 64 / 2
    bbox = numpy.empty((n_box, 4))
    for k in range(n_box):
        cell, a = divmod(k, 5)
        v, u = divmod(cell, 2)
        anchor_h, anchor_w = YOLOv2Tiny._anchors[a]
        cy = (v + _sigmoid(loc[k, 0])) * stride
        cx = (u + _sigmoid(loc[k, 1])) * stride
        h = anchor_h * numpy.exp(loc[k, 2]) * stride
        w = anchor_w * numpy.exp(loc[k, 3]) * stride
        bbox[k] = (cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2)
    prob = numpy.exp(conf) / numpy.exp(conf).sum(axis=1, keepdims=True)
    score = _sigmoid(obj)[:, None] * prob
    expected = _reference_suppress(bbox, score, 0.45, 0.1)

    _check_against(model._decode(loc, obj, conf), expected, int((score >= 0.1).sum()))


def test_yolo_v2_decode_large_logits_do_not_overflow():
    model = _SmallYOLOv2Tiny(n_fg_class=2)
    n_box = 2 * 2 * 5
    loc = numpy.zeros((n_box, 4), numpy.float32)
    obj = numpy.full(n_box, -200, numpy.float32)
    obj[7] = 200
    conf = numpy.zeros((n_box, 2), numpy.float32)
    conf[7] = (1000, 0)
    bbox, label, score = model._decode(loc, obj, conf)
    numpy.testing.assert_array_equal(label, [0])
    numpy.testing.assert_allclose(score, [1])
    assert numpy.isfinite(bbox).all()


def test_yolo_v3_decode_matches_reference():
    model = _SmallYOLOv3(n_fg_class=2)
    model.score_thresh = 0.2
    rng = numpy.random.default_rng(1)
    grids = (2, 4, 8)
    n_box = sum(3 * g * g for g in grids)
    loc = rng.normal(0, 0.5, (n_box, 4)).astype(numpy.float32)
    obj = rng.normal(0, 2, n_box).astype(numpy.float32)
    conf = rng.normal(0, 2, (n_box, 2)).astype(numpy.float32)

    bbox = numpy.empty((n_box, 4))
    k = 0
    for grid, anchors in zip(grids, YOLOv3._anchors, strict=True):
        stride = 64 / grid
        for v in range(grid):
            for u in range(grid):
                for anchor_h, anchor_w in anchors:
                    cy = (v + _sigmoid(loc[k, 0])) * stride
                    cx = (u + _sigmoid(loc[k, 1])) * stride
                    h = anchor_h * numpy.exp(loc[k, 2])
                    w = anchor_w * numpy.exp(loc[k, 3])
                    bbox[k] = (cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2)
                    k += 1
    score = _sigmoid(obj)[:, None] * _sigmoid(conf)
    expected = _reference_suppress(bbox, score, 0.45, 0.2)

    _check_against(model._decode(loc, obj, conf), expected, int((score >= 0.2).sum()))


def test_decode_nothing_above_threshold_gives_empty_arrays():
    model = _SmallYOLOv3(n_fg_class=2)
    n_box = 3 * (4 + 16 + 64)
    loc = numpy.zeros((n_box, 4), numpy.float32)
    obj = numpy.full(n_box, -10, numpy.float32)
    bbox, label, score = model._decode(loc, obj, numpy.zeros((n_box, 2), numpy.float32))
    assert bbox.shape == (0, 4) and bbox.dtype == numpy.float32
    assert label.shape == (0,) and label.dtype == numpy.int32
    assert score.shape == (0,) and score.dtype == numpy.float32


class _Recorder(_SmallYOLOv2Tiny):
    """Records the network input and returns a fixed detection in canvas pixels."""

    def forward(self, x):
        self.seen = x
        b = x.shape[0]
        n_box = 2 * 2 * 5
        return (
            kusari.Variable(numpy.zeros((b, n_box, 4), numpy.float32)),
            kusari.Variable(numpy.zeros((b, n_box), numpy.float32)),
            kusari.Variable(numpy.zeros((b, n_box, self.n_fg_class), numpy.float32)),
        )

    def _decode(self, loc, obj, conf):
        bbox = numpy.array([[8, 0, 56, 64], [16, 16, 48, 32]], numpy.float32)
        return bbox, numpy.array([1, 0], numpy.int32), numpy.array([0.9, 0.6], numpy.float32)


def test_predict_letterbox_input_and_box_mapping():
    model = _Recorder(n_fg_class=2)
    wide = numpy.full((3, 480, 640), 255, numpy.float32)
    small = numpy.full((3, 30, 40), 51, numpy.float32)
    bboxes, labels, scores = model.predict([wide, small])
    x = model.seen
    assert x.shape == (2, 3, 64, 64) and x.dtype == numpy.float32
    # 480x640 is shrunk by 0.1 to 48x64 and centered: rows 8..56 hold the image, the rest 0.5.
    numpy.testing.assert_allclose(x[0, :, 8:56], 1, rtol=1e-6)
    numpy.testing.assert_array_equal(x[0, :, :8], 0.5)
    numpy.testing.assert_array_equal(x[0, :, 56:], 0.5)
    # 30x40 fits and is not enlarged: placed at offset (17, 12).
    numpy.testing.assert_allclose(x[1, :, 17:47, 12:52], 0.2, rtol=1e-6)
    numpy.testing.assert_array_equal(x[1, :, :17], 0.5)
    numpy.testing.assert_array_equal(x[1, :, :, :12], 0.5)

    # canvas (y, x) -> ((y - 32) * H / H_s + H / 2, (x - 32) * W / W_s + W / 2)
    numpy.testing.assert_allclose(bboxes[0], [[0, 0, 480, 640], [80, 160, 400, 320]], rtol=1e-6)
    numpy.testing.assert_allclose(bboxes[1], [[-9, -12, 39, 52], [-1, 4, 31, 20]], rtol=1e-6)
    for bbox, label, score in zip(bboxes, labels, scores, strict=True):
        assert bbox.dtype == numpy.float32
        numpy.testing.assert_array_equal(label, [1, 0])
        numpy.testing.assert_allclose(score, [0.9, 0.6])


@pytest.mark.parametrize("model_class", [YOLOv2, YOLOv2Tiny, YOLOv3])
def test_use_preset(model_class):
    model = model_class(n_fg_class=1)
    assert (model.nms_thresh, model.score_thresh) == (0.45, 0.5)
    model.use_preset("evaluate")
    assert (model.nms_thresh, model.score_thresh) == (0.45, 0.005)
    model.use_preset("visualize")
    assert (model.nms_thresh, model.score_thresh) == (0.45, 0.5)
    with pytest.raises(ValueError, match="use_preset: preset must be 'visualize' or 'evaluate'"):
        model.use_preset("train")


@pytest.mark.parametrize(
    ("model_class", "file_name"),
    [
        (YOLOv2, "yolo_v2_voc0712_converted_2018_05_03.npz"),
        (YOLOv2Tiny, "yolo_v2_tiny_voc0712_converted_2018_10_19.npz"),
        (YOLOv3, "yolo_v3_voc0712_converted_2018_05_01.npz"),
    ],
)
def test_models_table(model_class, file_name):
    assert list(model_class._models) == ["voc0712"]
    entry = model_class._models["voc0712"]
    assert entry["param"] == {"n_fg_class": 20}
    assert entry["url"] == "https://chainercv-models.preferred.jp/" + file_name


@pytest.mark.parametrize("model_class", [YOLOv2, YOLOv2Tiny, YOLOv3])
def test_constructor_errors(model_class):
    name = model_class.__name__
    with pytest.raises(ValueError, match="n_fg_class must be given"):
        model_class()
    with pytest.raises(ValueError, match=f"{name}: n_fg_class must be >= 1, got 0"):
        model_class(n_fg_class=0)
    with pytest.raises(TypeError, match=f"{name}: n_fg_class must be an int, got float"):
        model_class(n_fg_class=2.5)
    with pytest.raises(ValueError, match="'voc0712' needs n_fg_class=20, got 3"):
        model_class(n_fg_class=3, pretrained_model="voc0712")
    with pytest.raises(ValueError, match="pretrained_model must be None"):
        model_class(n_fg_class=3, pretrained_model="no_such_model")


def test_predict_input_errors():
    model = _Recorder(n_fg_class=2)
    with pytest.raises(
        ValueError, match=r"_Recorder.predict: expected images of shape \(3, H, W\)"
    ):
        model.predict([numpy.zeros((480, 640), numpy.float32)])
    with pytest.raises(ValueError, match=r"got \(1, 48, 64\)"):
        model.predict([numpy.zeros((1, 48, 64), numpy.float32)])
    with pytest.raises(ValueError, match="expected at least one image"):
        model.predict([])
