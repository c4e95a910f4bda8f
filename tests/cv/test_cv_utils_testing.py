import numpy
import pytest

from kusari_cv.utils import (
    assert_is_bbox,
    assert_is_bbox_dataset,
    assert_is_detection_link,
    assert_is_image,
    assert_is_label_dataset,
    assert_is_point,
    assert_is_point_dataset,
    assert_is_semantic_segmentation_dataset,
    generate_random_bbox,
)


def _img(channels=3, height=6, width=8):
    return (
        numpy.random.default_rng(0).uniform(0, 255, (channels, height, width)).astype(numpy.float32)
    )


@pytest.mark.parametrize("seed", range(3))
def test_generate_random_bbox_bounds(seed):
    numpy.random.seed(seed)
    bbox = generate_random_bbox(50, (20, 30), 2, 8)
    assert bbox.shape == (50, 4)
    assert bbox.dtype == numpy.float32
    height = bbox[:, 2] - bbox[:, 0]
    width = bbox[:, 3] - bbox[:, 1]
    assert ((height >= 2 - 1e-5) & (height <= 8 + 1e-5)).all()
    assert ((width >= 2 - 1e-5) & (width <= 8 + 1e-5)).all()
    assert (bbox[:, :2] >= 0).all()
    assert (bbox[:, 2] <= 20).all() and (bbox[:, 3] <= 30).all()
    assert_is_bbox(bbox, (20, 30))


def test_generate_random_bbox_rejects_too_long():
    with pytest.raises(ValueError, match="generate_random_bbox"):
        generate_random_bbox(3, (10, 5), 1, 6)


def test_assert_is_image():
    assert_is_image(_img())
    assert_is_image(_img(1), color=False)
    assert_is_image(_img() + 300, check_range=False)
    for bad, kwargs in [
        (_img().tolist(), {}),
        (_img()[0], {}),
        (_img(1), {}),
        (_img(), {"color": False}),
        (_img() + 300, {}),
        (_img() - 300, {}),
    ]:
        with pytest.raises(AssertionError):
            assert_is_image(bad, **kwargs)


def test_assert_is_bbox():
    good = numpy.array([[0, 0, 2, 3], [1, 1, 1, 1]], dtype=numpy.float32)
    assert_is_bbox(good)
    assert_is_bbox(good, size=(2, 3))
    assert_is_bbox(numpy.zeros((0, 4), dtype=numpy.float32))
    for bad, size in [
        (good.astype(numpy.float64), None),
        (good[:, :3], None),
        (good.tolist(), None),
        (numpy.array([[2, 0, 1, 1]], dtype=numpy.float32), None),
        (numpy.array([[0, 2, 1, 1]], dtype=numpy.float32), None),
        (good, (1, 3)),
        (numpy.array([[-1, 0, 1, 1]], dtype=numpy.float32), (5, 5)),
    ]:
        with pytest.raises(AssertionError):
            assert_is_bbox(bad, size)


def test_assert_is_point():
    point = numpy.array([[[0, 0], [2, 3]], [[1, 1], [9, 9]]], dtype=numpy.float32)
    visible = numpy.array([[True, True], [True, False]])
    assert_is_point(point, n_point=2)
    assert_is_point(point, visible, size=(2, 3))
    for args, kwargs in [
        ((point.astype(numpy.float64),), {}),
        ((point[:, :, :1],), {}),
        ((point,), {"n_point": 3}),
        ((point, visible.astype(numpy.int32)), {}),
        ((point, visible[:1]), {}),
        ((point,), {"size": (2, 3)}),
    ]:
        with pytest.raises(AssertionError):
            assert_is_point(*args, **kwargs)


def test_assert_is_label_dataset():
    dataset = [(_img(), numpy.int32(i)) for i in range(3)]
    assert_is_label_dataset(dataset, 3)
    assert_is_label_dataset(dataset, 3, n_example=2)
    with pytest.raises(AssertionError):
        assert_is_label_dataset(dataset, 2)
    with pytest.raises(AssertionError):
        assert_is_label_dataset([(_img(), 1)], 3)
    with pytest.raises(AssertionError):
        assert_is_label_dataset([(_img(), numpy.int32(0))], 3, color=False)


def _bbox_example(label=(0, 1), difficult=None):
    bbox = numpy.array([[0, 0, 2, 2], [1, 1, 6, 8]], dtype=numpy.float32)
    example = (_img(), bbox, numpy.array(label, dtype=numpy.int32))
    return example if difficult is None else (*example, numpy.array(difficult))


def test_assert_is_bbox_dataset():
    assert_is_bbox_dataset([_bbox_example(), _bbox_example(difficult=[True, False])], 2)
    for bad in [
        _bbox_example(label=(0, 2)),
        _bbox_example(label=(0,)),
        _bbox_example(difficult=[1, 0]),
        (_img(), numpy.array([[0, 0, 7, 2]], dtype=numpy.float32), numpy.zeros(1, numpy.int32)),
        (_img(),),
    ]:
        with pytest.raises(AssertionError):
            assert_is_bbox_dataset([bad], 2)


def test_assert_is_point_dataset():
    point = numpy.array([[[0, 0], [5, 7]]], dtype=numpy.float32)
    visible = numpy.ones((1, 2), dtype=bool)
    assert_is_point_dataset([(_img(), point, visible)], n_point=2)
    assert_is_point_dataset([(_img(), point)], no_visible=True)
    with pytest.raises(AssertionError):
        assert_is_point_dataset([(_img(), point, visible)], n_point=3)
    with pytest.raises(AssertionError):
        assert_is_point_dataset([(_img(), point)])


def test_assert_is_semantic_segmentation_dataset():
    label = numpy.full((6, 8), -1, dtype=numpy.int32)
    label[:2] = 4
    assert_is_semantic_segmentation_dataset([(_img(), label)], 5)
    with pytest.raises(AssertionError):
        assert_is_semantic_segmentation_dataset([(_img(), label)], 4)
    with pytest.raises(AssertionError):
        assert_is_semantic_segmentation_dataset([(_img(), label[:5])], 5)
    with pytest.raises(AssertionError):
        assert_is_semantic_segmentation_dataset([(_img(), label.astype(numpy.int64))], 5)


class _StubDetector:
    def __init__(self, label_value=1, score_dtype=numpy.float32):
        self.label_value = label_value
        self.score_dtype = score_dtype

    def predict(self, imgs):
        bboxes, labels, scores = [], [], []
        for img in imgs:
            _, height, width = img.shape
            bboxes.append(numpy.array([[0, 0, height, width]], dtype=numpy.float32))
            labels.append(numpy.array([self.label_value], dtype=numpy.int32))
            scores.append(numpy.array([0.5], dtype=self.score_dtype))
        return bboxes, labels, scores


def test_assert_is_detection_link():
    assert_is_detection_link(_StubDetector(), 2)
    with pytest.raises(AssertionError):
        assert_is_detection_link(_StubDetector(label_value=2), 2)
    with pytest.raises(AssertionError):
        assert_is_detection_link(_StubDetector(score_dtype=numpy.float64), 2)
