import numpy as np
import pytest

from kusari_cv import transforms as T

_BBOX = np.array(
    [[0, 0, 4, 4], [2, 3, 10, 9], [8, 8, 12, 12], [5, 1, 6, 2], [4, 3, 5, 4]], dtype=np.float32
)


def _mask(bbox, size):
    """Boolean image that is True inside integer boxes."""
    mask = np.zeros(size, dtype=bool)
    for y_min, x_min, y_max, x_max in bbox.astype(int):
        mask[y_min:y_max, x_min:x_max] = True
    return mask


def test_crop_bbox_hand_computed():
    out, param = T.crop_bbox(_BBOX, slice(3, 9), slice(2, 7), return_param=True)
    np.testing.assert_array_equal(out, [[0, 0, 1, 2], [0, 1, 6, 5], [1, 1, 2, 2]])
    np.testing.assert_array_equal(param["index"], [0, 1, 4])
    assert out.dtype == np.float32


def test_crop_bbox_drops_boxes_with_center_outside():
    out, param = T.crop_bbox(
        _BBOX, slice(3, 9), slice(2, 7), allow_outside_center=False, return_param=True
    )
    np.testing.assert_array_equal(out, [[0, 1, 6, 5], [1, 1, 2, 2]])
    np.testing.assert_array_equal(param["index"], [1, 4])


def test_crop_bbox_open_slices_keep_nonempty_boxes():
    bbox = np.array([[1, 2, 3, 4], [2, 2, 2, 5]], dtype=np.float32)
    np.testing.assert_array_equal(T.crop_bbox(bbox), bbox[:1])
    np.testing.assert_array_equal(T.crop_bbox(bbox, y_slice=slice(2, None)), [[0, 2, 1, 4]])
    out = T.crop_bbox(bbox.astype(np.int32), y_slice=slice(2, None))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[0, 2, 1, 4]])


def test_crop_bbox_matches_image_crop():
    bbox = np.array([[1, 1, 5, 6], [3, 0, 8, 2]], dtype=np.float32)
    y_slice, x_slice = slice(2, 7), slice(1, 5)
    mask = _mask(bbox, (10, 10))[y_slice, x_slice]
    np.testing.assert_array_equal(_mask(T.crop_bbox(bbox, y_slice, x_slice), mask.shape), mask)


@pytest.mark.parametrize(("y_flip", "x_flip"), [(True, False), (False, True), (True, True)])
def test_flip_bbox_matches_image_flip(y_flip, x_flip):
    bbox = np.array([[1, 2, 3, 5], [0, 0, 6, 1]], dtype=np.float32)
    mask = _mask(bbox, (6, 7))
    flipped = T.flip(mask[None], y_flip=y_flip, x_flip=x_flip)[0]
    out = T.flip_bbox(bbox, (6, 7), y_flip=y_flip, x_flip=x_flip)
    np.testing.assert_array_equal(_mask(out, (6, 7)), flipped)


def test_flip_bbox_hand_computed():
    bbox = np.array([[1, 2, 3, 5]], dtype=np.float32)
    np.testing.assert_array_equal(T.flip_bbox(bbox, (10, 20), y_flip=True), [[7, 2, 9, 5]])
    np.testing.assert_array_equal(T.flip_bbox(bbox, (10, 20), x_flip=True), [[1, 15, 3, 18]])
    np.testing.assert_array_equal(T.flip_bbox(bbox, (10, 20)), bbox)


def test_resize_bbox_hand_computed():
    bbox = np.array([[1, 2, 3, 4]], dtype=np.float32)
    out = T.resize_bbox(bbox, (4, 8), (6, 2))
    np.testing.assert_allclose(out, [[1.5, 0.5, 4.5, 1.0]])
    assert out.dtype == np.float32


@pytest.mark.parametrize("k", [-2, -1, 0, 1, 2, 3])
def test_rotate_bbox_matches_rot90(k):
    bbox = np.array([[1, 2, 3, 5], [0, 0, 4, 1]], dtype=np.float32)
    mask = np.rot90(_mask(bbox, (4, 6)), k)
    out = T.rotate_bbox(bbox, 90 * k, (4, 6))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(_mask(out, mask.shape), mask)


def test_rotate_bbox_hand_computed():
    bbox = np.array([[1, 2, 3, 5]], dtype=np.float32)
    np.testing.assert_array_equal(T.rotate_bbox(bbox, 90, (4, 6)), [[1, 1, 4, 3]])
    np.testing.assert_array_equal(T.rotate_bbox(bbox, -90, (4, 6)), [[2, 1, 5, 3]])
    np.testing.assert_array_equal(T.rotate_bbox(bbox, 180, (4, 6)), [[1, 1, 3, 4]])


def test_translate_bbox_matches_random_expand():
    bbox = np.array([[1, 2, 3, 5]], dtype=np.float32)
    mask = _mask(bbox, (4, 6)).astype(np.float32)[None]
    np.random.seed(1)
    expanded, param = T.random_expand(mask, max_ratio=2, return_param=True)
    out = T.translate_bbox(bbox, y_offset=param["y_offset"], x_offset=param["x_offset"])
    np.testing.assert_array_equal(_mask(out, expanded.shape[1:]), expanded[0] > 0)
    np.testing.assert_array_equal(T.translate_bbox(bbox, 2, -1), [[3, 1, 5, 4]])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: T.flip_bbox(np.zeros((2, 3)), (4, 4)), ValueError, r"flip_bbox: .*\(R, 4\)"),
        (lambda: T.crop_bbox(np.zeros((2, 4)), (1, 2)), TypeError, "crop_bbox: expected y_"),
        (lambda: T.crop_bbox(np.zeros((2, 4)), slice(0, 4, 2)), ValueError, "step 1"),
        (lambda: T.rotate_bbox(np.zeros((2, 4)), 45, (4, 4)), ValueError, "multiple of 90"),
        (lambda: T.resize_bbox(np.zeros((2, 4)), (0, 4), (2, 2)), ValueError, "resize_bbox"),
        (lambda: T.translate_bbox([1, 2, 3, 4]), ValueError, "translate_bbox"),
    ],
)
def test_bad_input_messages(call, error, message):
    with pytest.raises(error, match=message):
        call()
