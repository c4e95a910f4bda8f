import math

import numpy as np
import pytest

import kusari
from kusari_cv.links.model.faster_rcnn import (
    AnchorTargetCreator,
    ProposalCreator,
    ProposalTargetCreator,
    bbox2loc,
    generate_anchor_base,
    loc2bbox,
)

# ---------------------------------------------------------------- NumPy loop references


def _iou(a, b):
    top, left = max(a[0], b[0]), max(a[1], b[1])
    bottom, right = min(a[2], b[2]), min(a[3], b[3])
    inter = (bottom - top) * (right - left) if (top < bottom and left < right) else 0.0
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    return inter / (area_a + area_b - inter)


def _iou_matrix(a, b):
    return np.array([[_iou(x, y) for y in b] for x in a], dtype=np.float64)


def _nms_ref(bbox, thresh):
    selected = []
    for i in range(len(bbox)):
        if all(_iou(bbox[i], bbox[j]) < thresh for j in selected):
            selected.append(i)
    return np.array(selected, dtype=np.int64)


def _bbox2loc_ref(src, dst):
    out = []
    for s, d in zip(src, dst, strict=True):
        h, w = s[2] - s[0], s[3] - s[1]
        cy, cx = s[0] + h / 2, s[1] + w / 2
        gh, gw = d[2] - d[0], d[3] - d[1]
        gy, gx = d[0] + gh / 2, d[1] + gw / 2
        out.append(((gy - cy) / h, (gx - cx) / w, math.log(gh / h), math.log(gw / w)))
    return np.array(out, dtype=np.float64).reshape((-1, 4))


def _loc2bbox_ref(src, loc):
    out = []
    for s, (ty, tx, th, tw) in zip(src, loc, strict=True):
        h, w = s[2] - s[0], s[3] - s[1]
        cy, cx = s[0] + h / 2 + ty * h, s[1] + w / 2 + tx * w
        nh, nw = h * math.exp(th), w * math.exp(tw)
        out.append((cy - nh / 2, cx - nw / 2, cy + nh / 2, cx + nw / 2))
    return np.array(out, dtype=np.float64).reshape((-1, 4))


def _random_bbox(rng, n, size=64.0, min_len=4.0, max_len=40.0):
    y = rng.uniform(0, size - max_len, n)
    x = rng.uniform(0, size - max_len, n)
    h = rng.uniform(min_len, max_len, n)
    w = rng.uniform(min_len, max_len, n)
    return np.stack((y, x, y + h, x + w), axis=1).astype(np.float32)


# ---------------------------------------------------------------- bbox2loc / loc2bbox


def test_bbox2loc_hand_computed():
    src = np.array([[0, 0, 10, 20], [0, 0, 10, 20]], dtype=np.float32)
    dst = np.array([[5, 5, 15, 25], [0, 0, 20, 10]], dtype=np.float32)
    expected = np.array(
        [[0.5, 0.25, 0.0, 0.0], [0.5, -0.25, math.log(2.0), math.log(0.5)]], dtype=np.float32
    )
    loc = bbox2loc(src, dst)
    assert loc.dtype == np.float32
    np.testing.assert_allclose(loc, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(loc2bbox(src, expected), dst, rtol=1e-6, atol=1e-5)


def test_bbox2loc_loc2bbox_vs_loop_reference_and_round_trip():
    rng = np.random.default_rng(0)
    src = _random_bbox(rng, 20)
    dst = _random_bbox(rng, 20)
    loc = bbox2loc(src, dst)
    np.testing.assert_allclose(loc, _bbox2loc_ref(src, dst), rtol=1e-5, atol=1e-5)
    back = loc2bbox(src, loc)
    np.testing.assert_allclose(back, dst, rtol=1e-5, atol=1e-4)
    loc2 = rng.normal(0, 0.5, (20, 4)).astype(np.float32)
    np.testing.assert_allclose(loc2bbox(src, loc2), _loc2bbox_ref(src, loc2), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(bbox2loc(src, loc2bbox(src, loc2)), loc2, rtol=1e-4, atol=1e-4)


def test_loc2bbox_empty_and_dtype():
    out = loc2bbox(np.zeros((0, 4), np.float32), np.zeros((0, 4), np.float32))
    assert out.shape == (0, 4) and out.dtype == np.float32
    out = loc2bbox(np.array([[0, 0, 2, 2]], np.int32), np.zeros((1, 4), np.float64))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[0, 0, 2, 2]])


def test_bbox2loc_zero_size_source_is_finite():
    src = np.array([[1, 1, 1, 1]], dtype=np.float32)
    dst = np.array([[1, 1, 1, 1]], dtype=np.float32)
    with np.errstate(divide="ignore"):
        loc = bbox2loc(src, dst)
    np.testing.assert_array_equal(loc[:, :2], [[0, 0]])


@pytest.mark.parametrize("fn", [bbox2loc, loc2bbox])
def test_box_coding_bad_shapes(fn):
    with pytest.raises(ValueError, match=fn.__name__):
        fn(np.zeros((3, 4), np.float32), np.zeros((3, 5), np.float32))
    with pytest.raises(ValueError, match="same length"):
        fn(np.zeros((3, 4), np.float32), np.zeros((2, 4), np.float32))


# ---------------------------------------------------------------- generate_anchor_base


def _anchor_base_ref(base_size, ratios, anchor_scales):
    out = np.zeros((len(ratios) * len(anchor_scales), 4), dtype=np.float32)
    py = px = base_size / 2.0
    for i, r in enumerate(ratios):
        for j, s in enumerate(anchor_scales):
            h = base_size * s * np.sqrt(r)
            w = base_size * s * np.sqrt(1.0 / r)
            out[i * len(anchor_scales) + j] = (
                py - h / 2.0,
                px - w / 2.0,
                py + h / 2.0,
                px + w / 2.0,
            )
    return out


def test_generate_anchor_base_default_values():
    anchor = generate_anchor_base()
    assert anchor.shape == (9, 4) and anchor.dtype == np.float32
    np.testing.assert_array_equal(anchor, _anchor_base_ref(16, (0.5, 1, 2), (8, 16, 32)))
    # ratio 1, scale 8: a 128 x 128 square centered on (8, 8).
    np.testing.assert_array_equal(anchor[3], [-56, -56, 72, 72])
    # ratio 0.5, scale 8: height 128 / sqrt(2), width 128 * sqrt(2).
    np.testing.assert_allclose(
        anchor[0],
        [
            8 - 32 * math.sqrt(2),
            8 - 64 * math.sqrt(2),
            8 + 32 * math.sqrt(2),
            8 + 64 * math.sqrt(2),
        ],
        rtol=1e-6,
    )


def test_generate_anchor_base_other_arguments():
    anchor = generate_anchor_base(base_size=8, ratios=[1, 3], anchor_scales=[2, 4, 8, 16])
    np.testing.assert_array_equal(anchor, _anchor_base_ref(8, (1, 3), (2, 4, 8, 16)))


@pytest.mark.parametrize("kwargs", [{"ratios": []}, {"ratios": [0.5, -1]}, {"anchor_scales": [0]}])
def test_generate_anchor_base_bad_input(kwargs):
    with pytest.raises(ValueError, match="generate_anchor_base"):
        generate_anchor_base(**kwargs)


# ---------------------------------------------------------------- ProposalCreator


def _proposal_ref(loc, score, anchor, img_size, scale, min_size, n_pre, n_post, thresh):
    roi = _loc2bbox_ref(anchor.astype(np.float64), loc.astype(np.float64)).astype(np.float32)
    roi[:, 0::2] = np.clip(roi[:, 0::2], 0, img_size[0])
    roi[:, 1::2] = np.clip(roi[:, 1::2], 0, img_size[1])
    keep = [
        i
        for i in range(len(roi))
        if roi[i, 2] - roi[i, 0] >= min_size * scale and roi[i, 3] - roi[i, 1] >= min_size * scale
    ]
    order = sorted(keep, key=lambda i: -score[i])[:n_pre]
    roi = roi[order]
    return roi[_nms_ref(roi, thresh)[:n_post]]


@pytest.mark.parametrize("train", [True, False])
def test_proposal_creator_vs_loop_reference(train):
    rng = np.random.default_rng(1)
    anchor = _random_bbox(rng, 60, size=80, max_len=50)
    anchor[:5] -= 20  # some anchors stick out of the image
    loc = rng.normal(0, 0.2, (60, 4)).astype(np.float32)
    score = rng.permutation(60).astype(np.float32)  # distinct scores
    creator = ProposalCreator(
        nms_thresh=0.5,
        n_train_pre_nms=40,
        n_train_post_nms=12,
        n_test_pre_nms=30,
        n_test_post_nms=8,
        min_size=8,
    )
    with kusari.using_config("train", train):
        roi = creator(loc, score, anchor, (64, 72), scale=1.5)
    n_pre, n_post = (40, 12) if train else (30, 8)
    expected = _proposal_ref(loc, score, anchor, (64, 72), 1.5, 8, n_pre, n_post, 0.5)
    assert roi.dtype == np.float32
    assert len(roi) == len(expected) and 0 < len(roi) <= n_post
    np.testing.assert_allclose(roi, expected, rtol=1e-5, atol=1e-4)
    assert (roi[:, 0::2] <= 64).all() and (roi[:, 1::2] <= 72).all() and (roi >= 0).all()


def test_proposal_creator_all_filtered_and_bad_shapes():
    anchor = np.array([[0, 0, 4, 4]], dtype=np.float32)
    creator = ProposalCreator(min_size=16)
    roi = creator(np.zeros((1, 4), np.float32), np.zeros(1, np.float32), anchor, (32, 32))
    assert roi.shape == (0, 4)
    with pytest.raises(ValueError, match="ProposalCreator"):
        creator(np.zeros((2, 4), np.float32), np.zeros(2, np.float32), anchor, (32, 32))
    with pytest.raises(ValueError, match="ProposalCreator"):
        creator(np.zeros((1, 4), np.float32), np.zeros(2, np.float32), anchor, (32, 32))


# ---------------------------------------------------------------- AnchorTargetCreator


def _anchor_target_ref(bbox, anchor, img_size, n_sample, pos_thresh, neg_thresh, pos_ratio):
    n = len(anchor)
    label = np.full(n, -1, dtype=np.int32)
    loc = np.zeros((n, 4), dtype=np.float32)
    inside = [
        i
        for i in range(n)
        if anchor[i, 0] >= 0
        and anchor[i, 1] >= 0
        and anchor[i, 2] <= img_size[0]
        and anchor[i, 3] <= img_size[1]
    ]
    iou = _iou_matrix(anchor[inside], bbox)
    lab = np.full(len(inside), -1, dtype=np.int32)
    best_gt = [int(np.argmax(row)) for row in iou]
    for k in range(len(inside)):
        if iou[k].max() < neg_thresh:
            lab[k] = 0
    for g in range(len(bbox)):
        col = iou[:, g]
        if col.max() > 0:
            for k in range(len(inside)):
                if col[k] == col.max():
                    lab[k] = 1
    for k in range(len(inside)):
        if iou[k].max() >= pos_thresh:
            lab[k] = 1
    n_pos = int(pos_ratio * n_sample)
    pos = np.array([k for k in range(len(inside)) if lab[k] == 1], dtype=np.int64)
    if len(pos) > n_pos:
        lab[np.random.choice(pos, size=len(pos) - n_pos, replace=False)] = -1
    n_neg = n_sample - int((lab == 1).sum())
    neg = np.array([k for k in range(len(inside)) if lab[k] == 0], dtype=np.int64)
    if len(neg) > n_neg:
        lab[np.random.choice(neg, size=len(neg) - n_neg, replace=False)] = -1
    for k, i in enumerate(inside):
        label[i] = lab[k]
        loc[i] = _bbox2loc_ref(anchor[i : i + 1], bbox[best_gt[k] : best_gt[k] + 1])[0]
    return loc, label


@pytest.mark.parametrize("n_sample", [8, 16, 256])
def test_anchor_target_creator_vs_loop_reference(n_sample):
    rng = np.random.default_rng(2)
    anchor = _random_bbox(rng, 80, size=70, max_len=30)
    anchor[:6] += 20  # some anchors cross the border
    bbox = _random_bbox(rng, 3, size=64, min_len=10, max_len=30)
    bbox = np.concatenate((bbox, anchor[10:12] + 0.5))  # guaranteed strong matches
    creator = AnchorTargetCreator(n_sample=n_sample, pos_iou_thresh=0.6, neg_iou_thresh=0.3)
    np.random.seed(5)
    loc, label = creator(bbox, anchor, (64, 64))
    np.random.seed(5)
    loc_ref, label_ref = _anchor_target_ref(bbox, anchor, (64, 64), n_sample, 0.6, 0.3, 0.5)
    assert loc.dtype == np.float32 and label.dtype == np.int32
    np.testing.assert_array_equal(label, label_ref)
    np.testing.assert_allclose(loc, loc_ref, rtol=1e-5, atol=1e-5)
    assert (label == 1).sum() <= n_sample // 2
    assert (label >= 0).sum() <= n_sample
    outside = (anchor[:, 2] > 64) | (anchor[:, 3] > 64) | (anchor[:, :2] < 0).any(axis=1)
    assert (label[outside] == -1).all() and (loc[outside] == 0).all()


def test_anchor_target_creator_bad_input():
    creator = AnchorTargetCreator()
    anchor = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="at least one"):
        creator(np.zeros((0, 4), np.float32), anchor, (10, 10))
    with pytest.raises(ValueError, match="AnchorTargetCreator"):
        creator(np.zeros((2, 3), np.float32), anchor, (10, 10))


# ---------------------------------------------------------------- ProposalTargetCreator


def _proposal_target_ref(roi, bbox, label, n_sample, pos_ratio, pos_t, neg_hi, neg_lo, mean, std):
    roi = np.concatenate((roi, bbox))
    iou = _iou_matrix(roi, bbox)
    assign = [int(np.argmax(row)) for row in iou]
    max_iou = [row.max() for row in iou]
    pos = np.array([i for i in range(len(roi)) if max_iou[i] >= pos_t], dtype=np.int64)
    n_pos = int(min(round(n_sample * pos_ratio), len(pos)))
    if len(pos) > 0:
        pos = np.random.choice(pos, size=n_pos, replace=False)
    neg = np.array([i for i in range(len(roi)) if neg_lo <= max_iou[i] < neg_hi], dtype=np.int64)
    n_neg = int(min(n_sample - n_pos, len(neg)))
    if len(neg) > 0:
        neg = np.random.choice(neg, size=n_neg, replace=False)
    keep = list(pos) + list(neg)
    sample = roi[keep]
    lab = np.array([label[assign[i]] + 1 for i in keep], dtype=np.int32)
    lab[n_pos:] = 0
    loc = _bbox2loc_ref(sample, bbox[[assign[i] for i in keep]])
    loc = (loc - np.array(mean)) / np.array(std)
    return sample, loc, lab


@pytest.mark.parametrize("n_sample", [6, 32])
def test_proposal_target_creator_vs_loop_reference(n_sample):
    rng = np.random.default_rng(3)
    bbox = _random_bbox(rng, 3, size=64, min_len=12, max_len=30)
    roi = np.concatenate((_random_bbox(rng, 30, size=64), bbox + rng.normal(0, 1, (3, 4))))
    roi = roi.astype(np.float32)
    label = np.array([2, 0, 1], dtype=np.int32)
    creator = ProposalTargetCreator(n_sample=n_sample, pos_ratio=0.5)
    mean, std = (0.1, 0.0, -0.1, 0.0), (0.1, 0.1, 0.2, 0.2)
    np.random.seed(7)
    sample_roi, gt_loc, gt_label = creator(roi, bbox, label, mean, std)
    np.random.seed(7)
    ref_roi, ref_loc, ref_label = _proposal_target_ref(
        roi, bbox, label, n_sample, 0.5, 0.5, 0.5, 0.0, mean, std
    )
    assert sample_roi.dtype == np.float32 and gt_loc.dtype == np.float32
    assert gt_label.dtype == np.int32
    assert len(sample_roi) <= n_sample
    np.testing.assert_array_equal(sample_roi, ref_roi)
    np.testing.assert_array_equal(gt_label, ref_label)
    np.testing.assert_allclose(gt_loc, ref_loc, rtol=1e-4, atol=1e-4)
    n_pos = int((gt_label > 0).sum())
    assert 0 < n_pos <= round(n_sample * 0.5)
    assert (gt_label[:n_pos] > 0).all() and (gt_label[n_pos:] == 0).all()


def test_proposal_target_creator_bad_input():
    creator = ProposalTargetCreator()
    roi = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="at least one"):
        creator(roi, np.zeros((0, 4), np.float32), np.zeros(0, np.int32))
    with pytest.raises(ValueError, match="label"):
        creator(roi, np.zeros((2, 4), np.float32), np.zeros(3, np.int32))


@pytest.mark.gpu
def test_cupy_matches_numpy():
    import cupy

    rng = np.random.default_rng(4)
    anchor = _random_bbox(rng, 60, size=80, max_len=50)
    loc = rng.normal(0, 0.2, (60, 4)).astype(np.float32)
    score = rng.permutation(60).astype(np.float32)
    bbox = _random_bbox(rng, 3, size=64, min_len=10, max_len=30)
    label = np.array([0, 1, 2], np.int32)
    g = cupy.asarray
    np.testing.assert_allclose(
        cupy.asnumpy(bbox2loc(g(anchor), g(bbox[[0] * 60]))),
        bbox2loc(anchor, bbox[[0] * 60]),
        rtol=1e-5,
        atol=1e-5,
    )
    np.testing.assert_allclose(
        cupy.asnumpy(loc2bbox(g(anchor), g(loc))), loc2bbox(anchor, loc), rtol=1e-5, atol=1e-4
    )
    creator = ProposalCreator(nms_thresh=0.5, min_size=8)
    with kusari.using_config("train", False):
        roi_gpu = creator(g(loc), g(score), g(anchor), (64, 72))
        roi_cpu = creator(loc, score, anchor, (64, 72))
    assert isinstance(roi_gpu, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(roi_gpu), roi_cpu, rtol=1e-5, atol=1e-4)
    np.random.seed(0)
    gpu = AnchorTargetCreator(n_sample=16)(g(bbox), g(anchor), (64, 64))
    np.random.seed(0)
    cpu = AnchorTargetCreator(n_sample=16)(bbox, anchor, (64, 64))
    for a, b in zip(gpu, cpu, strict=True):
        assert isinstance(a, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(a), b, rtol=1e-5, atol=1e-5)
    np.random.seed(0)
    gpu = ProposalTargetCreator(n_sample=16)(g(anchor), g(bbox), g(label))
    np.random.seed(0)
    cpu = ProposalTargetCreator(n_sample=16)(anchor, bbox, label)
    for a, b in zip(gpu, cpu, strict=True):
        assert isinstance(a, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(a), b, rtol=1e-5, atol=1e-5)
