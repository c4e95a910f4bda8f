"""Bounding-box dataset of PASCAL VOC (ChainerCV's ``VOCBboxDataset``)."""

from __future__ import annotations

import os
import warnings
import xml.etree.ElementTree as ET

import numpy

from kusari.dataset import DatasetMixin
from kusari_cv.datasets.voc.voc_utils import _voc_auto_data_dir, voc_bbox_label_names
from kusari_cv.utils import read_image


class VOCBboxDataset(DatasetMixin):
    """Bounding-box dataset of `PASCAL VOC <http://host.robots.ox.ac.uk/pascal/VOC/>`_.

    Reads a local copy laid out as the ``VOCdevkit/VOC<year>`` folder of the official archives:
    ``ImageSets/Main/<split>.txt`` lists the image ids, ``Annotations/<id>.xml`` holds the
    objects and ``JPEGImages/<id>.jpg`` the images. Nothing is downloaded.

    Each example is ``(img, bbox, label)``, or ``(img, bbox, label, difficult)`` when
    ``return_difficult`` is true:

    - ``img``: ``(3, H, W)`` float32, RGB, values in ``[0, 255]``.
    - ``bbox``: ``(R, 4)`` float32, ``(y_min, x_min, y_max, x_max)``. VOC's 1-based pixel
      coordinates are made 0-based by subtracting 1, as ChainerCV does.
    - ``label``: ``(R,)`` int32, indices into :data:`voc_bbox_label_names`.
    - ``difficult``: ``(R,)`` bool, whether each object is marked difficult (all false unless
      ``use_difficult``).

    Args:
        data_dir: Path of a ``VOC<year>`` folder. ``'auto'`` means
            ``<dataset root>/pfnet/chainercv/voc/VOCdevkit/VOC<year>`` (ChainerCV's layout under
            ``$KUSARI_DATASET_ROOT``, default ``~/.kusari/dataset``).
        split: ``'train'``, ``'val'``, ``'trainval'``, or ``'test'`` (2007 only).
        year: ``'2007'`` or ``'2012'``.
        use_difficult: Keep the objects marked difficult.
        return_difficult: Return the ``difficult`` array as a fourth element.

    Raises:
        ValueError: ``data_dir='auto'`` with a year other than ``'2007'`` or ``'2012'``.
        FileNotFoundError: The split file is missing; with ``data_dir='auto'`` the message says
            which archive to extract where.
    """

    def __init__(
        self,
        data_dir: str = "auto",
        split: str = "train",
        year: str = "2012",
        use_difficult: bool = False,
        return_difficult: bool = False,
    ) -> None:
        if split not in ("train", "trainval", "val") and (split, year) != ("test", "2007"):
            warnings.warn(
                f"VOCBboxDataset: split {split!r} is not one of 'train', 'trainval', 'val' "
                "(and 'test' for 2007)",
                stacklevel=2,
            )
        if data_dir == "auto":
            data_dir = _voc_auto_data_dir("VOCBboxDataset", year, split)
        id_list_file = os.path.join(data_dir, "ImageSets", "Main", f"{split}.txt")
        if not os.path.exists(id_list_file):
            raise FileNotFoundError(
                f"VOCBboxDataset: split file {id_list_file} not found; expected data_dir to be "
                "a VOC<year> folder with ImageSets/Main/<split>.txt"
            )
        with open(id_list_file) as f:
            self.ids = [line.strip() for line in f if line.strip()]
        self.data_dir = data_dir
        self.use_difficult = use_difficult
        self.return_difficult = return_difficult

    def __len__(self) -> int:
        """Return the number of images in the split."""
        return len(self.ids)

    def get_example(self, i: int) -> tuple[numpy.ndarray, ...]:
        """Return the ``i``-th example.

        Args:
            i: Index of the image in the split.

        Returns:
            ``(img, bbox, label)`` or ``(img, bbox, label, difficult)``, as the class describes.

        Raises:
            ValueError: An object's class name is not in :data:`voc_bbox_label_names`.
        """
        id_ = self.ids[i]
        img = read_image(os.path.join(self.data_dir, "JPEGImages", f"{id_}.jpg"), color=True)
        bbox, label, difficult = self._get_annotations(id_)
        if self.return_difficult:
            return img, bbox, label, difficult
        return img, bbox, label

    def _get_annotations(self, id_: str) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        anno_path = os.path.join(self.data_dir, "Annotations", f"{id_}.xml")
        coords = []
        label = []
        difficult = []
        for obj in ET.parse(anno_path).findall("object"):
            difficult_tag = obj.find("difficult")
            is_difficult = difficult_tag is not None and int(difficult_tag.text) == 1
            if is_difficult and not self.use_difficult:
                continue
            name = obj.find("name").text.lower().strip()
            if name not in voc_bbox_label_names:
                raise ValueError(
                    f"VOCBboxDataset: {anno_path} has an object named {name!r}, expected one of "
                    "voc_bbox_label_names"
                )
            bndbox = obj.find("bndbox")
            coords.append(
                [float(bndbox.find(tag).text) for tag in ("ymin", "xmin", "ymax", "xmax")]
            )
            label.append(voc_bbox_label_names.index(name))
            difficult.append(is_difficult)
        bbox = numpy.array(coords, dtype=numpy.float32).reshape(-1, 4) - 1
        return bbox, numpy.array(label, dtype=numpy.int32), numpy.array(difficult, dtype=bool)
