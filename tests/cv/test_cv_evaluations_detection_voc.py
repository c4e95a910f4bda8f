import numpy as np
import pytest

from kusari_cv.evaluations import (
    calc_detection_voc_ap,
    calc_detection_voc_prec_rec,
    eval_detection_voc,
)


def _f(*rows):
    return np.array(rows, dtype=np.float32).reshape(-1, 4)


def _i(*values):
    return np.array(values, dtype=np.int32)


def _s(*values):
    return np.array(values, dtype=np.float32)


def _b(*values):
    return np.array(values, dtype=bool)


BOX_A = (0, 0, 10, 10)
BOX_B = (20, 20, 30, 30)
FAR = (50, 50, 60, 60)


def test_perfect_detections_give_ap_one():
    gt_bboxes = [_f(BOX_A, BOX_B), _f(BOX_A)]
    gt_labels = [_i(0, 1), _i(1)]
    result = eval_detection_voc(gt_bboxes, gt_labels, [_s(0.9, 0.8), _s(0.7)], gt_bboxes, gt_labels)
    np.testing.assert_array_equal(result["ap"], [1.0, 1.0])
    assert result["map"] == 1.0
    assert isinstance(result["map"], float)


def test_false_positive_at_top_score():
    prec, rec = calc_detection_voc_prec_rec(
        [_f(FAR, BOX_A, BOX_B)], [_i(0, 0, 0)], [_s(0.9, 0.8, 0.7)], [_f(BOX_A, BOX_B)], [_i(0, 0)]
    )
    np.testing.assert_allclose(prec[0], [0.0, 0.5, 2 / 3])
    np.testing.assert_allclose(rec[0], [0.0, 0.5, 1.0])
    # Interpolated precision is 2/3 at every recall up to 1.
    for use_07 in (False, True):
        ap = calc_detection_voc_ap(prec, rec, use_07_metric=use_07)
        np.testing.assert_allclose(ap, [2 / 3])


def test_difficult_boxes_are_ignored():
    args = ([_f(FAR, BOX_B, BOX_A)], [_i(0, 0, 0)], [_s(0.95, 0.9, 0.8)], [_f(BOX_A, BOX_B)])
    prec, rec = calc_detection_voc_prec_rec(*args, [_i(0, 0)], [_b(False, True)])
    # Match flags in score order: FP, ignored, TP; one non-difficult box.
    np.testing.assert_allclose(prec[0], [0.0, 0.0, 0.5])
    np.testing.assert_allclose(rec[0], [0.0, 0.0, 1.0])
    ap = eval_detection_voc(*args, [_i(0, 0)], [_b(False, True)])["ap"]
    np.testing.assert_allclose(ap, [0.5])
    ap_no_difficult = eval_detection_voc(*args, [_i(0, 0)])["ap"]
    np.testing.assert_allclose(ap_no_difficult, [2 / 3])


def test_duplicate_detection_is_false_positive_and_07_vs_area_metric():
    args = (
        [_f(BOX_A, BOX_A, BOX_B)],
        [_i(0, 0, 0)],
        [_s(0.9, 0.8, 0.7)],
        [_f(BOX_A, BOX_B)],
        [_i(0, 0)],
    )
    prec, rec = calc_detection_voc_prec_rec(*args)
    np.testing.assert_allclose(prec[0], [1.0, 0.5, 2 / 3])
    np.testing.assert_allclose(rec[0], [0.5, 0.5, 1.0])
    # Area: 0.5 * 1 + 0.5 * 2/3. 11-point: t in {0, ..., 0.5} -> 1, t in {0.6, ..., 1} -> 2/3.
    area = eval_detection_voc(*args)
    np.testing.assert_allclose(area["ap"], [0.5 + 1 / 3])
    np.testing.assert_allclose(area["map"], 0.5 + 1 / 3)
    voc07 = eval_detection_voc(*args, use_07_metric=True)
    np.testing.assert_allclose(voc07["ap"], [(6 + 5 * 2 / 3) / 11])


def test_ap_on_known_pr_curve():
    prec = [np.array([1.0, 0.5, 2 / 3, 0.5]), None]
    rec = [np.array([0.25, 0.25, 0.5, 0.5]), None]
    area = calc_detection_voc_ap(prec, rec)
    np.testing.assert_allclose(area, [0.25 * 1 + 0.25 * 2 / 3 + 0.5 * 0, np.nan])
    voc07 = calc_detection_voc_ap(prec, rec, use_07_metric=True)
    # t = 0, 0.1, 0.2 -> 1; t = 0.3, 0.4, 0.5 -> 2/3; t > 0.5 -> 0.
    np.testing.assert_allclose(voc07, [(3 + 3 * 2 / 3) / 11, np.nan])


def test_classes_absent_everywhere_are_nan():
    result = eval_detection_voc(
        [_f(BOX_A), _f(BOX_B)],
        [_i(0), _i(2)],
        [_s(0.5), _s(0.5)],
        [_f(BOX_A), _f(FAR)],
        [_i(0), _i(2)],
    )
    np.testing.assert_array_equal(np.isnan(result["ap"]), [False, True, False])
    np.testing.assert_allclose(result["ap"][[0, 2]], [1.0, 0.0])
    np.testing.assert_allclose(result["map"], 0.5)


def test_class_with_detections_but_no_ground_truth():
    args = ([_f(BOX_A, BOX_B)], [_i(0, 1)], [_s(0.9, 0.8)], [_f(BOX_A)], [_i(0)])
    prec, rec = calc_detection_voc_prec_rec(*args)
    np.testing.assert_array_equal(prec[1], [0.0])
    assert np.isnan(rec[1]).all()
    # As in ChainerCV: nan under the area metric, 0 under the 11-point metric.
    np.testing.assert_array_equal(eval_detection_voc(*args)["ap"], [1.0, np.nan])
    np.testing.assert_array_equal(eval_detection_voc(*args, use_07_metric=True)["ap"], [1.0, 0.0])


def test_iou_uses_voc_pixel_convention_and_inclusive_threshold():
    # With one pixel added to y_max and x_max: 50 / 100 = 0.5 (without: 36 / 81 < 0.5).
    args = ([_f((0, 0, 4, 9))], [_i(0)], [_s(1.0)], [_f((0, 0, 9, 9))], [_i(0)])
    np.testing.assert_array_equal(eval_detection_voc(*args)["ap"], [1.0])
    np.testing.assert_array_equal(eval_detection_voc(*args, iou_thresh=0.51)["ap"], [0.0])


def test_scores_are_sorted_across_images_and_iterators_accepted():
    pred_bboxes = [_f(BOX_A), _f(FAR)]
    gt_bboxes = [_f(BOX_A), _f(BOX_A)]
    prec, rec = calc_detection_voc_prec_rec(
        iter(pred_bboxes),
        (label for label in [_i(0), _i(0)]),
        iter([_s(0.2), _s(0.9)]),
        iter(gt_bboxes),
        iter([_i(0), _i(0)]),
    )
    np.testing.assert_allclose(prec[0], [0.0, 0.5])
    np.testing.assert_allclose(rec[0], [0.0, 0.5])


def _reference_prec_rec(pred_bboxes, pred_labels, pred_scores, gt_bboxes, gt_labels, difficults):
    """Box-by-box loop written from the VOC devkit description."""
    n_class = max(int(np.max(np.concatenate(pred_labels + gt_labels))) + 1, 1)
    scores = [[] for _ in range(n_class)]
    flags = [[] for _ in range(n_class)]
    n_pos = [0] * n_class
    for bbox, label, score, gt_bbox, gt_label, difficult in zip(
        pred_bboxes, pred_labels, pred_scores, gt_bboxes, gt_labels, difficults, strict=True
    ):
        for c in range(n_class):
            n_pos[c] += int(np.sum((gt_label == c) & ~difficult))
            gt_c = gt_bbox[gt_label == c]
            diff_c = difficult[gt_label == c]
            taken = [False] * len(gt_c)
            idx = np.flatnonzero(label == c)
            idx = idx[np.argsort(score[idx], kind="stable")[::-1]]
            for r in idx:
                scores[c].append(score[r])
                best, best_j = -1.0, -1
                for j, g in enumerate(gt_c):
                    ih = min(bbox[r, 2], g[2]) - max(bbox[r, 0], g[0]) + 1
                    iw = min(bbox[r, 3], g[3]) - max(bbox[r, 1], g[1]) + 1
                    inter = ih * iw if ih > 0 and iw > 0 else 0.0
                    area_p = (bbox[r, 2] - bbox[r, 0] + 1) * (bbox[r, 3] - bbox[r, 1] + 1)
                    area_g = (g[2] - g[0] + 1) * (g[3] - g[1] + 1)
                    iou = inter / (area_p + area_g - inter)
                    if iou > best:
                        best, best_j = iou, j
                if best < 0.5:
                    flags[c].append(0)
                elif diff_c[best_j]:
                    flags[c].append(-1)
                else:
                    flags[c].append(0 if taken[best_j] else 1)
                    taken[best_j] = True
    prec, rec = [], []
    for c in range(n_class):
        order = np.argsort(np.array(scores[c]), kind="stable")[::-1]
        f = np.array(flags[c])[order] if flags[c] else np.zeros(0)
        tp, fp = np.cumsum(f == 1), np.cumsum(f == 0)
        prec.append(tp / np.maximum(tp + fp, np.finfo(np.float64).eps))
        with np.errstate(invalid="ignore"):
            rec.append(tp / n_pos[c])
    return prec, rec


def _random_dataset(rng, n_img=6, n_class=3):
    data = ([], [], [], [], [], [])
    for _ in range(n_img):
        n_gt = rng.integers(1, 5)
        tl = rng.integers(0, 40, size=(n_gt, 2))
        gt = np.concatenate([tl, tl + rng.integers(4, 15, size=(n_gt, 2))], axis=1)
        jitter = rng.integers(-2, 3, size=(n_gt * 2, 4))
        pred = np.concatenate([np.tile(gt, (2, 1)) + jitter, gt[:1] + 20], axis=0)
        data[0].append(pred.astype(np.float32))
        data[1].append(rng.integers(0, n_class, size=len(pred)).astype(np.int32))
        data[2].append(rng.random(len(pred)).astype(np.float32))
        data[3].append(gt.astype(np.float32))
        data[4].append(rng.integers(0, n_class, size=n_gt).astype(np.int32))
        data[5].append(rng.random(n_gt) < 0.2)
    return data


def test_prec_rec_match_box_by_box_reference():
    rng = np.random.default_rng(0)
    for _ in range(5):
        data = _random_dataset(rng)
        prec, rec = calc_detection_voc_prec_rec(*data)
        prec_ref, rec_ref = _reference_prec_rec(*data)
        assert len(prec) == len(prec_ref)
        for c in range(len(prec)):
            np.testing.assert_allclose(prec[c], prec_ref[c])
            np.testing.assert_allclose(rec[c], rec_ref[c])


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (
            ([_f(BOX_A)], [_i(0)], [_s(1.0)], [_f(BOX_A), _f(BOX_A)], [_i(0)]),
            ValueError,
            "inputs must have the same length .*gt_labels ran out after 1 entries while gt_bboxes",
        ),
        (
            ([np.zeros((1, 3), np.float32)], [_i(0)], [_s(1.0)], [_f(BOX_A)], [_i(0)]),
            ValueError,
            r"pred_bboxes\[0\] must have shape \(R, 4\), got \(1, 3\)",
        ),
        (
            ([_f(BOX_A)], [_i(0, 1)], [_s(1.0)], [_f(BOX_A)], [_i(0)]),
            ValueError,
            r"pred_labels\[0\] must have shape \(1,\) to match the boxes, got \(2,\)",
        ),
        (
            ([_f(BOX_A)], [_i(0)], [_s(1.0)], [_f(BOX_A)], [np.zeros(1, np.float32)]),
            TypeError,
            r"gt_labels\[0\] must be an integer array, got dtype float32",
        ),
        (
            ([_f()], [_i()], [_s()], [_f()], [_i()]),
            ValueError,
            "expected at least one box",
        ),
    ],
)
def test_bad_input_messages(args, error, message):
    with pytest.raises(error, match="calc_detection_voc_prec_rec: " + message):
        eval_detection_voc(*args)


def test_bad_difficults_shape_and_ap_lengths():
    with pytest.raises(ValueError, match=r"gt_difficults\[0\] must have shape \(1,\)"):
        calc_detection_voc_prec_rec(
            [_f(BOX_A)], [_i(0)], [_s(1.0)], [_f(BOX_A)], [_i(0)], [_b(False, True)]
        )
    with pytest.raises(ValueError, match=r"calc_detection_voc_ap: len\(prec\) \(1\) != len\(rec"):
        calc_detection_voc_ap([np.ones(1)], [])


@pytest.mark.gpu
def test_cupy_matches_numpy():
    import cupy

    data = _random_dataset(np.random.default_rng(1))
    expected = eval_detection_voc(*data)
    result = eval_detection_voc(*[[cupy.asarray(a) for a in arrays] for arrays in data])
    assert isinstance(result["ap"], cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(result["ap"]), expected["ap"])
    np.testing.assert_allclose(result["map"], expected["map"])
