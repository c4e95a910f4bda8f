import numpy as np
import pytest

from kusari_cv.evaluations import (
    calc_semantic_segmentation_confusion,
    calc_semantic_segmentation_iou,
    eval_semantic_segmentation,
)


def _labels(rows):
    return np.array(rows, dtype=np.int32)


# Image 0 (2x3): valid pixels give (gt, pred) = (0,0) (1,0) (1,1) (2,2) (0,2); one ignored.
# Image 1 (1x2): the ignored pixel is predicted 3, which still widens the matrix to 4 classes.
PRED = [_labels([[0, 0, 1], [1, 2, 2]]), _labels([[3, 0]])]
GT = [_labels([[0, 1, 1], [-1, 2, 0]]), _labels([[-1, 0]])]
CONFUSION = np.array([[2, 0, 1, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])


def test_confusion_hand_computed():
    confusion = calc_semantic_segmentation_confusion(iter(PRED), iter(GT))
    assert confusion.dtype == np.int64
    np.testing.assert_array_equal(confusion, CONFUSION)


def test_iou_hand_computed():
    # Intersections (2, 1, 1, 0); unions (3 + 3 - 2, 2 + 1 - 1, 1 + 2 - 1, 0).
    iou = calc_semantic_segmentation_iou(CONFUSION)
    np.testing.assert_allclose(iou, [0.5, 0.5, 0.5, np.nan])


def test_eval_hand_computed():
    result = eval_semantic_segmentation(PRED, GT)
    np.testing.assert_allclose(result["iou"], [0.5, 0.5, 0.5, np.nan])
    np.testing.assert_allclose(result["miou"], 0.5)
    np.testing.assert_allclose(result["pixel_accuracy"], 4 / 6)
    np.testing.assert_allclose(result["class_accuracy"], [2 / 3, 1 / 2, 1.0, np.nan])
    np.testing.assert_allclose(result["mean_class_accuracy"], (2 / 3 + 1 / 2 + 1) / 3)
    for key in ("miou", "pixel_accuracy", "mean_class_accuracy"):
        assert isinstance(result[key], float)


def test_confusion_matches_dense_reference():
    rng = np.random.default_rng(0)
    pred = [rng.integers(0, 5, size=(4, 6)).astype(np.int32) for _ in range(3)]
    gt = [rng.integers(-1, 4, size=(4, 6)).astype(np.int32) for _ in range(3)]
    stacked_pred = np.concatenate([p.ravel() for p in pred])
    stacked_gt = np.concatenate([g.ravel() for g in gt])
    n_class = max(stacked_pred.max(), stacked_gt.max()) + 1
    expected = np.array(
        [
            [np.sum((stacked_gt == i) & (stacked_pred == j)) for j in range(n_class)]
            for i in range(n_class)
        ]
    )
    np.testing.assert_array_equal(calc_semantic_segmentation_confusion(pred, gt), expected)


def test_perfect_prediction():
    label = _labels([[0, 1], [2, 2]])
    result = eval_semantic_segmentation([label], [label])
    np.testing.assert_array_equal(result["iou"], [1.0, 1.0, 1.0])
    assert result["pixel_accuracy"] == 1.0


def test_no_images_gives_empty_confusion():
    assert calc_semantic_segmentation_confusion([], []).shape == (0, 0)


@pytest.mark.parametrize(
    ("pred", "gt", "error", "message"),
    [
        (
            [_labels([[0]])],
            [_labels([[0]]), _labels([[0]])],
            ValueError,
            "inputs must have the same length .*pred_labels ran out after 1 entries",
        ),
        (
            [_labels([0, 1])],
            [_labels([0, 1])],
            ValueError,
            r"pred_labels\[0\] must have shape \(H, W\), got \(2,\)",
        ),
        (
            [_labels([[0, 1]])],
            [_labels([[0], [1]])],
            ValueError,
            r"pred_labels\[0\].shape \(1, 2\) != gt_labels\[0\].shape \(2, 1\)",
        ),
        (
            [_labels([[0, -1]])],
            [_labels([[0, 1]])],
            ValueError,
            r"pred_labels\[0\] must be >= 0 where gt_labels\[0\] is not ignored \(-1\), got -1",
        ),
        (
            [np.zeros((1, 2), np.float32)],
            [_labels([[0, 1]])],
            TypeError,
            r"pred_labels\[0\] must be an integer array, got dtype float32",
        ),
    ],
)
def test_bad_input_messages(pred, gt, error, message):
    with pytest.raises(error, match="calc_semantic_segmentation_confusion: " + message):
        eval_semantic_segmentation(pred, gt)


def test_iou_rejects_non_square_confusion():
    with pytest.raises(
        ValueError,
        match=r"calc_semantic_segmentation_iou: confusion must have shape \(n_class, n_class\), "
        r"got \(2, 3\)",
    ):
        calc_semantic_segmentation_iou(np.zeros((2, 3)))


@pytest.mark.gpu
def test_cupy_matches_numpy():
    import cupy

    expected = eval_semantic_segmentation(PRED, GT)
    result = eval_semantic_segmentation(
        [cupy.asarray(p) for p in PRED], [cupy.asarray(g) for g in GT]
    )
    assert isinstance(result["iou"], cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(result["iou"]), expected["iou"])
    np.testing.assert_allclose(cupy.asnumpy(result["class_accuracy"]), expected["class_accuracy"])
    for key in ("miou", "pixel_accuracy", "mean_class_accuracy"):
        np.testing.assert_allclose(result[key], expected[key])
