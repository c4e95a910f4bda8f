"""Tests of the FPN training losses against NumPy references on hand-built cases."""

import numpy
import pytest

import kusari
from kusari_cv.links.model.fpn import bbox_head_loss_post, bbox_head_loss_pre, rpn_loss


def _smooth_l1(d, beta):
    d = numpy.abs(d)
    return numpy.where(d < beta, 0.5 * d**2 / beta, d - 0.5 * beta)


def _sigmoid_ce(x, t):
    return numpy.log1p(numpy.exp(-numpy.abs(x))) + numpy.maximum(x, 0) - x * t


def _encode(gt, base, std=(1, 1)):
    gt_hw = gt[:, 2:] - gt[:, :2]
    base_hw = base[:, 2:] - base[:, :2]
    d_yx = (gt[:, :2] + gt_hw / 2 - base[:, :2] - base_hw / 2) / base_hw / std[0]
    return numpy.concatenate((d_yx, numpy.log(gt_hw / base_hw) / std[1]), axis=1)


_ANCHORS = numpy.array(
    [
        [0, 0, 10, 10],
        [0, 0, 20, 20],
        [5, 5, 15, 15],
        [30, 30, 40, 40],
        [40, 40, 55, 55],
        [0, 0, 9, 9],
    ],
    dtype=numpy.float32,
)


def test_rpn_loss_matches_reference():
    rng = numpy.random.default_rng(0)
    locs = rng.normal(0, 0.5, (2, 6, 4)).astype(numpy.float32)
    confs = rng.normal(0, 1, (2, 6)).astype(numpy.float32)
    bboxes = [numpy.array([[0, 0, 10, 10]], numpy.float32), numpy.zeros((0, 4), numpy.float32)]
    sizes = [(50, 50), (50, 50)]
    locs_v = kusari.Variable(locs)
    confs_v = kusari.Variable(confs)
    loc_loss, conf_loss = rpn_loss(
        [locs_v[:, :3], locs_v[:, 3:]],
        [confs_v[:, :3], confs_v[:, 3:]],
        [_ANCHORS[:3], _ANCHORS[3:]],
        sizes,
        bboxes,
    )
    # IoUs with the box: 1, 0.25, 0.14, 0, (outside), 0.81 -> labels 1, 0, 0, 0, -1, 1.
    labels = [numpy.array([1, 0, 0, 0, -1, 1]), numpy.array([0, 0, 0, 0, -1, 0])]
    gt_loc = _encode(numpy.repeat(bboxes[0], 6, axis=0), _ANCHORS)
    exp_loc = _smooth_l1(locs[0][[0, 5]] - gt_loc[[0, 5]], 1 / 9).sum() / 5 / 2
    exp_conf = (
        sum(
            _sigmoid_ce(confs[i][labels[i] >= 0], labels[i][labels[i] >= 0]).sum() / 5
            for i in range(2)
        )
        / 2
    )
    numpy.testing.assert_allclose(loc_loss.array, exp_loc, rtol=1e-5)
    numpy.testing.assert_allclose(conf_loss.array, exp_conf, rtol=1e-5)
    (loc_loss + conf_loss).backward()
    grad = locs_v.grad
    assert grad.shape == locs.shape
    assert (grad[0][[0, 5]] != 0).any() and (grad[0][1:5] == 0).all() and (grad[1] == 0).all()


def test_rpn_loss_samples_64_positives_of_256():
    numpy.random.seed(0)
    positives = numpy.tile(numpy.array([[20, 20, 40, 40]], numpy.float32), (100, 1))
    tl = numpy.random.uniform(50, 80, (500, 2))
    negatives = numpy.concatenate((tl, tl + 10), axis=1).astype(numpy.float32)
    anchors = numpy.concatenate((positives, negatives))
    locs = kusari.Variable(numpy.ones((1, 600, 4), numpy.float32))
    confs = kusari.Variable(numpy.zeros((1, 600), numpy.float32))
    bbox = numpy.array([[20, 20, 40, 40]], numpy.float32)
    loc_loss, conf_loss = rpn_loss([locs], [confs], [anchors], [(100, 100)], [bbox])
    # 64 of the 100 positives are kept, 192 negatives fill up to 256. Each positive's target is
    # 0 and its prediction 1 in 4 coordinates: smooth L1 (beta 1/9) of 1 is 1 - 1/18.
    numpy.testing.assert_allclose(loc_loss.array, 64 * 4 * (1 - 1 / 18) / 256, rtol=1e-5)
    numpy.testing.assert_allclose(conf_loss.array, numpy.log(2), rtol=1e-6)


def test_rpn_loss_bad_lengths():
    locs = [numpy.zeros((2, 6, 4), numpy.float32)]
    confs = [numpy.zeros((2, 6), numpy.float32)]
    with pytest.raises(ValueError, match="rpn_loss: expected sizes and bboxes for 2 images"):
        rpn_loss(locs, confs, [_ANCHORS], [(50, 50)], [numpy.zeros((0, 4), numpy.float32)])


def _head_case():
    rois = [
        numpy.array([[0, 0, 10, 10], [20, 20, 40, 40]], numpy.float32),
        numpy.array([[1, 1, 11, 11], [60, 60, 70, 70], [0, 0, 10, 12]], numpy.float32),
    ]
    roi_indices = [numpy.array([0, 1], numpy.int32), numpy.array([0, 0, 1], numpy.int32)]
    bboxes = [
        numpy.array([[0, 0, 10, 10], [60, 60, 72, 72]], numpy.float32),
        numpy.array([[20, 20, 40, 38]], numpy.float32),
    ]
    labels = [numpy.array([2, 0], numpy.int32), numpy.array([1], numpy.int32)]
    return rois, roi_indices, bboxes, labels


def test_bbox_head_loss_pre_matches_reference():
    rois, roi_indices, bboxes, labels = _head_case()
    std = (0.1, 0.2)
    out_rois, out_indices, gt_locs, gt_labels = bbox_head_loss_pre(
        rois, roi_indices, std, bboxes, labels
    )
    for got, expected in zip(out_rois, rois, strict=True):
        numpy.testing.assert_array_equal(got, expected)
    for got, expected in zip(out_indices, roi_indices, strict=True):
        numpy.testing.assert_array_equal(got, expected)
    # Level 0: roi 0 matches box 0 of image 0 (IoU 1, label 2 + 1); roi 1 matches the box of
    # image 1 (IoU 0.9, label 1 + 1). Level 1: (1, 1, 11, 11) has IoU 81 / 119 = 0.68 with box 0
    # (label 3); (60, 60, 70, 70) IoU 100 / 144 = 0.69 with box 1 (label 1); (0, 0, 10, 12) in
    # image 1 does not touch its box (background).
    numpy.testing.assert_array_equal(gt_labels[0], [3, 2])
    numpy.testing.assert_array_equal(gt_labels[1], [3, 1, 0])
    matched = [
        numpy.stack((bboxes[0][0], bboxes[1][0])),
        numpy.stack((bboxes[0][0], bboxes[0][1], bboxes[1][0])),
    ]
    for level in range(2):
        expected = _encode(matched[level], rois[level], std)
        numpy.testing.assert_allclose(gt_locs[level], expected, rtol=1e-5, atol=1e-6)


def test_bbox_head_loss_pre_samples_512_per_image():
    numpy.random.seed(0)
    tl = numpy.random.uniform(0, 50, (700, 2))
    rois = [numpy.concatenate((tl, tl + 20), axis=1).astype(numpy.float32)]
    roi_indices = [numpy.zeros(700, numpy.int32)]
    bboxes = [numpy.array([[20, 20, 45, 45]], numpy.float32)]
    labels = [numpy.array([4], numpy.int32)]
    _, out_indices, _, gt_labels = bbox_head_loss_pre(rois, roi_indices, (0.1, 0.2), bboxes, labels)
    assert len(out_indices[0]) == 512
    assert 0 < (gt_labels[0] == 5).sum() <= 128
    assert set(numpy.unique(gt_labels[0])) <= {0, 5}


def test_bbox_head_loss_post_matches_reference():
    rng = numpy.random.default_rng(3)
    n_class = 4
    roi_indices = [numpy.array([0, 1], numpy.int32), numpy.array([0, 0, 1], numpy.int32)]
    gt_labels = [numpy.array([3, 2], numpy.int32), numpy.array([3, 1, 0], numpy.int32)]
    gt_locs = [
        rng.normal(0, 1, (2, 4)).astype(numpy.float32),
        rng.normal(0, 1, (3, 4)).astype(numpy.float32),
    ]
    locs = rng.normal(0, 1, (5, n_class, 4)).astype(numpy.float32)
    confs = rng.normal(0, 1, (5, n_class)).astype(numpy.float32)
    locs_v, confs_v = kusari.Variable(locs), kusari.Variable(confs)
    loc_loss, conf_loss = bbox_head_loss_post(locs_v, confs_v, roi_indices, gt_locs, gt_labels, 2)
    index = numpy.concatenate(roi_indices)
    label = numpy.concatenate(gt_labels)
    gt = numpy.concatenate(gt_locs)
    exp_loc = exp_conf = 0.0
    for i in range(2):
        rows = numpy.flatnonzero(index == i)
        fg = rows[label[rows] > 0]
        exp_loc += _smooth_l1(locs[fg, label[fg]] - gt[fg], 1).sum() / len(rows)
        logp = confs[rows] - numpy.log(numpy.exp(confs[rows]).sum(axis=1, keepdims=True))
        exp_conf += -logp[numpy.arange(len(rows)), label[rows]].mean()
    numpy.testing.assert_allclose(loc_loss.array, exp_loc / 2, rtol=1e-5)
    numpy.testing.assert_allclose(conf_loss.array, exp_conf / 2, rtol=1e-5)
    (loc_loss + conf_loss).backward()
    assert locs_v.grad.shape == locs.shape and confs_v.grad.shape == confs.shape
    assert (locs_v.grad[4] == 0).all()  # background: no localization loss


def test_bbox_head_losses_bad_lengths():
    rois, roi_indices, bboxes, labels = _head_case()
    with pytest.raises(ValueError, match="bbox_head_loss_pre: expected as many bboxes as labels"):
        bbox_head_loss_pre(rois, roi_indices, (0.1, 0.2), bboxes, labels[:1])
    locs = kusari.Variable(numpy.zeros((4, 3, 4), numpy.float32))
    confs = kusari.Variable(numpy.zeros((4, 3), numpy.float32))
    with pytest.raises(ValueError, match="bbox_head_loss_post: expected 4 targets"):
        bbox_head_loss_post(
            locs, confs, [numpy.zeros(5, numpy.int32)], [numpy.zeros((5, 4))], [numpy.zeros(5)], 1
        )
