"""FasterRCNN's preprocessing and post-processing, with a stub extractor and head."""

import math

import numpy as np
import pytest

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import initializers
from kusari_cv.links.model.faster_rcnn import FasterRCNN, RegionProposalNetwork, loc2bbox


class _Extractor(kusari.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.conv = L.Convolution2D(
                3,
                4,
                ksize=16,
                stride=16,
                initialW=initializers.Normal(0.01, rng=np.random.RandomState(0)),
            )

    def forward(self, x):
        return self.conv(x)


class _Head(kusari.Chain):
    """Outputs that depend on the RoIs only (not on the features)."""

    def __init__(self, n_class):
        super().__init__()
        self.n_class = n_class
        rng = np.random.RandomState(1)
        with self.init_scope():
            self.loc = L.Linear(4, n_class * 4, initialW=initializers.Normal(0.5, rng=rng))
            self.cls = L.Linear(
                4,
                n_class,
                initialW=initializers.Normal(1.0, rng=rng),
                initial_bias=np.array([-1.0, 1.5, 0.5, 2.0], np.float32)[:n_class],
            )

    def forward(self, x, rois, roi_indices):
        h = rois / 32.0
        return self.loc(h), self.cls(h)


def _model(min_size=64, max_size=128):
    rpn = RegionProposalNetwork(
        4,
        4,
        anchor_scales=(1, 2),
        feat_stride=16,
        initialW=initializers.Normal(0.01, rng=np.random.RandomState(2)),
        proposal_creator_params={"min_size": 2, "nms_thresh": 0.9},
    )
    mean = np.array([10.0, 20.0, 30.0], np.float32)[:, None, None]
    return FasterRCNN(_Extractor(), rpn, _Head(4), mean, min_size=min_size, max_size=max_size)


def _iou(a, b):
    top, left = max(a[0], b[0]), max(a[1], b[1])
    bottom, right = min(a[2], b[2]), min(a[3], b[3])
    inter = (bottom - top) * (right - left) if (top < bottom and left < right) else 0.0
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _decode_ref(model, img):
    """Loop reference of predict's decoding, on the model's own raw outputs."""
    x = model.prepare(img)
    scale = x.shape[2] / img.shape[2]
    with kusari.using_config("train", False), kusari.no_backprop_mode():
        roi_cls_loc, roi_score, roi, _ = model.forward(x[None], scales=[scale])
    roi_cls_loc, roi_score = roi_cls_loc.array, roi_score.array
    n_class = model.n_class
    std, mean = np.array(model.loc_normalize_std), np.array(model.loc_normalize_mean)
    bboxes, labels, scores = [], [], []
    for lbl in range(1, n_class):
        cand = []
        for r in range(len(roi)):
            logits = roi_score[r].astype(np.float64)
            prob = math.exp(logits[lbl] - logits.max()) / np.exp(logits - logits.max()).sum()
            if prob <= model.score_thresh:
                continue
            loc = roi_cls_loc[r, lbl * 4 : lbl * 4 + 4] * std + mean
            box = loc2bbox(roi[r : r + 1] / scale, loc[None].astype(np.float32))[0]
            box[0::2] = np.clip(box[0::2], 0, img.shape[1])
            box[1::2] = np.clip(box[1::2], 0, img.shape[2])
            cand.append((prob, r, box))
        cand.sort(key=lambda c: (-c[0], -c[1]))
        kept = []
        for prob, _, box in cand:
            if all(_iou(box, k[1]) < model.nms_thresh for k in kept):
                kept.append((prob, box))
        for prob, box in kept:
            bboxes.append(box)
            labels.append(lbl - 1)
            scores.append(prob)
    return np.array(bboxes).reshape((-1, 4)), np.array(labels), np.array(scores)


def test_prepare_scaling_and_mean():
    model = _model(min_size=60, max_size=100)
    img = np.full((3, 30, 40), 100, np.float32)
    out = model.prepare(img)
    assert out.shape == (3, 60, 80) and out.dtype == np.float32
    np.testing.assert_allclose(out[:, 5, 7], [90, 80, 70], rtol=1e-6)
    model.max_size = 70  # 60 / 30 * 40 = 80 > 70: the longer side becomes 70
    assert model.prepare(img).shape == (3, 52, 70)
    with pytest.raises(ValueError, match="FasterRCNN.prepare"):
        model.prepare(np.zeros((30, 40), np.float32))


def test_use_preset():
    model = _model()
    assert (model.nms_thresh, model.score_thresh) == (0.3, 0.7)
    model.use_preset("evaluate")
    assert (model.nms_thresh, model.score_thresh) == (0.3, 0.05)
    model.use_preset("visualize")
    assert (model.nms_thresh, model.score_thresh) == (0.3, 0.7)
    with pytest.raises(ValueError, match="use_preset"):
        model.use_preset("fast")


@pytest.mark.parametrize("preset", ["visualize", "evaluate"])
def test_predict_matches_loop_decoding(preset):
    model = _model()
    model.use_preset(preset)
    rng = np.random.default_rng(0)
    imgs = [
        rng.uniform(0, 255, (3, 40, 56)).astype(np.float32),
        rng.uniform(0, 255, (3, 48, 36)).astype(np.float32),
    ]
    bboxes, labels, scores = model.predict(imgs)
    assert len(bboxes) == len(labels) == len(scores) == 2
    n_total = 0
    for img, bbox, label, score in zip(imgs, bboxes, labels, scores, strict=True):
        ref_bbox, ref_label, ref_score = _decode_ref(model, img)
        assert bbox.dtype == np.float32 and label.dtype == np.int32 and score.dtype == np.float32
        np.testing.assert_array_equal(label, ref_label)
        np.testing.assert_allclose(bbox, ref_bbox, rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(score, ref_score, rtol=1e-5, atol=1e-6)
        assert (bbox >= 0).all() and (bbox[:, 0::2] <= img.shape[1]).all()
        assert (bbox[:, 1::2] <= img.shape[2]).all()
        assert ((label >= 0) & (label < model.n_class - 1)).all()
        n_total += len(bbox)
    assert n_total > 0


def test_predict_bad_image():
    with pytest.raises(ValueError, match="expected an image"):
        _model().predict([np.zeros((1, 3, 40, 40), np.float32)])


def test_forward_shapes():
    model = _model()
    x = np.zeros((1, 3, 64, 80), np.float32)
    with kusari.using_config("train", False):
        roi_cls_locs, roi_scores, rois, roi_indices = model(x)
    assert roi_cls_locs.shape == (len(rois), 16) and roi_scores.shape == (len(rois), 4)
    assert roi_indices.shape == (len(rois),) and (roi_indices == 0).all()
    assert F.softmax(roi_scores).shape == (len(rois), 4)


@pytest.mark.parametrize("sigma", [1.0, 3.0])
def test_loc_loss_hand_computed(sigma):
    from kusari_cv.links.model.faster_rcnn.faster_rcnn_train_chain import _fast_rcnn_loc_loss

    pred = kusari.Variable(
        np.array([[0.5, 0.0, 2.0, -0.05], [9.0, 9.0, 9.0, 9.0], [7.0, 7.0, 7.0, 7.0]], np.float32)
    )
    gt = np.zeros((3, 4), np.float32)
    label = np.array([1, 0, -1], np.int32)  # positive, negative (counted), ignored
    loss = _fast_rcnn_loc_loss(pred, gt, label, sigma)
    s2 = sigma**2
    expected, grad = 0.0, []
    for d in (0.5, 0.0, 2.0, -0.05):
        if abs(d) < 1 / s2:
            expected += s2 / 2 * d * d
            grad.append(s2 * d / 2)
        else:
            expected += abs(d) - 0.5 / s2
            grad.append(np.sign(d) / 2)
    np.testing.assert_allclose(float(loss.array), expected / 2, rtol=1e-6)
    loss.backward()
    np.testing.assert_allclose(pred.grad[0], grad, rtol=1e-6)
    np.testing.assert_array_equal(pred.grad[1:], 0)
