"""MTCNN.predict on real photographs (tests/data, see ATTRIBUTION.md) and its building blocks."""

from pathlib import Path

import numpy
import pytest

import kusari
from kusari_cv.links.model.mtcnn import MTCNN
from kusari_cv.links.model.mtcnn._resize import _crop_resize, _integral_image
from kusari_cv.links.model.mtcnn.mtcnn import _nms
from kusari_cv.utils import read_image

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def model():
    return MTCNN()


PHOTOS = ("astronaut.png", "grace_hopper.jpg", "chelsea.png")


@pytest.fixture(scope="module")
def detections(model):
    """The three photographs through one ``predict`` call: {name: (bbox, score, landmark)}."""
    bboxes, scores, landmarks = model.predict([read_image(DATA / name) for name in PHOTOS])
    assert len(bboxes) == len(scores) == len(landmarks) == len(PHOTOS)
    return dict(zip(PHOTOS, zip(bboxes, scores, landmarks, strict=True), strict=True))


def check_face(bbox, landmark, expected):
    # Expected ranges read by eye from the photograph.
    for value, (low, high) in zip(bbox, expected, strict=True):
        assert low <= value <= high
    y, x = landmark[:, 0], landmark[:, 1]
    assert numpy.all((bbox[0] <= y) & (y <= bbox[2]) & (bbox[1] <= x) & (x <= bbox[3]))
    left_eye, right_eye, nose, mouth_left, mouth_right = landmark
    assert max(left_eye[0], right_eye[0]) < nose[0] < min(mouth_left[0], mouth_right[0])
    assert left_eye[1] < right_eye[1] and mouth_left[1] < mouth_right[1]


def test_astronaut_one_face(detections):
    bbox, score, landmark = detections["astronaut.png"]
    assert bbox.shape == (1, 4) and score.shape == (1,) and landmark.shape == (1, 5, 2)
    assert bbox.dtype == score.dtype == landmark.dtype == numpy.float32
    assert score[0] > 0.99
    # The face (hairline to chin, cheek to cheek) spans about y 60..172, x 180..266.
    check_face(bbox[0], landmark[0], [(45, 75), (165, 195), (160, 190), (255, 285)])
    # Eyes at about (101, 204) and (103, 246).
    numpy.testing.assert_allclose(landmark[0, :2], [[101, 204], [103, 246]], atol=8)


def test_grace_hopper_one_face(detections):
    bbox, score, landmark = detections["grace_hopper.jpg"]
    assert bbox.shape == (1, 4) and score[0] > 0.99
    # The face under the cap's brim spans about y 115..335, x 175..345.
    check_face(bbox[0], landmark[0], [(95, 135), (155, 195), (315, 360), (325, 370)])
    numpy.testing.assert_allclose(landmark[0, :2], [[190, 221], [186, 307]], atol=10)


def test_chelsea_no_face(detections):
    bbox, score, landmark = detections["chelsea.png"]
    assert bbox.shape == (0, 4) and score.shape == (0,) and landmark.shape == (0, 5, 2)


def test_batch_equals_single_image(model, detections):
    bboxes, scores, landmarks = model.predict([read_image(DATA / "astronaut.png")])
    expected = detections["astronaut.png"]
    numpy.testing.assert_array_equal(bboxes[0], expected[0])
    numpy.testing.assert_array_equal(scores[0], expected[1])
    numpy.testing.assert_array_equal(landmarks[0], expected[2])


def test_small_image_finds_nothing(model):
    bboxes, scores, landmarks = model.predict([numpy.zeros((3, 11, 40), numpy.float32)])
    assert bboxes[0].shape == (0, 4) and scores[0].shape == (0,)
    assert landmarks[0].shape == (0, 5, 2)


def test_scales():
    model = MTCNN(pretrained_model=None)
    # min side 512 * 12 / 20 = 307.2 shrinks by 0.709 ten times before dropping under 12.
    assert model._scales(512, 600) == [0.6 * 0.709**k for k in range(10)]
    assert MTCNN(pretrained_model=None, min_size=40)._scales(30, 30) == []


def test_random_weights_round_trip(tmp_path):
    # Thresholds of 0 let random weights through every stage.
    img = numpy.random.default_rng(0).uniform(0, 255, (3, 16, 14)).astype(numpy.float32)
    model = MTCNN(pretrained_model=None, min_size=12, thresholds=(0, 0, 0))
    bboxes, scores, landmarks = model.predict([img])
    n_box = len(bboxes[0])
    assert n_box > 0
    assert bboxes[0].shape == (n_box, 4) and landmarks[0].shape == (n_box, 5, 2)
    assert numpy.all(numpy.diff(scores[0]) <= 0)
    assert numpy.all((bboxes[0] >= 0) & (bboxes[0] <= [16, 14, 16, 14]))
    path = tmp_path / "mtcnn_random.npz"
    kusari.serializers.save_npz(path, model)
    loaded = MTCNN(pretrained_model=path, min_size=12, thresholds=(0, 0, 0))
    again = loaded.predict([img])
    for got, expected in zip(again, (bboxes, scores, landmarks), strict=True):
        numpy.testing.assert_array_equal(got[0], expected[0])


def overlap_matrix(start, length, n_out, n_in):
    """(n_out, n_in): length of [start + i * length / n_out, ...) inside input pixel j."""
    edge = start + length * numpy.arange(n_out + 1) / n_out
    pixel = numpy.arange(n_in)
    low = numpy.maximum(edge[:-1, None], pixel[None, :])
    high = numpy.minimum(edge[1:, None], pixel[None, :] + 1)
    return numpy.clip(high - low, 0, None) / (length / n_out)


@pytest.mark.parametrize(
    ("origin", "size", "out_size"),
    [
        ((0, 0), (7, 9), (3, 4)),  # shrink, fractional cells
        ((2, 1), (3, 2), (7, 5)),  # enlarge
        ((-2.0, 4.0), (6.0, 8.0), (4, 4)),  # partly outside: zeros count
    ],
)
def test_crop_resize_matches_area_average(origin, size, out_size):
    img = numpy.random.default_rng(3).uniform(0, 255, (2, 7, 9))
    got = _crop_resize(
        _integral_image(img), numpy.array([origin], float), numpy.array([size], float), out_size
    )
    a_y = overlap_matrix(origin[0], size[0], out_size[0], 7)
    a_x = overlap_matrix(origin[1], size[1], out_size[1], 9)
    expected = numpy.einsum("iy,cyx,jx->cij", a_y, img, a_x)
    numpy.testing.assert_allclose(got[0], expected, rtol=1e-10, atol=1e-9)


def test_crop_resize_block_mean():
    img = numpy.arange(2 * 4 * 6, dtype=numpy.float64).reshape(2, 4, 6)
    got = _crop_resize(_integral_image(img), numpy.zeros((1, 2)), numpy.array([[4.0, 6.0]]), (2, 3))
    expected = img.reshape(2, 2, 2, 3, 2).mean(axis=(2, 4))
    numpy.testing.assert_allclose(got[0], expected)


def test_nms_union_and_min():
    # Inclusive boxes (y1, x1, y2, x2). Box 1 (3 x 3 pixels) lies inside box 0 (10 x 10): IoU
    # 9 / 100, overlap over the smaller area 1. Box 3 overlaps box 2 by exactly half its
    # pixels: IoU 50 / 150 = 1 / 3 with ``<= thresh`` keeping it.
    box = numpy.array(
        [[1, 1, 10, 10], [3, 3, 5, 5], [20, 20, 29, 29], [20, 25, 29, 34]], numpy.float64
    )
    score = numpy.array([0.5, 0.9, 0.7, 0.6])
    numpy.testing.assert_array_equal(_nms(box, score, 0.7, by_min=True), [1, 2, 3])
    numpy.testing.assert_array_equal(_nms(box, score, 0.4, by_min=True), [1, 2])
    numpy.testing.assert_array_equal(_nms(box, score, 1.0, by_min=True), [1, 2, 3, 0])
    numpy.testing.assert_array_equal(_nms(box, score, 0.05), [1, 2])
    numpy.testing.assert_array_equal(_nms(box, score, 1 / 3), [1, 2, 3, 0])
    numpy.testing.assert_array_equal(_nms(box, score, 0.3), [1, 2, 0])
    assert _nms(box[:0], score[:0], 0.5).shape == (0,)


def test_stages_drop_empty_boxes():
    model = MTCNN(pretrained_model=None, thresholds=(0, 0, 0))
    integral = _integral_image(numpy.zeros((3, 30, 30)))
    inverted = numpy.array([[10.0, 10.0, 5.0, 20.0]])
    with kusari.no_backprop_mode():
        box, score = model._refine(integral, inverted)
        assert box.shape == (0, 4) and score.shape == (0,)
        box, score, point = model._output(integral, inverted)
    assert box.shape == (0, 4) and score.shape == (0,) and point.shape == (0, 5, 2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_size": 0}, "min_size"),
        ({"scale_factor": 1.0}, "scale_factor"),
        ({"thresholds": (0.6, 0.7)}, "thresholds"),
        ({"thresholds": (0.6, 0.7, 1.5)}, "thresholds"),
        ({"pretrained_model": "no_such_model.npz"}, "pretrained_model"),
    ],
)
def test_constructor_errors(kwargs, match):
    with pytest.raises(ValueError, match=f"MTCNN: .*{match}"):
        MTCNN(**kwargs)


def test_predict_errors(model):
    with pytest.raises(TypeError, match="MTCNN.predict"):
        model.predict([[[0.0]]])
    with pytest.raises(ValueError, match=r"MTCNN.predict: expected images \(3, H, W\)"):
        model.predict([numpy.zeros((4, 20, 20), numpy.float32)])
    with pytest.raises(ValueError, match="MTCNN.predict"):
        model.predict([numpy.zeros((20, 20), numpy.float32)])


@pytest.mark.gpu
def test_predict_on_gpu_matches_cpu(model):
    import cupy

    img = read_image(DATA / "astronaut.png")
    cpu = model.predict([img])
    gpu_model = MTCNN().to_gpu()
    gpu = gpu_model.predict([cupy.asarray(img)])
    numpy.testing.assert_allclose(gpu[0][0], cpu[0][0], atol=1e-2)
    numpy.testing.assert_allclose(gpu[1][0], cpu[1][0], atol=1e-4)
    assert gpu[2][0].shape == cpu[2][0].shape
