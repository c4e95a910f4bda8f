import numpy as np
import pytest

from kusari_cv import transforms as T

_POINT = np.array([[[1, 2], [3, 5]], [[0, 0], [4, 6]]], dtype=np.float32)


def test_flip_point_hand_computed():
    out = T.flip_point(_POINT, (10, 20), y_flip=True, x_flip=True)
    np.testing.assert_array_equal(out, [[[9, 18], [7, 15]], [[10, 20], [6, 14]]])
    np.testing.assert_array_equal(T.flip_point(_POINT, (10, 20)), _POINT)
    assert out is not _POINT


def test_flip_point_matches_flip_bbox_corners():
    bbox = np.array([[1, 2, 3, 5]], dtype=np.float32)
    corners = bbox.reshape(1, 2, 2)
    out = T.flip_point(corners, (6, 7), x_flip=True)
    expected = T.flip_bbox(bbox, (6, 7), x_flip=True)
    np.testing.assert_array_equal(np.sort(out[0, :, 1]), expected[0, 1::2])


def test_resize_point_hand_computed():
    out = T.resize_point(_POINT, (4, 8), (2, 16))
    np.testing.assert_allclose(out, [[[0.5, 4], [1.5, 10]], [[0, 0], [2, 12]]])
    assert out.dtype == np.float32


def test_translate_point_hand_computed():
    out = T.translate_point(_POINT, y_offset=1, x_offset=-2)
    np.testing.assert_array_equal(out, _POINT + np.array([1, -2], dtype=np.float32))


def test_list_of_points_matches_array():
    points = [_POINT[0], _POINT[1, :1]]
    for func, args in [
        (T.flip_point, ((10, 20), True, True)),
        (T.resize_point, ((4, 8), (2, 16))),
        (T.translate_point, (1, -2)),
    ]:
        out = func(points, *args)
        assert isinstance(out, list)
        full = func(_POINT, *args)
        np.testing.assert_array_equal(out[0], full[0])
        np.testing.assert_array_equal(out[1], full[1, :1])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: T.flip_point(np.zeros((2, 3)), (4, 4)), ValueError, r"\(R, K, 2\)"),
        (lambda: T.translate_point(3.0), TypeError, "translate_point: expected point"),
        (lambda: T.resize_point([np.zeros((2, 3))], (2, 2), (4, 4)), ValueError, r"point\[0\]"),
        (lambda: T.resize_point(_POINT, (2, 2, 1), (4, 4)), ValueError, "in_size"),
    ],
)
def test_bad_input_messages(call, error, message):
    with pytest.raises(error, match=message):
        call()
