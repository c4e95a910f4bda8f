"""A label dataset whose class names are the names of subfolders (ChainerCV's version)."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy

from kusari.dataset import DatasetMixin
from kusari_cv.utils import read_image

_IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp")


def directory_parsing_label_names(
    root: str | os.PathLike[str], numerical_sort: bool = False
) -> list[str]:
    """Return the label names of a folder tree: the names of the folders just below ``root``.

    The index of a name in the returned list is the label id that
    :class:`DirectoryParsingLabelDataset` gives to the images under that folder.

    Args:
        root: The root folder.
        numerical_sort: Sort the names as integers (``'2'`` before ``'10'``) instead of as
            strings.

    Returns:
        The sorted names of the subfolders of ``root``.

    Raises:
        FileNotFoundError: ``root`` is not a folder.
        ValueError: ``numerical_sort`` is true and a folder name is not an integer.
    """
    if not os.path.isdir(root):
        raise FileNotFoundError(
            f"directory_parsing_label_names: expected root to be a folder, got {os.fspath(root)!r}"
        )
    label_names = [d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))]
    if not numerical_sort:
        return sorted(label_names)
    not_int = [name for name in label_names if not name.lstrip("+-").isdigit()]
    if not_int:
        raise ValueError(
            "directory_parsing_label_names: numerical_sort=True expects integer folder names, "
            f"got {sorted(not_int)!r}"
        )
    return sorted(label_names, key=int)


def _is_image_file(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in _IMG_EXTENSIONS


class DirectoryParsingLabelDataset(DatasetMixin):
    """A label dataset whose label names are the names of the subfolders of a root folder.

    Every file under ``root/<label name>/`` (at any depth) that ``check_img_file`` accepts is an
    example of that label; labels are numbered as :func:`directory_parsing_label_names` orders
    the folders, and the files of one label are in string order of their paths. For example::

        root
        |-- cat
        |   |-- 0.png
        |   `-- 1.png
        `-- dog
            `-- 0.png

    gives ``img_filenames == ['root/cat/0.png', 'root/cat/1.png', 'root/dog/0.png']`` and
    ``labels == array([0, 0, 1])``.

    Each example is ``(img, label)``: ``img`` is ``(3, H, W)`` float32 RGB (``(1, H, W)`` when
    ``color`` is false) with values in ``[0, 255]``, and ``label`` an int32 scalar.

    Args:
        root: The root folder.
        check_img_file: A function that takes a file path and returns whether the file is an
            image to include; ``None`` accepts the extensions ``.jpg``, ``.jpeg``, ``.png``,
            ``.ppm`` and ``.bmp`` (in any case).
        color: Read the images as RGB when true, as grayscale otherwise.
        numerical_sort: Order the label names as integers (see
            :func:`directory_parsing_label_names`).

    Raises:
        FileNotFoundError: ``root`` is not a folder.
        ValueError: ``numerical_sort`` is true and a folder name is not an integer.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        check_img_file: Callable[[str], bool] | None = None,
        color: bool = True,
        numerical_sort: bool = False,
    ) -> None:
        if check_img_file is None:
            check_img_file = _is_image_file
        label_names = directory_parsing_label_names(root, numerical_sort=numerical_sort)
        img_filenames = []
        labels = []
        for label, label_name in enumerate(label_names):
            for cur_dir, _, names in sorted(os.walk(os.path.join(root, label_name))):
                for name in sorted(names):
                    path = os.path.join(cur_dir, name)
                    if check_img_file(path):
                        img_filenames.append(path)
                        labels.append(label)
        self.color = color
        self.img_filenames = img_filenames
        self.labels = numpy.array(labels, dtype=numpy.int32)

    def __len__(self) -> int:
        """Return the number of images."""
        return len(self.img_filenames)

    def get_example(self, i: int) -> tuple[numpy.ndarray, numpy.int32]:
        """Return the ``i``-th example.

        Args:
            i: Index of the image.

        Returns:
            ``(img, label)``, as the class describes.
        """
        return read_image(self.img_filenames[i], color=self.color), self.labels[i]
