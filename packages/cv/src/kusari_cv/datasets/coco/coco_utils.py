"""MS COCO label names and where its local copy is found (ChainerCV's ``coco_utils``)."""

from __future__ import annotations

import os

from kusari.dataset import get_dataset_root

coco_bbox_label_names: tuple[str, ...] = (
    "person",
    "bicycle",
    "car",
    "motorcycle",
    "airplane",
    "bus",
    "train",
    "truck",
    "boat",
    "traffic light",
    "fire hydrant",
    "stop sign",
    "parking meter",
    "bench",
    "bird",
    "cat",
    "dog",
    "horse",
    "sheep",
    "cow",
    "elephant",
    "bear",
    "zebra",
    "giraffe",
    "backpack",
    "umbrella",
    "handbag",
    "tie",
    "suitcase",
    "frisbee",
    "skis",
    "snowboard",
    "sports ball",
    "kite",
    "baseball bat",
    "baseball glove",
    "skateboard",
    "surfboard",
    "tennis racket",
    "bottle",
    "wine glass",
    "cup",
    "fork",
    "knife",
    "spoon",
    "bowl",
    "banana",
    "apple",
    "sandwich",
    "orange",
    "broccoli",
    "carrot",
    "hot dog",
    "pizza",
    "donut",
    "cake",
    "chair",
    "couch",
    "potted plant",
    "bed",
    "dining table",
    "toilet",
    "tv",
    "laptop",
    "mouse",
    "remote",
    "keyboard",
    "cell phone",
    "microwave",
    "oven",
    "toaster",
    "sink",
    "refrigerator",
    "book",
    "clock",
    "vase",
    "scissors",
    "teddy bear",
    "hair drier",
    "toothbrush",
)
"""The 80 MS COCO object categories, in the order of the label ids (ChainerCV's order)."""

_IMAGE_ARCHIVES = "http://images.cocodataset.org/zips/{img_split}{year}.zip"
_ANNOTATION_ARCHIVES = "http://images.cocodataset.org/annotations/annotations_trainval{year}.zip"


def _coco_auto_data_dir(caller: str, split: str, img_split: str, year: str) -> str:
    """Return ``<dataset root>/pfnet/chainercv/coco`` when the split's files are there.

    Raises:
        FileNotFoundError: The annotation file or the image folder is missing; the message says
            which archive to extract where.
    """
    data_dir = os.path.join(get_dataset_root(), "pfnet", "chainercv", "coco")
    anno_path = os.path.join(data_dir, "annotations", f"instances_{split}{year}.json")
    img_root = os.path.join(data_dir, "images", f"{img_split}{year}")
    if not os.path.exists(anno_path):
        raise FileNotFoundError(
            f"{caller}: MS COCO {year} annotations were not found: {anno_path} is missing. "
            f"Download {_ANNOTATION_ARCHIVES.format(year=year)} and extract it in {data_dir} so "
            f"that annotations/instances_{split}{year}.json is there, or pass data_dir= the "
            "path of your own COCO folder."
        )
    if not os.path.isdir(img_root):
        raise FileNotFoundError(
            f"{caller}: MS COCO {year} images were not found: {img_root} is missing. Download "
            f"{_IMAGE_ARCHIVES.format(img_split=img_split, year=year)} and extract it in "
            f"{os.path.join(data_dir, 'images')} so that the folder {img_split}{year} is "
            "there, or pass data_dir= the path of your own COCO folder."
        )
    return data_dir
