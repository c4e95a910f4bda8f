import numpy as np
import PIL.Image
import pytest

from kusari_cv import transforms as T


def _img(c=3, h=6, w=8, seed=0):
    return np.random.RandomState(seed).uniform(0, 255, (c, h, w)).astype(np.float32)


@pytest.mark.parametrize("y_flip", [False, True])
@pytest.mark.parametrize("x_flip", [False, True])
def test_flip_matches_slicing(y_flip, x_flip):
    img = _img()
    expected = img
    if y_flip:
        expected = expected[:, ::-1]
    if x_flip:
        expected = expected[:, :, ::-1]
    out = T.flip(img, y_flip=y_flip, x_flip=x_flip)
    np.testing.assert_array_equal(out, expected)
    assert np.shares_memory(out, img)
    assert not np.shares_memory(T.flip(img, y_flip, x_flip, copy=True), img)


def test_center_crop_matches_slicing():
    img = _img(h=7, w=8)
    out, param = T.center_crop(img, (4, 3), return_param=True)
    # offsets round((7 - 4) / 2) = 2 (round half to even of 1.5) and round(5 / 2) = 2
    assert param == {"y_slice": slice(2, 6), "x_slice": slice(2, 5)}
    np.testing.assert_array_equal(out, img[:, 2:6, 2:5])
    assert not np.shares_memory(T.center_crop(img, (4, 3), copy=True), img)


def test_ten_crop_order_and_values():
    img = _img(h=5, w=6)
    crops = T.ten_crop(img, (3, 4))
    assert crops.shape == (10, 3, 3, 4)
    expected = [img[:, 1:4, 1:5], img[:, 0:3, 0:4], img[:, 2:5, 0:4], img[:, 0:3, 2:6]]
    expected.append(img[:, 2:5, 2:6])
    for i, crop in enumerate(expected):
        np.testing.assert_array_equal(crops[i], crop)
        np.testing.assert_array_equal(crops[i + 5], crop[:, :, ::-1])


def test_random_crop_param_and_repeatability():
    img = _img(h=9, w=7)
    seen = set()
    for seed in range(30):
        np.random.seed(seed)
        out, param = T.random_crop(img, (4, 5), return_param=True)
        np.testing.assert_array_equal(out, img[:, param["y_slice"], param["x_slice"]])
        assert out.shape == (3, 4, 5)
        seen.add(param["y_slice"].start)
        np.random.seed(seed)
        np.testing.assert_array_equal(T.random_crop(img, (4, 5)), out)
    assert seen == set(range(6))


def test_random_crop_full_size_is_identity():
    img = _img()
    np.testing.assert_array_equal(T.random_crop(img, img.shape[1:]), img)


def test_random_flip_param_matches_output():
    img = _img()
    flags = set()
    for seed in range(20):
        np.random.seed(seed)
        out, param = T.random_flip(img, y_random=True, x_random=True, return_param=True)
        np.testing.assert_array_equal(out, T.flip(img, param["y_flip"], param["x_flip"]))
        flags.add((param["y_flip"], param["x_flip"]))
    assert len(flags) == 4
    out, param = T.random_flip(img, return_param=True)
    assert param == {"y_flip": False, "x_flip": False}
    np.testing.assert_array_equal(out, img)


def test_random_rotate_param_matches_rot90():
    img = _img(h=4, w=6)
    ks = set()
    for seed in range(20):
        np.random.seed(seed)
        out, param = T.random_rotate(img, return_param=True)
        np.testing.assert_array_equal(out, np.rot90(img, param["k"], axes=(1, 2)))
        ks.add(param["k"])
    assert ks == {0, 1, 2, 3}


def test_random_expand_param_and_fill():
    img = _img(h=4, w=5)
    fill = (1.0, 2.0, 3.0)
    np.random.seed(3)
    out, param = T.random_expand(img, max_ratio=3, fill=fill, return_param=True)
    ratio, y, x = param["ratio"], param["y_offset"], param["x_offset"]
    assert 1 <= ratio <= 3
    assert out.shape == (3, int(4 * ratio), int(5 * ratio))
    np.testing.assert_array_equal(out[:, y : y + 4, x : x + 5], img)
    mask = np.ones(out.shape[1:], dtype=bool)
    mask[y : y + 4, x : x + 5] = False
    for c in range(3):
        np.testing.assert_array_equal(out[c][mask], fill[c])
    np.random.seed(3)
    np.testing.assert_array_equal(T.random_expand(img, max_ratio=3, fill=fill), out)


def test_random_expand_no_expansion():
    img = _img()
    out, param = T.random_expand(img, max_ratio=1, return_param=True)
    assert out is img
    assert param == {"ratio": 1, "y_offset": 0, "x_offset": 0}


def test_random_sized_crop_param_consistency():
    img = _img(h=20, w=30)
    for seed in range(10):
        np.random.seed(seed)
        out, param = T.random_sized_crop(img, return_param=True)
        np.testing.assert_array_equal(out, img[:, param["y_slice"], param["x_slice"]])
        s, a = param["scale_ratio"], param["aspect_ratio"]
        assert out.shape[1] == int(np.floor(np.sqrt(s * 20 * 30 * a)))
        assert out.shape[2] == int(np.floor(np.sqrt(s * 20 * 30 / a)))
        assert 3 / 4 <= a <= 4 / 3
        np.random.seed(seed)
        np.testing.assert_array_equal(T.random_sized_crop(img), out)


def test_pca_lighting_adds_eigen_combination():
    img = _img()
    eigen_value = np.array([1.0, 2.0, 3.0])
    eigen_vector = np.arange(9.0).reshape(3, 3)
    np.random.seed(0)
    alpha = np.random.normal(0, 5.0, size=3)
    np.random.seed(0)
    out = T.pca_lighting(img, 5.0, eigen_value, eigen_vector)
    shift = eigen_vector @ (eigen_value * alpha)
    np.testing.assert_allclose(out, img + shift[:, None, None].astype(np.float32), rtol=1e-6)
    assert out.dtype == np.float32
    assert T.pca_lighting(img, 0) is img


@pytest.mark.parametrize(
    "interpolation",
    [PIL.Image.NEAREST, PIL.Image.BILINEAR, PIL.Image.BICUBIC, PIL.Image.LANCZOS],
)
def test_resize_constant_image(interpolation):
    img = np.full((2, 5, 7), 42.5, dtype=np.float32)
    for size in [(3, 4), (10, 13)]:
        out = T.resize(img, size, interpolation=interpolation)
        assert out.shape == (2, *size)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, 42.5, rtol=1e-5)


def test_resize_nearest_upsample_is_repeat_and_same_size_is_identity():
    img = _img(h=3, w=4)
    out = T.resize(img, (6, 8), interpolation=PIL.Image.NEAREST)
    np.testing.assert_array_equal(out, img.repeat(2, axis=1).repeat(2, axis=2))
    np.testing.assert_allclose(T.resize(img, (3, 4)), img, rtol=1e-6)


def _interp_axis(img, out_len, axis):
    """Half-pixel linear interpolation along one axis, clamped at the edges (upsampling)."""
    in_len = img.shape[axis]
    src = (np.arange(out_len) + 0.5) * in_len / out_len - 0.5
    return np.apply_along_axis(lambda v: np.interp(src, np.arange(in_len), v), axis, img)


def test_resize_bilinear_upsample_matches_linear_interpolation():
    img = _img(h=3, w=4).astype(np.float64)
    expected = _interp_axis(_interp_axis(img, 7, 1), 10, 2)
    np.testing.assert_allclose(T.resize(img.astype(np.float32), (7, 10)), expected, rtol=1e-4)


def test_resize_contain_shrinks_and_pads():
    img = _img(h=4, w=8)
    out, param = T.resize_contain(img, (6, 4), fill=7, return_param=True)
    assert param == {"y_offset": 2, "x_offset": 0, "scaled_size": (2, 4)}
    np.testing.assert_allclose(out[:, 2:4], T.resize(img, (2, 4)))
    np.testing.assert_array_equal(out[:, :2], 7)
    np.testing.assert_array_equal(out[:, 4:], 7)


def test_resize_contain_never_enlarges():
    img = _img(h=3, w=4)
    out, param = T.resize_contain(img, (6, 7), fill=(1, 2, 3), return_param=True)
    assert param == {"y_offset": 1, "x_offset": 1, "scaled_size": (3, 4)}
    np.testing.assert_array_equal(out[:, 1:4, 1:5], img)
    np.testing.assert_array_equal(out[:, 0, 0], [1, 2, 3])


@pytest.mark.parametrize(
    ("shape", "size", "fit_short", "expected"),
    [
        ((4, 8), 2, True, (2, 4)),
        ((8, 4), 2, True, (4, 2)),
        ((4, 8), 4, False, (2, 4)),
        ((8, 4), 6, False, (6, 3)),
    ],
)
def test_scale_output_shape(shape, size, fit_short, expected):
    img = np.full((1, *shape), 3.0, dtype=np.float32)
    out = T.scale(img, size, fit_short=fit_short)
    assert out.shape == (1, *expected)
    np.testing.assert_allclose(out, 3.0, rtol=1e-6)


def test_scale_returns_input_when_edge_matches():
    img = _img(h=4, w=8)
    assert T.scale(img, 4) is img
    assert T.scale(img, 8, fit_short=False) is img


@pytest.mark.parametrize("k", [0, 1, 2, 3, -1])
def test_rotate_multiples_of_90_match_rot90(k):
    img = _img(h=4, w=6)
    out = T.rotate(img, 90 * k)
    np.testing.assert_allclose(out, np.rot90(img, k, axes=(1, 2)), atol=1e-3)


def test_rotate_without_expand_keeps_shape_and_fills():
    img = np.ones((1, 5, 5), dtype=np.float32)
    out = T.rotate(img, 45, expand=False, fill=-1, interpolation=PIL.Image.NEAREST)
    assert out.shape == (1, 5, 5)
    assert out[0, 2, 2] == 1
    assert out[0, 0, 0] == -1
    assert T.rotate(img, 45).shape == (1, 7, 7)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: T.flip(np.zeros((4, 4))), r"flip: expected img of shape \(C, H, W\)"),
        (lambda: T.center_crop(np.zeros((1, 3, 3)), (4, 2)), "center_crop: size"),
        (lambda: T.random_crop(np.zeros((1, 3, 3)), (2, 5)), "random_crop: size"),
        (lambda: T.ten_crop(np.zeros((1, 3, 3)), (4, 4)), "ten_crop: size"),
        (lambda: T.resize(np.zeros((1, 3, 3), np.float32), (2,)), "resize: expected size"),
        (lambda: T.resize(np.zeros((1, 3, 3), np.float32), (2, 2), 99), "resize: expected"),
        (lambda: T.rotate(np.zeros((1, 3, 3)), 10, interpolation=99), "rotate: expected"),
        (lambda: T.scale(np.zeros((1, 3, 3)), 0), "scale: expected size"),
        (lambda: T.random_expand(np.zeros((3, 2, 2)), fill=(1, 2)), "random_expand: expected"),
        (lambda: T.resize_contain(np.zeros((3, 2, 2)), (3, 3), (1, 2)), "resize_contain"),
        (lambda: T.pca_lighting(np.zeros((3, 2, 2)), 1.0, np.ones(2)), "pca_lighting"),
        (lambda: T.random_sized_crop(np.zeros((1, 4, 4)), (0.5, 0.1)), "random_sized_crop"),
    ],
)
def test_bad_input_messages(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.gpu
def test_resize_and_flip_on_cupy():
    import cupy

    img = _img(h=4, w=6)
    out = T.resize(cupy.asarray(img), (2, 3))
    assert isinstance(out, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(out), T.resize(img, (2, 3)), rtol=1e-6)
    np.testing.assert_array_equal(
        cupy.asnumpy(T.flip(cupy.asarray(img), True, True)), img[:, ::-1, ::-1]
    )
