"""PASCAL VOC label names and where its local copy is found (ChainerCV's ``voc_utils``)."""

from __future__ import annotations

import os

from kusari.dataset import get_dataset_root

voc_bbox_label_names: tuple[str, ...] = (
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)
"""The 20 PASCAL VOC object classes, in the order of the label ids (ChainerCV's order)."""

_ARCHIVES = {
    "2007": "http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtrainval_06-Nov-2007.tar",
    "2007_test": "http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtest_06-Nov-2007.tar",
    "2012": "http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar",
}


def _voc_auto_data_dir(caller: str, year: str, split: str) -> str:
    """Return ``<dataset root>/pfnet/chainercv/voc/VOCdevkit/VOC<year>`` when its split exists.

    Raises:
        ValueError: ``year`` is neither ``'2007'`` nor ``'2012'``.
        FileNotFoundError: The split file is missing; the message says which archive to extract
            where.
    """
    if year not in ("2007", "2012"):
        raise ValueError(f"{caller}: expected year '2007' or '2012', got {year!r}")
    voc_root = os.path.join(get_dataset_root(), "pfnet", "chainercv", "voc")
    data_dir = os.path.join(voc_root, "VOCdevkit", f"VOC{year}")
    split_file = os.path.join(data_dir, "ImageSets", "Main", f"{split}.txt")
    if not os.path.exists(split_file):
        archive = _ARCHIVES["2007_test" if (year, split) == ("2007", "test") else year]
        raise FileNotFoundError(
            f"{caller}: PASCAL VOC {year} ({split}) was not found: {split_file} is missing. "
            f"Download {archive} and extract it in {voc_root} so that the folder "
            f"VOCdevkit/VOC{year} (with Annotations, ImageSets and JPEGImages) is placed at "
            f"{data_dir}, or pass data_dir= the path of your own VOC{year} folder."
        )
    return data_dir
