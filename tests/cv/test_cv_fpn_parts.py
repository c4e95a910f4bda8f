"""Tests of the FPN parts: anchors, level assignment, decoding, shapes, errors."""

import math

import numpy
import pytest

import kusari
import kusari.functions as F
import kusari.links as L
from kusari_cv.links.model.fpn import FPN, RPN, BboxHead, FasterRCNN
from kusari_cv.utils.testing import assert_is_detection_link


def _ref_iou(a, b):
    tl = numpy.maximum(a[:2], b[:2])
    br = numpy.minimum(a[2:], b[2:])
    inter = numpy.prod(br - tl) if (tl < br).all() else 0.0
    return inter / (numpy.prod(a[2:] - a[:2]) + numpy.prod(b[2:] - b[:2]) - inter)


def _ref_nms(boxes, thresh):
    selected = []
    for k in range(len(boxes)):
        if all(_ref_iou(boxes[k], boxes[s]) < thresh for s in selected):
            selected.append(k)
    return selected


def _ref_decode(base, loc, std, size):
    """Decode one box the textbook way; ``size`` is the clip bound ``(H, W)``."""
    y0, x0, y1, x1 = (float(v) for v in base)
    h, w = y1 - y0, x1 - x0
    cy, cx = y0 + h / 2, x0 + w / 2
    dy, dx, dh, dw = (float(v) for v in loc)
    cy += dy * std[0] * h
    cx += dx * std[0] * w
    h *= math.exp(min(dh * std[1], math.log(1000 / 16)))
    w *= math.exp(min(dw * std[1], math.log(1000 / 16)))
    box = [cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2]
    return numpy.array([min(max(v, 0), size[k % 2]) for k, v in enumerate(box)])


class _FakeBase(kusari.Chain):
    """Two feature maps at strides 4 and 8."""

    mean = numpy.full((3, 1, 1), 100, dtype=numpy.float32)

    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.conv1 = L.Convolution2D(3, 4, 3, stride=4, pad=1)
            self.conv2 = L.Convolution2D(4, 8, 3, stride=2, pad=1)

    def forward(self, x):
        h1 = F.relu(self.conv1(x))
        return h1, F.relu(self.conv2(h1))


_SCALES = (1 / 4, 1 / 8, 1 / 16)


def _tiny_faster_rcnn(**kwargs):
    numpy.random.seed(0)
    extractor = FPN(_FakeBase(), 2, _SCALES)
    rpn = RPN(_SCALES)
    # Fewer proposals keep the box head's 12544 x 1024 layer cheap.
    rpn._test_nms_limit_pre = rpn._test_nms_limit_post = 30
    return FasterRCNN(extractor, rpn, BboxHead(4, _SCALES), **kwargs)


# --- anchors ---------------------------------------------------------------------------------


def test_anchors_match_reference():
    rpn = RPN((1 / 4, 1 / 8, 1 / 16))
    sizes = [(3, 5), (2, 3), (1, 1)]
    anchors = rpn.anchors(sizes)
    for level, ((H, W), anchor) in enumerate(zip(sizes, anchors, strict=True)):
        scale = rpn._scales[level]
        expected = []
        for i in range(H):
            for j in range(W):
                for ratio in (0.5, 1, 2):
                    w = round(1 / math.sqrt(ratio) / scale)
                    h = round(w * ratio)
                    side = 32 * 2**level * scale
                    cy, cx = (i + 0.5) / scale, (j + 0.5) / scale
                    h, w = h * side, w * side
                    expected.append([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2])
        assert anchor.dtype == numpy.float32
        numpy.testing.assert_allclose(anchor, numpy.array(expected), rtol=1e-6)


def test_anchor_sizes_level0_hand_computed():
    (anchor,) = RPN((1 / 4,)).anchors([(1, 1)])
    # round(4 / sqrt(r)) and round(that * r), times 32 * 1/4 = 8: (h, w) = (24, 48), (32, 32),
    # (48, 24), centred at (2, 2).
    expected = [[-10, -22, 14, 26], [-14, -14, 18, 18], [-22, -10, 26, 14]]
    numpy.testing.assert_array_equal(anchor, numpy.array(expected, dtype=numpy.float32))


# --- level assignment -------------------------------------------------------------------------


def test_distribute_hand_computed_levels():
    head = BboxHead(3, (1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64))
    # sqrt(h * w): 224 -> 2, 112 -> 1, 56 -> 0, 448 -> 3, 896 -> 4 clipped to 3, 10 -> 0,
    # 223 -> 1 (just below 224), 0 (empty) -> 0.
    sides = [(224, 224), (56, 224), (56, 56), (448, 448), (896, 896), (10, 10), (223, 223), (0, 5)]
    rois = numpy.array([[1, 2, 1 + h, 2 + w] for h, w in sides], dtype=numpy.float32)
    roi_indices = numpy.arange(len(rois), dtype=numpy.int32)
    out_rois, out_indices = head.distribute(rois, roi_indices)
    expected = [[2, 5, 7], [1, 6], [0], [3, 4], []]
    assert len(out_rois) == len(out_indices) == 5
    for level, members in enumerate(expected):
        numpy.testing.assert_array_equal(out_indices[level], numpy.array(members))
        numpy.testing.assert_array_equal(out_rois[level], rois[members].reshape(-1, 4))


def test_distribute_bad_shapes():
    head = BboxHead(3, _SCALES)
    with pytest.raises(ValueError, match="BboxHead.distribute"):
        head.distribute(numpy.zeros((2, 3), numpy.float32), numpy.zeros(2, numpy.int32))
    with pytest.raises(ValueError, match="BboxHead.distribute"):
        head.distribute(numpy.zeros((2, 4), numpy.float32), numpy.zeros(3, numpy.int32))


# --- RPN decoding -----------------------------------------------------------------------------


def _ref_rpn_decode(rpn, locs, confs, anchors, in_shape, limit_pre, limit_post):
    rois, roi_indices = [], []
    for i in range(in_shape[0]):
        roi_all, conf_all = [], []
        for loc, conf, anchor in zip(locs, confs, anchors, strict=True):
            boxes = numpy.array(
                [
                    _ref_decode(a, d, (1, 1), in_shape[2:])
                    for a, d in zip(anchor, loc[i], strict=True)
                ]
            )
            order = numpy.argsort(-conf[i], kind="stable")[:limit_pre]
            order = [k for k in order if (boxes[k, 2:] > boxes[k, :2]).all()]
            kept = [order[k] for k in _ref_nms(boxes[order], rpn._nms_thresh)][:limit_post]
            roi_all.extend(boxes[kept])
            conf_all.extend(conf[i][kept])
        order = numpy.argsort(-numpy.array(conf_all), kind="stable")[:limit_post]
        rois.extend(numpy.array(roi_all)[order])
        roi_indices.extend([i] * len(order))
    return numpy.array(rois), numpy.array(roi_indices)


@pytest.mark.parametrize("train", [False, True])
def test_rpn_decode_matches_reference(train):
    rng = numpy.random.default_rng(1)
    scales = (1 / 4, 1 / 8)
    rpn = RPN(scales)
    rpn._test_nms_limit_pre, rpn._test_nms_limit_post = 12, 7
    rpn._train_nms_limit_pre, rpn._train_nms_limit_post = 20, 9
    in_shape = (2, 3, 32, 24)
    anchors = rpn.anchors([(8, 6), (4, 3)])
    locs = [rng.normal(0, 0.4, (2, len(a), 4)).astype(numpy.float32) for a in anchors]
    locs[0][0, 0, 2] = 10  # beyond the log-scale clip
    confs = [rng.normal(0, 1, (2, len(a))).astype(numpy.float32) for a in anchors]
    with kusari.using_config("train", train):
        rois, roi_indices = rpn.decode([kusari.Variable(v) for v in locs], confs, anchors, in_shape)
    limits = (20, 9) if train else (12, 7)
    expected_rois, expected_indices = _ref_rpn_decode(rpn, locs, confs, anchors, in_shape, *limits)
    assert rois.dtype == numpy.float32 and roi_indices.dtype == numpy.int32
    assert len(rois) == limits[1] * 2
    numpy.testing.assert_array_equal(roi_indices, expected_indices)
    numpy.testing.assert_allclose(rois, expected_rois, rtol=1e-5, atol=1e-4)


def test_rpn_decode_bad_levels():
    rpn = RPN((1 / 4, 1 / 8))
    anchors = rpn.anchors([(2, 2)])
    locs = [numpy.zeros((1, 12, 4), numpy.float32)]
    confs = [numpy.zeros((1, 12), numpy.float32)]
    with pytest.raises(ValueError, match="RPN.decode: expected 2 levels"):
        rpn.decode(locs, confs, anchors, (1, 3, 8, 8))


# --- box head decoding ------------------------------------------------------------------------


def test_bbox_head_decode_matches_reference():
    rng = numpy.random.default_rng(2)
    n_class = 4
    head = BboxHead(n_class, _SCALES)
    n_roi = 30
    tl = rng.uniform(0, 40, (n_roi, 2))
    rois = numpy.concatenate((tl, tl + rng.uniform(4, 30, (n_roi, 2))), axis=1)
    rois = rois.astype(numpy.float32)
    roi_indices = numpy.repeat(numpy.arange(2, dtype=numpy.int32), n_roi // 2)
    locs = rng.normal(0, 1, (n_roi, n_class, 4)).astype(numpy.float32)
    confs = rng.normal(0, 2, (n_roi, n_class)).astype(numpy.float32)
    scales = [0.5, 2.0]
    sizes = [(100, 90), (30, 25)]
    rois_l, indices_l = head.distribute(rois, roi_indices)
    order = numpy.concatenate([numpy.flatnonzero(m) for m in _level_masks(rois, head)])
    bboxes, labels, scores = head.decode(
        rois_l, indices_l, locs[order], confs[order], scales, sizes, 0.4, 0.2
    )
    for i in range(2):
        exp_bbox, exp_label, exp_score = [], [], []
        rows = [k for k in order if roi_indices[k] == i]
        prob = numpy.exp(confs[rows].astype(numpy.float64))
        prob /= prob.sum(axis=1, keepdims=True)
        for fg in range(n_class - 1):
            cand = [
                (
                    prob[r, fg + 1],
                    _ref_decode(rois[k] / scales[i], locs[k, fg + 1], head.std, sizes[i]),
                )
                for r, k in enumerate(rows)
                if prob[r, fg + 1] >= 0.2
            ]
            cand.sort(key=lambda c: -c[0])
            boxes = numpy.array([c[1] for c in cand]).reshape(-1, 4)
            for s in _ref_nms(boxes, 0.4):
                exp_bbox.append(boxes[s])
                exp_label.append(fg)
                exp_score.append(cand[s][0])
        assert bboxes[i].dtype == numpy.float32 and scores[i].dtype == numpy.float32
        assert labels[i].dtype == numpy.int32
        assert len(exp_label) > 0
        numpy.testing.assert_array_equal(labels[i], exp_label)
        numpy.testing.assert_allclose(scores[i], exp_score, rtol=1e-5)
        numpy.testing.assert_allclose(bboxes[i], numpy.array(exp_bbox), rtol=1e-5, atol=1e-4)


def _level_masks(rois, head):
    size = numpy.sqrt(numpy.prod(rois[:, 2:] - rois[:, :2], axis=1))
    level = numpy.clip(numpy.floor(numpy.log2(size / 224 + 1e-6)) + 2, 0, len(head._scales) - 2)
    return [level == lv for lv in range(len(head._scales))]


def test_bbox_head_decode_errors():
    head = BboxHead(3, _SCALES)
    rois = [numpy.zeros((2, 4), numpy.float32)] + [numpy.zeros((0, 4), numpy.float32)] * 2
    indices = [numpy.zeros(2, numpy.int32)] + [numpy.zeros(0, numpy.int32)] * 2
    locs = numpy.zeros((2, 3, 4), numpy.float32)
    confs = numpy.zeros((2, 3), numpy.float32)
    with pytest.raises(ValueError, match="as many scales as sizes"):
        head.decode(rois, indices, locs, confs, [1.0], [(5, 5), (5, 5)], 0.5, 0.1)
    with pytest.raises(ValueError, match="expected locs"):
        head.decode(rois, indices, locs[:, :2], confs, [1.0], [(5, 5)], 0.5, 0.1)


def test_bbox_head_decode_no_regions():
    head = BboxHead(3, _SCALES)
    rois = [numpy.zeros((0, 4), numpy.float32)] * 3
    indices = [numpy.zeros(0, numpy.int32)] * 3
    locs = numpy.zeros((0, 3, 4), numpy.float32)
    confs = numpy.zeros((0, 3), numpy.float32)
    bboxes, labels, scores = head.decode(
        rois, indices, locs, confs, [1.0, 2.0], [(5, 5), (6, 6)], 0.5, 0.0
    )
    for bbox, label, score in zip(bboxes, labels, scores, strict=True):
        assert bbox.shape == (0, 4) and bbox.dtype == numpy.float32
        assert label.shape == (0,) and label.dtype == numpy.int32
        assert score.shape == (0,) and score.dtype == numpy.float32


def test_bbox_head_needs_background_class():
    with pytest.raises(ValueError, match="n_class >= 2"):
        BboxHead(1, _SCALES)


# --- shapes on a tiny extractor ---------------------------------------------------------------


def test_fpn_rpn_bbox_head_shapes():
    numpy.random.seed(0)
    fpn = FPN(_FakeBase(), 2, _SCALES)
    x = numpy.random.uniform(-1, 1, (2, 3, 64, 32)).astype(numpy.float32)
    hs = fpn(x)
    assert [h.shape for h in hs] == [(2, 256, 16, 8), (2, 256, 8, 4), (2, 256, 4, 2)]
    rpn = RPN(_SCALES)
    locs, confs = rpn(hs)
    assert [loc.shape for loc in locs] == [(2, 384, 4), (2, 96, 4), (2, 24, 4)]
    assert [conf.shape for conf in confs] == [(2, 384), (2, 96), (2, 24)]
    head = BboxHead(5, _SCALES)
    rois = [
        numpy.array([[0, 0, 10, 12], [4, 4, 30, 20]], numpy.float32),
        numpy.zeros((0, 4), numpy.float32),
        numpy.array([[1, 2, 60, 30]], numpy.float32),
    ]
    roi_indices = [
        numpy.array([0, 1], numpy.int32),
        numpy.zeros(0, numpy.int32),
        numpy.array([1], numpy.int32),
    ]
    head_locs, head_confs = head(hs, rois, roi_indices)
    assert head_locs.shape == (3, 5, 4) and head_confs.shape == (3, 5)
    empty = [numpy.zeros((0, 4), numpy.float32)] * 3
    empty_indices = [numpy.zeros(0, numpy.int32)] * 3
    head_locs, head_confs = head(hs, empty, empty_indices)
    assert head_locs.shape == (0, 5, 4) and head_confs.shape == (0, 5)


def test_fpn_mean_and_errors():
    base = _FakeBase()
    assert FPN(base, 2, _SCALES).mean is base.mean
    with pytest.raises(ValueError, match="n_base_output"):
        FPN(_FakeBase(), 4, _SCALES)
    fpn = FPN(_FakeBase(), 1, _SCALES)
    with pytest.raises(ValueError, match="expected 1 feature maps"):
        fpn(numpy.zeros((1, 3, 32, 32), numpy.float32))


# --- FasterRCNN on the tiny extractor ---------------------------------------------------------


def test_prepare_scales_and_pads():
    model = _tiny_faster_rcnn(min_size=40, max_size=70)
    imgs = [
        numpy.full((3, 20, 30), 100, numpy.float32),
        numpy.full((3, 50, 10), 100, numpy.float32),
    ]
    x, scales = model.prepare(imgs)
    # 20x30 -> scale 2 -> 40x60; 50x10 -> 4 would give 200 > 70, so 70/50 -> 70x14.
    assert scales == [2.0, 70 / 50]
    assert x.shape == (2, 3, 96, 64) and x.dtype == numpy.float32
    numpy.testing.assert_array_equal(x, 0)  # the mean is 100 and the padding zero


def test_prepare_does_not_modify_input():
    model = _tiny_faster_rcnn(min_size=32, max_size=64)
    img = numpy.full((3, 32, 32), 7, numpy.float32)
    model.prepare([img])
    numpy.testing.assert_array_equal(img, 7)


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")
def test_tiny_predict_interface():
    model = _tiny_faster_rcnn(min_size=32, max_size=48)
    model.score_thresh = 0.0
    assert_is_detection_link(model, 3)


def test_tiny_predict_return_values():
    model = _tiny_faster_rcnn(return_values=["scores", "rois"], min_size=32, max_size=48)
    assert "bbox_head" in [c.name for c in model.children()]
    img = numpy.random.RandomState(3).uniform(0, 255, (3, 40, 60)).astype(numpy.float32)
    scores, rois = model.predict([img])
    assert len(scores) == len(rois) == 1
    assert rois[0].dtype == numpy.float32 and rois[0].shape[1] == 4 and len(rois[0]) > 0
    # Proposals are clipped to the padded input: 40x60 scaled by 0.8 is 32x48, padded to 32x64.
    assert (rois[0][:, :2] >= 0).all() and (rois[0][:, 2:] <= [40 + 1e-3, 80 + 1e-3]).all()
    rois_only = _tiny_faster_rcnn(return_values=("rois",), min_size=32, max_size=48)
    assert "bbox_head" not in [c.name for c in rois_only.children()]
    (rois2,) = rois_only.predict([img])
    numpy.testing.assert_allclose(rois2[0], rois[0], rtol=1e-6)


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")
def test_tiny_save_load_round_trip(tmp_path):
    img = numpy.random.RandomState(5).uniform(0, 255, (3, 40, 60)).astype(numpy.float32)
    values = ("rois", "bboxes", "labels", "scores")
    model = _tiny_faster_rcnn(return_values=values, min_size=32, max_size=48)
    model.score_thresh = 0.0
    expected = model.predict([img])
    path = tmp_path / "tiny.npz"
    kusari.serializers.save_npz(path, model, compression=False)
    numpy.random.seed(1)
    extractor = FPN(_FakeBase(), 2, _SCALES)
    rpn = RPN(_SCALES)
    rpn._test_nms_limit_pre = rpn._test_nms_limit_post = 30
    other = FasterRCNN(extractor, rpn, BboxHead(4, _SCALES), None, values, 32, 48)
    other.score_thresh = 0.0
    kusari.serializers.load_npz(path, other)
    got = other.predict([img])
    assert sum(len(b) for b in got[1]) > 0
    for e, g in zip(expected, got, strict=True):
        numpy.testing.assert_array_equal(g[0], e[0])


def test_faster_rcnn_errors():
    with pytest.raises(ValueError, match="'masks'"):
        _tiny_faster_rcnn(return_values=("bboxes", "masks"))
    with pytest.raises(ValueError, match="mask_head must be None.*got Link"):
        _tiny_faster_rcnn(mask_head=kusari.Link())
    with pytest.raises(ValueError, match="return_values must be among"):
        _tiny_faster_rcnn(return_values=("boxes",))
    model = _tiny_faster_rcnn()
    with pytest.raises(ValueError, match="preset must be"):
        model.use_preset("fast")
    model.use_preset("evaluate")
    assert (model.nms_thresh, model.score_thresh) == (0.5, 0.05)
    model.use_preset("visualize")
    assert (model.nms_thresh, model.score_thresh) == (0.5, 0.7)
    with pytest.raises(ValueError, match=r"expected images \(3, H, W\)"):
        model.predict([numpy.zeros((32, 32), numpy.float32)])
    with pytest.raises(ValueError, match="at least one image"):
        model.prepare([])
    with kusari.using_config("train", True), pytest.raises(RuntimeError, match="inference"):
        model(numpy.zeros((1, 3, 32, 32), numpy.float32))


@pytest.mark.gpu
@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")
def test_tiny_predict_cupy_matches_numpy():
    img = numpy.random.RandomState(4).uniform(0, 255, (3, 40, 60)).astype(numpy.float32)
    values = ("rois", "bboxes", "labels", "scores")
    model = _tiny_faster_rcnn(return_values=values, min_size=64, max_size=96)
    model.score_thresh = 0.0
    expected = model.predict([img])
    model.to_device("@cupy:0")
    got = model.predict([img])
    for e, g in zip(expected, got, strict=True):
        assert isinstance(g[0], numpy.ndarray)
        numpy.testing.assert_allclose(g[0], e[0], rtol=1e-4, atol=1e-3)
