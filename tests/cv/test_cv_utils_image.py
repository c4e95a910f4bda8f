import numpy
import pytest
from PIL import Image

from kusari_cv.utils import read_image, read_label, tile_images, write_image


def _random_image(channels, height=5, width=7, seed=0):
    rng = numpy.random.default_rng(seed)
    return rng.integers(0, 256, size=(channels, height, width)).astype(numpy.float32)


@pytest.mark.parametrize("ext", [".png", ".bmp"])
def test_write_read_rgb_round_trip(tmp_path, ext):
    img = _random_image(3)
    path = tmp_path / f"img{ext}"
    write_image(img, str(path))
    out = read_image(str(path))
    assert out.dtype == numpy.float32
    numpy.testing.assert_array_equal(out, img)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_write_read_grayscale_round_trip(tmp_path):
    img = _random_image(1)
    path = tmp_path / "gray.png"
    write_image(img, path)
    numpy.testing.assert_array_equal(read_image(path, color=False), img)
    # Read as color, the gray value is repeated on the three channels.
    numpy.testing.assert_array_equal(read_image(path), numpy.repeat(img, 3, axis=0))


def test_read_image_color_false_converts_rgb_to_luma(tmp_path):
    img = _random_image(3)
    path = tmp_path / "img.png"
    write_image(img, path)
    expected = numpy.asarray(Image.open(path).convert("L"))[None]
    numpy.testing.assert_array_equal(read_image(path, color=False), expected)


def test_read_image_dtype(tmp_path):
    img = _random_image(3)
    path = tmp_path / "img.png"
    write_image(img, path)
    out = read_image(path, dtype=numpy.uint8)
    assert out.dtype == numpy.uint8
    numpy.testing.assert_array_equal(out, img.astype(numpy.uint8))


def test_write_image_file_object_and_format(tmp_path):
    img = _random_image(3)
    path = tmp_path / "img.bin"
    with open(path, "wb") as f:
        write_image(img, f, format="PNG")
    numpy.testing.assert_array_equal(read_image(path), img)


def test_read_image_alpha(tmp_path):
    rgb = numpy.full((2, 2, 3), 100, dtype=numpy.uint8)
    alpha = numpy.array([[255, 0], [51, 204]], dtype=numpy.uint8)
    path = tmp_path / "rgba.png"
    Image.fromarray(numpy.dstack((rgb, alpha))).save(path)
    with pytest.raises(ValueError, match="read_image: .* alpha"):
        read_image(path)
    numpy.testing.assert_array_equal(read_image(path, alpha="ignore"), numpy.full((3, 2, 2), 100))
    opacity = alpha / 255
    numpy.testing.assert_allclose(
        read_image(path, alpha="blend_with_black"), numpy.broadcast_to(100 * opacity, (3, 2, 2))
    )
    numpy.testing.assert_allclose(
        read_image(path, alpha="blend_with_white"),
        numpy.broadcast_to(100 * opacity + 255 * (1 - opacity), (3, 2, 2)),
        rtol=1e-5,
    )
    with pytest.raises(ValueError, match="expected alpha in"):
        read_image(path, alpha="blend")


def test_write_image_rejects_bad_shape(tmp_path):
    with pytest.raises(ValueError, match="write_image: expected img of shape"):
        write_image(numpy.zeros((2, 4, 4)), tmp_path / "x.png")


def test_read_label_palette(tmp_path):
    label = numpy.array([[0, 1, 2], [255, 1, 0]], dtype=numpy.uint8)
    image = Image.fromarray(label, mode="P")
    image.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [255, 255, 255] * 253)
    path = tmp_path / "label.png"
    image.save(path)
    out = read_label(path)
    assert out.dtype == numpy.int32
    numpy.testing.assert_array_equal(out, label)


def _reference_tile(imgs, n_col, pad, fill):
    n_img, n_channel, height, width = imgs.shape
    n_col = min(n_col, n_img)
    n_row = -(-n_img // n_col)
    tile = numpy.empty((n_channel, (height + pad) * n_row, (width + pad) * n_col), imgs.dtype)
    tile[:] = numpy.asarray(fill).reshape(-1, 1, 1)
    for k in range(n_img):
        y = (k // n_col) * (height + pad) + pad // 2
        x = (k % n_col) * (width + pad) + pad // 2
        tile[:, y : y + height, x : x + width] = imgs[k]
    return tile


@pytest.mark.parametrize(
    ("n_img", "n_col", "pad", "fill"),
    [(5, 2, 2, 0), (4, 4, 3, 7), (3, 5, 0, 1), (7, 3, 1, (10, 20, 30))],
)
def test_tile_images_layout(n_img, n_col, pad, fill):
    imgs = numpy.random.default_rng(0).uniform(0, 255, size=(n_img, 3, 4, 5)).astype(numpy.float32)
    tile = tile_images(imgs, n_col, pad, fill)
    numpy.testing.assert_array_equal(tile, _reference_tile(imgs, n_col, pad, fill))
    assert tile.dtype == numpy.float32


def test_tile_images_hand_layout():
    imgs = numpy.arange(3, dtype=numpy.float32).reshape(3, 1, 1, 1) + 1
    tile = tile_images(imgs, 2, pad=2, fill=-1)
    expected = numpy.full((1, 6, 6), -1, dtype=numpy.float32)
    expected[0, 1, 1], expected[0, 1, 4], expected[0, 4, 1] = 1, 2, 3
    numpy.testing.assert_array_equal(tile, expected)


def test_tile_images_errors():
    with pytest.raises(ValueError, match="tile_images"):
        tile_images(numpy.zeros((3, 4, 4)), 2)
    with pytest.raises(ValueError, match="tile_images"):
        tile_images(numpy.zeros((1, 3, 4, 4)), 0)
