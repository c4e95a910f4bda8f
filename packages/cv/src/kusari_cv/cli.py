"""The ``kusari-cv`` command: run a pretrained detector on images and save what it finds.

``kusari-cv detect IMAGE_OR_DIR...`` writes, for every image, ``<out>/<stem>.png`` (the image
with the boxes, labels, scores and, for MTCNN, the facial landmarks drawn with Pillow) and
``<out>/<stem>.json`` (the detections). Models are imported only when chosen, so one that cannot
be imported fails alone.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy
from PIL import Image, ImageDraw
from tqdm.auto import tqdm

from kusari.utils import atomic_path, write_text_atomically
from kusari_cv.utils import read_image
from kusari_cv.visualizations import voc_colormap

_PROG = "kusari-cv"


@dataclass(frozen=True)
class _ModelSpec:
    """Where a detector lives and how the command builds it.

    Attributes:
        module: Import path of the module defining the class.
        class_name: Name of the detector class.
        pretrained: Default value of ``--pretrained`` (ChainerCV's name for the weights).
        label_names: The class names, or ``'module:attribute'`` naming them.
        face: ``False`` for a ChainerCV detector (constructor takes ``n_fg_class``, set to the
            number of label names; ``predict`` returns ``(bboxes, labels, scores)``; a
            ``score_thresh`` attribute); ``True`` for a face detector like MTCNN (constructor
            without ``n_fg_class``; ``predict`` returns ``(bboxes, scores, landmarks)``; the
            score threshold is applied to its outputs).
    """

    module: str
    class_name: str
    pretrained: str
    label_names: str | tuple[str, ...]
    face: bool = False


_VOC = "kusari_cv.datasets:voc_bbox_label_names"
_COCO = "kusari_cv.datasets:coco_bbox_label_names"

_MODELS: dict[str, _ModelSpec] = {
    "mtcnn": _ModelSpec("kusari_cv.links.model.mtcnn", "MTCNN", "default", ("face",), True),
    "ssd300": _ModelSpec("kusari_cv.links.model.ssd", "SSD300", "voc0712", _VOC),
    "ssd512": _ModelSpec("kusari_cv.links.model.ssd", "SSD512", "voc0712", _VOC),
    "yolov2": _ModelSpec("kusari_cv.links.model.yolo", "YOLOv2", "voc0712", _VOC),
    "yolov3": _ModelSpec("kusari_cv.links.model.yolo", "YOLOv3", "voc0712", _VOC),
    "faster_rcnn_vgg16": _ModelSpec(
        "kusari_cv.links.model.faster_rcnn", "FasterRCNNVGG16", "voc07", _VOC
    ),
    "faster_rcnn_fpn_resnet50": _ModelSpec(
        "kusari_cv.links.model.fpn", "FasterRCNNFPNResNet50", "coco", _COCO
    ),
}


class _CommandError(Exception):
    """An error to print on standard error without a traceback (exit status 1)."""


def _score_thresh(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=_PROG, description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    detect = commands.add_parser(
        "detect",
        help="detect objects in images; writes an annotated PNG and a JSON file per image",
    )
    detect.add_argument(
        "inputs", nargs="+", metavar="IMAGE_OR_DIR", help="image files or folders of images"
    )
    detect.add_argument("--model", choices=tuple(_MODELS), default="mtcnn")
    detect.add_argument(
        "--pretrained",
        metavar="NAME_OR_PATH",
        help="weights: a name the model knows or a local .npz file (default: "
        + ", ".join(f"{name}: {spec.pretrained}" for name, spec in _MODELS.items())
        + ")",
    )
    detect.add_argument(
        "--score-thresh",
        type=_score_thresh,
        metavar="T",
        help="keep detections scoring at least T (default: the model's 'visualize' preset)",
    )
    detect.add_argument("--out", default="detections", help="output folder (default: detections)")
    return parser


def _image_paths(inputs: Sequence[str]) -> list[str]:
    """Expand folders into their image files (sorted, not recursive); check every path."""
    extensions = set(Image.registered_extensions())
    paths = []
    for entry in inputs:
        if os.path.isdir(entry):
            found = sorted(
                os.path.join(entry, name)
                for name in os.listdir(entry)
                if os.path.splitext(name)[1].lower() in extensions
                and os.path.isfile(os.path.join(entry, name))
            )
            if not found:
                raise _CommandError(f"no image files in the folder {entry}")
            paths.extend(found)
        elif os.path.isfile(entry):
            paths.append(entry)
        else:
            raise _CommandError(f"no such file or folder: {entry}")
    stems: dict[str, str] = {}
    for path in paths:
        stem = os.path.splitext(os.path.basename(path))[0]
        if stem in stems:
            raise _CommandError(
                f"{stems[stem]} and {path} would both be written as {stem}.png/.json; "
                "run them with different --out folders"
            )
        stems[stem] = path
    return paths


def _label_names(spec: _ModelSpec) -> tuple[str, ...]:
    if isinstance(spec.label_names, str):
        module, attribute = spec.label_names.split(":")
        return tuple(getattr(importlib.import_module(module), attribute))
    return spec.label_names


def _build_model(name: str, pretrained: str | None) -> tuple[Any, tuple[str, ...]]:
    """Import and construct the detector ``name``; errors become a :class:`_CommandError`."""
    spec = _MODELS[name]
    try:
        cls = getattr(importlib.import_module(spec.module), spec.class_name)
    except (ImportError, AttributeError) as e:
        raise _CommandError(
            f"model {name!r} ({spec.module}.{spec.class_name}) is not available: {e}"
        ) from e
    label_names = _label_names(spec)
    kwargs: dict[str, Any] = {"pretrained_model": pretrained or spec.pretrained}
    if not spec.face:
        kwargs["n_fg_class"] = len(label_names)
    try:
        model = cls(**kwargs)
    except (OSError, ValueError) as e:
        raise _CommandError(f"could not load the weights of {name!r}: {e}") from e
    return model, label_names


def _detections(
    result: Sequence[Any], label_names: Sequence[str], face: bool, score_thresh: float | None
) -> list[dict[str, Any]]:
    """Turn one image's ``predict`` outputs into JSON-ready records."""
    points = None
    if face:
        bbox, score, points = (numpy.asarray(value) for value in result)
        label = numpy.zeros(len(bbox), numpy.int32)
        if score_thresh is not None:
            keep = score >= score_thresh
            bbox, label, score, points = bbox[keep], label[keep], score[keep], points[keep]
    else:
        bbox, label, score = (numpy.asarray(value) for value in result)
    records = []
    for i in range(len(bbox)):
        record: dict[str, Any] = {
            "bbox": [float(v) for v in bbox[i]],
            "label": int(label[i]),
            "label_name": label_names[int(label[i])],
            "score": float(score[i]),
        }
        if points is not None:
            record["landmarks"] = points[i].astype(float).tolist()
        records.append(record)
    return records


def _draw(img: numpy.ndarray, records: Sequence[dict[str, Any]]) -> Image.Image:
    """Draw the records' boxes, captions and landmarks over ``img`` ``(3, H, W)``."""
    image = Image.fromarray(img.transpose(1, 2, 0).clip(0, 255).astype(numpy.uint8))
    draw = ImageDraw.Draw(image)
    width = max(1, round(max(image.size) / 300))
    colors = voc_colormap([record["label"] + 1 for record in records]).astype(int)
    for record, color in zip(records, colors, strict=True):
        y_min, x_min, y_max, x_max = record["bbox"]
        color = tuple(int(c) for c in color)
        draw.rectangle((x_min, y_min, x_max, y_max), outline=color, width=width)
        caption = f"{record['label_name']}: {record['score']:.2f}"
        left, top, right, bottom = draw.textbbox((x_min, y_min), caption)
        text_y = max(0.0, y_min - (bottom - top) - 2)
        draw.rectangle(
            (x_min, text_y, x_min + right - left + 2, text_y + bottom - top + 2), fill=color
        )
        draw.text((x_min + 1, text_y), caption, fill=(255, 255, 255))
        for y, x in record.get("landmarks", ()):
            r = width + 1
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(0, 255, 0))
    return image


def _detect(args: argparse.Namespace) -> int:
    paths = _image_paths(args.inputs)
    model, label_names = _build_model(args.model, args.pretrained)
    face = _MODELS[args.model].face
    if args.score_thresh is not None and not face:
        model.score_thresh = args.score_thresh
    os.makedirs(args.out, exist_ok=True)
    for path in tqdm(paths, desc="detect", unit="image", file=sys.stderr):
        try:
            img = read_image(path)
        except OSError as e:
            raise _CommandError(f"could not read the image {path}: {e}") from e
        result = model.predict([img])
        records = _detections([value[0] for value in result], label_names, face, args.score_thresh)
        stem = os.path.join(args.out, os.path.splitext(os.path.basename(path))[0])
        image = _draw(img, records)
        with atomic_path(stem + ".png") as temp_path:
            image.save(temp_path, format="PNG")
        report = {
            "image": os.path.abspath(path),
            "model": args.model,
            "pretrained": args.pretrained or _MODELS[args.model].pretrained,
            "size": [int(img.shape[1]), int(img.shape[2])],
            "detections": records,
        }
        write_text_atomically(stem + ".json", json.dumps(report, indent=2) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kusari-cv`` command line.

    Args:
        argv: The arguments after the program name; ``None`` reads ``sys.argv``.

    Returns:
        The exit status: 0 on success, 1 when a model, its weights or an image could not be
        used (the reason is printed on standard error). Bad arguments exit with status 2 from
        :mod:`argparse`.
    """
    args = _parser().parse_args(argv)
    try:
        return _detect(args)
    except _CommandError as e:
        print(f"{_PROG} {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
