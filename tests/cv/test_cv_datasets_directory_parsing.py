import os

import numpy
import pytest
from PIL import Image

from kusari_cv.datasets import DirectoryParsingLabelDataset, directory_parsing_label_names
from kusari_cv.utils import assert_is_label_dataset


def _write_tree(root, files):
    for relpath, value in files.items():
        path = os.path.join(root, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if relpath.endswith((".png", ".PNG", ".bmp")):
            Image.new("RGB", (3, 2), (value, 2 * value, 3)).save(path)
        else:
            with open(path, "w") as f:
                f.write("not an image")


FILES = {
    "dog/b.png": 10,
    "dog/a.PNG": 20,
    "cat/nested/z.bmp": 30,
    "cat/y.png": 40,
    "cat/notes.txt": 0,
    "bird/readme.md": 0,
}


@pytest.fixture
def root(tmp_path):
    _write_tree(str(tmp_path / "root"), FILES)
    (tmp_path / "root" / "stray.png").write_bytes(b"")
    return str(tmp_path / "root")


def test_directory_parsing_label_names_string_and_numerical_sort(tmp_path):
    for name in ("10", "2", "1"):
        (tmp_path / name).mkdir()
    (tmp_path / "file.txt").write_text("")
    assert directory_parsing_label_names(tmp_path) == ["1", "10", "2"]
    assert directory_parsing_label_names(str(tmp_path), numerical_sort=True) == ["1", "2", "10"]


def test_directory_parsing_label_names_errors(tmp_path):
    (tmp_path / "cat").mkdir()
    with pytest.raises(ValueError, match=r"expects integer folder names, got \['cat'\]"):
        directory_parsing_label_names(tmp_path, numerical_sort=True)
    with pytest.raises(FileNotFoundError, match="directory_parsing_label_names: expected root"):
        directory_parsing_label_names(tmp_path / "missing")


def test_directory_parsing_label_dataset_files_and_labels(root):
    dataset = DirectoryParsingLabelDataset(root)
    assert dataset.img_filenames == [
        os.path.join(root, "cat", "y.png"),
        os.path.join(root, "cat", "nested", "z.bmp"),
        os.path.join(root, "dog", "a.PNG"),
        os.path.join(root, "dog", "b.png"),
    ]
    assert dataset.labels.dtype == numpy.int32
    numpy.testing.assert_array_equal(dataset.labels, [1, 1, 2, 2])
    assert len(dataset) == 4
    assert_is_label_dataset(dataset, 3)
    img, label = dataset[2]
    assert img.shape == (3, 2, 3) and img.dtype == numpy.float32
    numpy.testing.assert_array_equal(img[:, 0, 0], [20, 40, 3])
    assert label == 2


def test_directory_parsing_label_dataset_grayscale_and_custom_check(root):
    dataset = DirectoryParsingLabelDataset(
        root, check_img_file=lambda path: path.endswith(".png"), color=False
    )
    assert [os.path.basename(p) for p in dataset.img_filenames] == ["y.png", "b.png"]
    assert_is_label_dataset(dataset, 3, color=False)
    img, label = dataset[1]
    assert img.shape == (1, 2, 3)
    expected_gray = (10 * 299 + 20 * 587 + 3 * 114) / 1000
    numpy.testing.assert_allclose(img[0, 0, 0], expected_gray, atol=1)
    assert label == 2
