import numpy
import pytest

from kusari_cv.utils import bbox_iou, mask_to_bbox, non_maximum_suppression


def _box(*coords):
    return numpy.array([coords], dtype=numpy.float32)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 0, 2, 2), (1, 1, 3, 3), 1 / 7),  # overlap 1x1, union 4 + 4 - 1
        ((0, 0, 2, 2), (0, 0, 2, 2), 1.0),  # identical
        ((0, 0, 1, 1), (2, 2, 3, 3), 0.0),  # disjoint
        ((0, 0, 1, 1), (1, 0, 2, 1), 0.0),  # touching along an edge
        ((0, 0, 1, 1), (1, 1, 2, 2), 0.0),  # touching at a corner
        ((0, 0, 4, 4), (1, 1, 3, 3), 4 / 16),  # contained
        ((0, 0, 2, 4), (1, 2, 5, 3), 1 / 11),  # overlap 1x1, union 8 + 4 - 1
    ],
)
def test_bbox_iou_hand_computed(a, b, expected):
    numpy.testing.assert_allclose(bbox_iou(_box(*a), _box(*b)), [[expected]], rtol=1e-6)
    numpy.testing.assert_allclose(bbox_iou(_box(*b), _box(*a)), [[expected]], rtol=1e-6)


def test_bbox_iou_pairwise_shape_and_dtype():
    a = numpy.array([[0, 0, 2, 2], [0, 0, 1, 1]], dtype=numpy.float32)
    b = numpy.array([[0, 0, 2, 2], [1, 1, 3, 3], [5, 5, 6, 6]], dtype=numpy.float32)
    iou = bbox_iou(a, b)
    assert iou.shape == (2, 3)
    assert iou.dtype == numpy.float32
    numpy.testing.assert_allclose(iou, [[1, 1 / 7, 0], [1 / 4, 0, 0]], rtol=1e-6)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 4, 1)])
def test_bbox_iou_rejects_bad_shape(shape):
    good = numpy.zeros((1, 4), dtype=numpy.float32)
    with pytest.raises(ValueError, match="bbox_iou: expected bbox_b of shape"):
        bbox_iou(good, numpy.zeros(shape, dtype=numpy.float32))


def _reference_nms(bbox, thresh, score=None, limit=None):
    # Plain-Python transcription of ChainerCV's sequential algorithm.
    n = len(bbox)
    if score is None:
        order = list(range(n))
    else:
        # argsort()[::-1] with a stable sort: higher score first, ties by descending index.
        order = sorted(range(n), key=lambda i: (float(score[i]), i), reverse=True)

    def area(b):
        return float(b[2] - b[0]) * float(b[3] - b[1])

    selected = []
    for i in order:
        b = bbox[i]
        keep = True
        for j in selected:
            s = bbox[j]
            h = min(b[2], s[2]) - max(b[0], s[0])
            w = min(b[3], s[3]) - max(b[1], s[1])
            inter = float(h) * float(w) if h > 0 and w > 0 else 0.0
            if inter / (area(b) + area(s) - inter) >= thresh:
                keep = False
                break
        if keep:
            selected.append(i)
            if limit is not None and len(selected) >= limit:
                break
    return selected


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("thresh", [0.1, 0.3, 0.7])
@pytest.mark.parametrize("limit", [None, 3])
def test_nms_matches_reference_with_ties(seed, thresh, limit):
    rng = numpy.random.default_rng(seed)
    n = 40
    top_left = rng.uniform(0, 40, size=(n, 2))
    size = rng.uniform(5, 20, size=(n, 2))
    bbox = numpy.concatenate((top_left, top_left + size), axis=1).astype(numpy.float32)
    score = rng.integers(0, 5, size=n).astype(numpy.float32) / 4  # many equal scores
    selected = non_maximum_suppression(bbox, thresh, score, limit)
    assert selected.dtype == numpy.int32
    assert selected.tolist() == _reference_nms(bbox, thresh, score, limit)


@pytest.mark.parametrize("seed", range(3))
def test_nms_without_score_visits_in_index_order(seed):
    rng = numpy.random.default_rng(seed)
    top_left = rng.uniform(0, 20, size=(30, 2))
    bbox = numpy.concatenate((top_left, top_left + 10), axis=1).astype(numpy.float32)
    assert non_maximum_suppression(bbox, 0.4).tolist() == _reference_nms(bbox, 0.4)


def test_nms_hand_example_and_tie_order():
    bbox = numpy.array(
        [[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30], [0, 0, 10, 10]], dtype=numpy.float32
    )
    score = numpy.array([0.5, 0.9, 0.3, 0.5], dtype=numpy.float32)
    # 1 first; 3 and 0 (tie, higher index first) overlap box 1 by 0.81; 2 is apart.
    assert non_maximum_suppression(bbox, 0.5, score).tolist() == [1, 2]
    # With a high threshold, 3 is kept and suppresses its duplicate 0.
    assert non_maximum_suppression(bbox, 0.9, score).tolist() == [1, 3, 2]
    assert non_maximum_suppression(bbox, 0.9, score, limit=2).tolist() == [1, 3]


def test_nms_empty_and_errors():
    empty = non_maximum_suppression(numpy.zeros((0, 4), dtype=numpy.float32), 0.5)
    assert empty.shape == (0,)
    assert empty.dtype == numpy.int32
    bbox = numpy.zeros((2, 4), dtype=numpy.float32)
    with pytest.raises(ValueError, match="expected score of shape"):
        non_maximum_suppression(bbox, 0.5, numpy.zeros(3, dtype=numpy.float32))
    with pytest.raises(ValueError, match="expected bbox of shape"):
        non_maximum_suppression(numpy.zeros((2, 5)), 0.5)
    with pytest.raises(ValueError, match="limit"):
        non_maximum_suppression(bbox, 0.5, limit=-1)


def _chainercv_order_nms(bbox, thresh, score=None, limit=None):
    # ChainerCV's arithmetic, one selected box against all remaining ones, as a reference that
    # must match bit for bit (IoUs exactly at the threshold included).
    order = numpy.arange(len(bbox)) if score is None else numpy.argsort(score, kind="stable")[::-1]
    sorted_bbox = bbox[order]
    area = numpy.prod(sorted_bbox[:, 2:] - sorted_bbox[:, :2], axis=1)
    candidate = numpy.arange(len(bbox))
    selected = []
    while candidate.size > 0 and (limit is None or len(selected) < limit):
        top, rest = candidate[0], candidate[1:]
        selected.append(int(order[top]))
        top_left = numpy.maximum(sorted_bbox[top, :2], sorted_bbox[rest, :2])
        bottom_right = numpy.minimum(sorted_bbox[top, 2:], sorted_bbox[rest, 2:])
        inter = numpy.prod(bottom_right - top_left, axis=1) * (top_left < bottom_right).all(1)
        with numpy.errstate(invalid="ignore", divide="ignore"):
            iou = inter / (area[rest] + area[top] - inter)
        candidate = rest[~(iou >= thresh)]
    return selected


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("limit", [None, 50])
def test_nms_large_random_with_ties_matches_reference(seed, limit):
    rng = numpy.random.default_rng(100 + seed)
    n = 600
    top_left = rng.uniform(0, 100, size=(n, 2))
    size = rng.uniform(3, 30, size=(n, 2))
    bbox = numpy.concatenate((top_left, top_left + size), axis=1).astype(numpy.float32)
    bbox[rng.integers(0, n, size=50)] = bbox[rng.integers(0, n, size=50)]  # duplicate boxes
    score = rng.integers(0, 8, size=n).astype(numpy.float32)  # many equal scores
    for thresh in (0.2, 0.45, 0.7):
        selected = non_maximum_suppression(bbox, thresh, score, limit)
        assert selected.dtype == numpy.int32
        assert selected.tolist() == _reference_nms(bbox, thresh, score, limit)
        assert selected.tolist() == _chainercv_order_nms(bbox, thresh, score, limit)


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64, numpy.int32])
@pytest.mark.parametrize("thresh", [0.25, 0.5, 1 / 3, 0.0, -1.0, 1.0])
def test_nms_iou_at_threshold_and_degenerate_boxes(dtype, thresh):
    # Integer boxes on a small grid give IoUs exactly equal to 0.25, 1/3, 0.5 and 1; empty
    # and inverted boxes give IoUs of 0 or NaN.
    rng = numpy.random.default_rng(7)
    n = 400
    top_left = rng.integers(0, 12, size=(n, 2))
    size = rng.integers(-1, 5, size=(n, 2))
    bbox = numpy.concatenate((top_left, top_left + size), axis=1).astype(dtype)
    score = rng.integers(0, 3, size=n).astype(numpy.float32)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        selected = non_maximum_suppression(bbox, thresh, score)
        selected_no_score = non_maximum_suppression(bbox, thresh, limit=30)
    assert selected.tolist() == _chainercv_order_nms(bbox, thresh, score)
    assert selected_no_score.tolist() == _chainercv_order_nms(bbox, thresh, limit=30)


def test_nms_nan_boxes_are_kept_like_chainercv():
    bbox = numpy.array(
        [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, numpy.nan, 4], [0, 0, 4, 4], [1, 1, 4, 4]],
        dtype=numpy.float32,
    )
    with numpy.errstate(all="raise"):
        selected = non_maximum_suppression(bbox, 0.5)
    # Two empty boxes have IoU 0 / 0 = NaN (kept, without a warning); box 4 overlaps box 3 by
    # 9 / 16.
    assert selected.tolist() == [0, 1, 2, 3]
    with numpy.errstate(invalid="ignore"):
        assert selected.tolist() == _chainercv_order_nms(bbox, 0.5)


@pytest.mark.gpu
def test_nms_cupy_matches_numpy():
    cupy = pytest.importorskip("cupy")
    rng = numpy.random.default_rng(0)
    top_left = rng.uniform(0, 40, size=(50, 2))
    bbox = numpy.concatenate((top_left, top_left + 12), axis=1).astype(numpy.float32)
    score = rng.integers(0, 4, size=50).astype(numpy.float32)
    expected = non_maximum_suppression(bbox, 0.3, score)
    got = non_maximum_suppression(cupy.asarray(bbox), 0.3, cupy.asarray(score))
    assert isinstance(got, cupy.ndarray)
    assert got.dtype == numpy.int32
    numpy.testing.assert_array_equal(cupy.asnumpy(got), expected)
    numpy.testing.assert_allclose(
        cupy.asnumpy(bbox_iou(cupy.asarray(bbox), cupy.asarray(bbox))), bbox_iou(bbox, bbox)
    )


def test_mask_to_bbox():
    mask = numpy.zeros((3, 5, 6), dtype=bool)
    mask[0, 1:3, 2:5] = True
    mask[1, 4, 0] = True
    mask[1, 0, 5] = True
    bbox = mask_to_bbox(mask)
    assert bbox.dtype == numpy.float32
    numpy.testing.assert_array_equal(bbox, [[1, 2, 3, 5], [0, 0, 5, 6], [0, 0, 0, 0]])


def test_mask_to_bbox_rejects_2d():
    with pytest.raises(ValueError, match="mask_to_bbox"):
        mask_to_bbox(numpy.zeros((4, 4), dtype=bool))


def test_suppress_per_class_thresholds_and_per_class_boxes():
    from kusari_cv.utils.bbox._per_class import suppress_per_class

    # Two candidates, two classes, one box per (candidate, class); they overlap in class 0.
    bbox = numpy.array(
        [[[0, 0, 10, 10], [20, 20, 30, 30]], [[1, 1, 10, 10], [40, 40, 50, 50]]], numpy.float32
    )
    score = numpy.array([[0.5, 0.9], [0.7, 0.5]], numpy.float32)
    got_bbox, got_label, got_score = suppress_per_class(bbox, score, 0.5, 0.5)
    assert got_label.tolist() == [0, 1, 1] and got_label.dtype == numpy.int32
    numpy.testing.assert_array_equal(got_score, numpy.float32([0.7, 0.9, 0.5]))
    numpy.testing.assert_array_equal(got_bbox, [bbox[1, 0], bbox[0, 1], bbox[1, 1]])
    # A score equal to the threshold passes only when inclusive.
    _, label, score_kept = suppress_per_class(bbox, score, 0.5, 0.5, inclusive=False)
    assert label.tolist() == [0, 1] and score_kept.tolist() == pytest.approx([0.7, 0.9])
    # Without NMS both class-0 boxes stay, in index order; shared (K, 4) boxes work too.
    shared, label, _ = suppress_per_class(bbox[:, 0], score, None, 0.5)
    assert label.tolist() == [0, 0, 1, 1]
    numpy.testing.assert_array_equal(shared, bbox[[0, 1, 0, 1], 0])
