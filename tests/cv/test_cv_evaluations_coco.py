import sys

import numpy
import pytest

from kusari_cv.evaluations import eval_detection_coco, eval_detection_voc

ALL = "iou=0.50:0.95/area=all/max_dets=100"
AP50 = "ap/iou=0.50/area=all/max_dets=100"


def _bbox(*boxes):
    return numpy.array(boxes, dtype=numpy.float32).reshape(-1, 4)


def _labels(*labels):
    return numpy.array(labels, dtype=numpy.int32)


def _scores(*scores):
    return numpy.array(scores, dtype=numpy.float32)


def test_perfect_detections():
    pytest.importorskip("pycocotools")
    gt_bboxes = [_bbox([0, 0, 10, 10], [5, 5, 30, 40]), _bbox([20, 20, 40, 30])]
    gt_labels = [_labels(0, 2), _labels(2)]
    scores = [_scores(0.9, 0.8), _scores(0.7)]
    result = eval_detection_coco(gt_bboxes, gt_labels, scores, gt_bboxes, gt_labels)
    numpy.testing.assert_array_equal(result["existent_labels"], [0, 2])
    for key in ("ap/" + ALL, AP50, "ar/iou=0.50:0.95/area=all/max_dets=1"):
        numpy.testing.assert_allclose(result[key], [1.0, numpy.nan, 1.0])
        assert result["m" + key] == pytest.approx(1.0)
    assert "map/iou=0.50:0.95/area=small/max_dets=100" not in result
    assert hasattr(result["coco_eval"], "eval")


def test_ap50_agrees_with_voc():
    pytest.importorskip("pycocotools")
    # Class 0: a false positive outscores the true positive; class 1: one hit, one miss.
    # Class 0: the interpolated precision is 1/2 at every recall, so both metrics give 1/2.
    # Class 1: precision 1 up to recall 1/2, then 0. VOC integrates: 1/2. COCO samples 101
    # recall points 0, 0.01, ..., 1, of which 51 (up to 0.50) have precision 1: 51/101.
    pred_bboxes = [_bbox([0, 0, 10, 10], [30, 30, 40, 40]), _bbox([20, 20, 30, 30])]
    pred_labels = [_labels(0, 0), _labels(1)]
    pred_scores = [_scores(0.8, 0.9), _scores(0.7)]
    gt_bboxes = [_bbox([0, 0, 10, 10], [50, 50, 60, 60]), _bbox([20, 20, 30, 30])]
    gt_labels = [_labels(0, 1), _labels(1)]
    args = (pred_bboxes, pred_labels, pred_scores, gt_bboxes, gt_labels)
    coco = eval_detection_coco(*args)
    voc = eval_detection_voc(*args)
    numpy.testing.assert_allclose(voc["ap"], [0.5, 0.5])
    numpy.testing.assert_allclose(coco[AP50], [voc["ap"][0], 51 / 101])
    assert coco["m" + AP50] == pytest.approx((0.5 + 51 / 101) / 2)


def test_iou_thresholds_hand_computed():
    pytest.importorskip("pycocotools")
    # IoU 100 / 120 = 0.833: a hit at the thresholds 0.50, 0.55, ..., 0.80 (7 of 10).
    result = eval_detection_coco(
        [_bbox([0, 0, 10, 12])], [_labels(0)], [_scores(1)], [_bbox([0, 0, 10, 10])], [_labels(0)]
    )
    assert result["map/" + ALL] == pytest.approx(0.7)
    assert result["mar/" + ALL] == pytest.approx(0.7)
    assert result["map/iou=0.75/area=all/max_dets=100"] == pytest.approx(1.0)


def test_areas_and_crowdeds():
    pytest.importorskip("pycocotools")
    bboxes = [_bbox([0, 0, 10, 10], [20, 20, 30, 30])]
    labels = [_labels(0, 1)]
    result = eval_detection_coco(
        bboxes,
        labels,
        [_scores(0.9, 0.8)],
        bboxes,
        labels,
        gt_areas=[numpy.array([2048.0, 100.0])],
        gt_crowdeds=[numpy.array([False, True])],
    )
    # Class 1 has only a crowd box, so it cannot be evaluated; class 0 is a medium object.
    numpy.testing.assert_allclose(result["ap/" + ALL], [1.0, numpy.nan])
    assert result["map/iou=0.50:0.95/area=medium/max_dets=100"] == pytest.approx(1.0)
    assert numpy.isnan(result["map/iou=0.50:0.95/area=small/max_dets=100"])
    assert numpy.isnan(result["mar/iou=0.50:0.95/area=large/max_dets=100"])


def test_input_errors():
    pytest.importorskip("pycocotools")
    one = ([_bbox([0, 0, 1, 1])], [_labels(0)], [_scores(1)], [_bbox([0, 0, 1, 1])])
    with pytest.raises(ValueError, match="eval_detection_coco: inputs must have the same length"):
        eval_detection_coco(*one, [_labels(0), _labels(0)])
    with pytest.raises(TypeError, match="gt_labels\\[0\\] must be an integer array"):
        eval_detection_coco(*one, [numpy.array([0.0])])
    with pytest.raises(ValueError, match="gt_areas\\[0\\] must have shape \\(1,\\)"):
        eval_detection_coco(*one, [_labels(0)], gt_areas=[numpy.ones(2)])
    with pytest.raises(ValueError, match="all images were empty"):
        eval_detection_coco([_bbox()], [_labels()], [_scores()], [_bbox()], [_labels()])


def test_missing_pycocotools(monkeypatch):
    monkeypatch.setitem(sys.modules, "pycocotools.coco", None)
    with pytest.raises(ImportError, match="pip install pycocotools"):
        eval_detection_coco([_bbox()], [_labels()], [_scores()], [_bbox()], [_labels()])
