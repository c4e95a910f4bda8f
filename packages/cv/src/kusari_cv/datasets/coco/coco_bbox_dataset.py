"""Bounding-box dataset of MS COCO (ChainerCV's ``COCOBboxDataset``)."""

from __future__ import annotations

import json
import os
from collections import defaultdict

import numpy

from kusari.dataset import DatasetMixin
from kusari_cv.datasets.coco.coco_utils import _coco_auto_data_dir
from kusari_cv.utils import read_image

_SPLITS = {
    "2014": ("train", "val", "minival", "valminusminival"),
    "2017": ("train", "val"),
}


class COCOBboxDataset(DatasetMixin):
    """Bounding-box dataset of `MS COCO <https://cocodataset.org/>`_.

    Reads a local copy laid out as ChainerCV expects: ``annotations/instances_<split><year>.json``
    (the official instances file) and the images in ``images/<img_split><year>/``, where
    ``img_split`` is ``'val'`` for the splits ``'val'``, ``'minival'`` and ``'valminusminival'``
    and ``'train'`` otherwise. Nothing is downloaded. Images are ordered by their COCO id.

    Each example is ``(img, bbox, label)`` followed by ``area`` when ``return_area`` and then
    ``crowded`` when ``return_crowded``:

    - ``img``: ``(3, H, W)`` float32, RGB, values in ``[0, 255]``.
    - ``bbox``: ``(R, 4)`` float32, ``(y_min, x_min, y_max, x_max)``, converted from COCO's
      ``(x, y, width, height)``. Boxes with zero area are dropped.
    - ``label``: ``(R,)`` int32, the index of each category in the json's ``categories`` list
      (for the official files, an index into :data:`coco_bbox_label_names`).
    - ``area``: ``(R,)`` float32, the annotated area of each object's mask.
    - ``crowded``: ``(R,)`` bool, whether each box covers a crowd (all false unless
      ``use_crowded``).

    The categories and crowd annotations follow Lin et al., `Microsoft COCO: Common Objects in
    Context <https://arxiv.org/abs/1405.0312>`_, ECCV 2014.

    Args:
        data_dir: Path of the COCO folder. ``'auto'`` means ``<dataset root>/pfnet/chainercv/coco``
            (ChainerCV's layout under ``$KUSARI_DATASET_ROOT``, default ``~/.kusari/dataset``).
        split: ``'train'`` or ``'val'``; for 2014 also ``'minival'`` or ``'valminusminival'``.
        year: ``'2014'`` or ``'2017'``.
        use_crowded: Keep the boxes marked as crowds.
        return_area: Return the ``area`` array.
        return_crowded: Return the ``crowded`` array.

    Raises:
        ValueError: ``year`` or ``split`` is not one of the values above.
        FileNotFoundError: The annotation file or image folder is missing; with
            ``data_dir='auto'`` the message says which archive to extract where.
    """

    def __init__(
        self,
        data_dir: str = "auto",
        split: str = "train",
        year: str = "2017",
        use_crowded: bool = False,
        return_area: bool = False,
        return_crowded: bool = False,
    ) -> None:
        if year not in _SPLITS:
            raise ValueError(f"COCOBboxDataset: expected year '2014' or '2017', got {year!r}")
        if split not in _SPLITS[year]:
            raise ValueError(
                f"COCOBboxDataset: expected split in {_SPLITS[year]} for year {year}, got {split!r}"
            )
        img_split = "val" if split in ("val", "minival", "valminusminival") else "train"
        if data_dir == "auto":
            data_dir = _coco_auto_data_dir("COCOBboxDataset", split, img_split, year)
        anno_path = os.path.join(data_dir, "annotations", f"instances_{split}{year}.json")
        if not os.path.exists(anno_path):
            raise FileNotFoundError(
                f"COCOBboxDataset: annotation file {anno_path} not found; expected data_dir to "
                "hold annotations/instances_<split><year>.json"
            )
        with open(anno_path) as f:
            annos = json.load(f)

        self.data_dir = data_dir
        self.img_root = os.path.join(data_dir, "images", f"{img_split}{year}")
        self.use_crowded = use_crowded
        self.return_area = return_area
        self.return_crowded = return_crowded
        self.id_to_prop = {prop["id"]: prop for prop in annos["images"]}
        self.ids = sorted(self.id_to_prop)
        self.cat_ids = [cat["id"] for cat in annos["categories"]]
        self._cat_id_to_label = {cat_id: label for label, cat_id in enumerate(self.cat_ids)}
        self.id_to_anno: defaultdict[int, list[dict]] = defaultdict(list)
        for anno in annos["annotations"]:
            self.id_to_anno[anno["image_id"]].append(anno)

    def __len__(self) -> int:
        """Return the number of images in the split."""
        return len(self.ids)

    def get_example(self, i: int) -> tuple[numpy.ndarray, ...]:
        """Return the ``i``-th example.

        Args:
            i: Index of the image (images sorted by COCO id).

        Returns:
            ``(img, bbox, label[, area][, crowded])``, as the class describes.
        """
        img_id = self.ids[i]
        img_path = os.path.join(self.img_root, self.id_to_prop[img_id]["file_name"])
        img = read_image(img_path, dtype=numpy.float32, color=True)
        annotation = self.id_to_anno[img_id]
        xywh = numpy.array([ann["bbox"] for ann in annotation], dtype=numpy.float32).reshape(-1, 4)
        # (x, y, width, height) -> (y_min, x_min, y_max, x_max)
        bbox = numpy.concatenate([xywh[:, 1::-1], xywh[:, 1::-1] + xywh[:, 3:1:-1]], axis=1)
        label = numpy.array(
            [self._cat_id_to_label[ann["category_id"]] for ann in annotation], dtype=numpy.int32
        )
        area = numpy.array([ann["area"] for ann in annotation], dtype=numpy.float32)
        crowded = numpy.array([ann["iscrowd"] for ann in annotation], dtype=bool)

        size = bbox[:, 2:] - bbox[:, :2]
        keep = numpy.all(size >= 0, axis=1) & (numpy.prod(size, axis=1) > 0)
        if not self.use_crowded:
            keep &= ~crowded
        example = (img, bbox[keep], label[keep])
        if self.return_area:
            example += (area[keep],)
        if self.return_crowded:
            example += (crowded[keep],)
        return example
