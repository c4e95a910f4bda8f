"""Single-image CPU latency of kusari-cv's detectors, single-threaded.

Each case times ``model.predict([img])`` (preprocessing, network, decoding and NMS) on one image
with BLAS limited to one thread, and reports the median and the minimum of ``--rounds`` runs
after one warm-up run (which also sizes the lazily initialized parameters):

- SSD300 on a 300x300 image and YOLOv3 on a 416x416 image (the networks' input sizes);
- Faster R-CNN VGG16 on an image of short side 600 (its ``min_size``) and Faster R-CNN FPN
  ResNet50 on the same image, which it rescales to its default short side of 800;
- MTCNN on ``tests/data/astronaut.png`` (512x512, one face), with its packaged weights.

The detectors other than MTCNN see ``tests/data/chelsea.png`` (a cat) resized to the size of
their case. They load their pretrained weights when the file is already in
``<dataset root>/models/`` (nothing is downloaded) and run with random weights otherwise. The
network's cost does not depend on the weights, but the post-processing does: random weights
give few or no boxes above the 'visualize' score threshold, so the per-class NMS that real
weights feed is mostly skipped, while the region proposal NMS of Faster R-CNN runs on its
full input either way. The ``dets`` column shows how many boxes came out.

The ``GMAC`` column counts the multiply-adds of the network's convolutions and fully connected
layers in one ``predict`` (recorded from the function nodes that run), and ``floor ms`` divides
them by the rate of a single-threaded float32 matrix product of 1024x1024 matrices measured in
the same run: the time BLAS alone would need, a floor no im2col + BLAS implementation can beat.

    python benchmarks/cv/latency.py                       # every model, 5 rounds
    python benchmarks/cv/latency.py --models ssd300 mtcnn --rounds 10

A model that cannot be imported or built is reported as skipped, with the reason.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import importlib  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from kusari.dataset import get_dataset_root  # noqa: E402
from kusari.function_node import FunctionNode  # noqa: E402
from kusari_cv.transforms import resize  # noqa: E402
from kusari_cv.utils import read_image  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data")


@dataclasses.dataclass(frozen=True)
class Case:
    """One detector, the weights it would load and the image it is timed on.

    Attributes:
        name: The name shown in the table and given to ``--models``.
        module: Import path of the module defining the class.
        class_name: The detector class.
        pretrained: The name of its pretrained weights, loaded only when already on disk.
        n_fg_class: Number of classes of those weights (``None`` for MTCNN).
        image: File under ``tests/data``.
        size: ``(H, W)`` the image is resized to, or ``None`` to keep it.
    """

    name: str
    module: str
    class_name: str
    pretrained: str
    n_fg_class: int | None
    image: str
    size: tuple[int, int] | None


CASES = (
    Case("ssd300", "kusari_cv.links.model.ssd", "SSD300", "voc0712", 20, "chelsea.png", (300, 300)),
    Case(
        "yolov3", "kusari_cv.links.model.yolo", "YOLOv3", "voc0712", 20, "chelsea.png", (416, 416)
    ),
    Case(
        "faster_rcnn_vgg16",
        "kusari_cv.links.model.faster_rcnn",
        "FasterRCNNVGG16",
        "voc07",
        20,
        "chelsea.png",
        (600, 902),
    ),
    Case(
        "faster_rcnn_fpn_resnet50",
        "kusari_cv.links.model.fpn",
        "FasterRCNNFPNResNet50",
        "coco",
        80,
        "chelsea.png",
        (600, 902),
    ),
    Case("mtcnn", "kusari_cv.links.model.mtcnn", "MTCNN", "default", None, "astronaut.png", None),
)


def _local_weights(cls: Any, name: str) -> bool:
    """Whether the weights ``name`` of ``cls`` are already in ``<dataset root>/models/``."""
    entry = getattr(cls, "_models", {}).get(name)
    if entry is None:
        return False
    basename = os.path.basename(urllib.parse.urlparse(entry["url"]).path)
    return os.path.isfile(os.path.join(get_dataset_root(), "models", basename))


def _build(case: Case) -> tuple[Any, str]:
    """Build the detector of ``case``; returns it and a description of its weights."""
    cls = getattr(importlib.import_module(case.module), case.class_name)
    if case.n_fg_class is None:
        return cls(), case.pretrained
    if _local_weights(cls, case.pretrained):
        return cls(n_fg_class=case.n_fg_class, pretrained_model=case.pretrained), case.pretrained
    return cls(n_fg_class=case.n_fg_class), "random"


def _image(case: Case) -> np.ndarray:
    img = read_image(os.path.join(DATA, case.image))
    if case.size is not None:
        img = resize(img, case.size)
    return img


def _gemm_rate() -> float:
    """Multiply-adds per second of a single-threaded float32 1024x1024 matrix product."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((1024, 1024), dtype=np.float32) for _ in range(2))
    a @ b
    best = min(_seconds(lambda: a @ b) for _ in range(5))
    return 1024**3 / best


def _seconds(func: Any) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def _count_macs(model: Any, img: np.ndarray) -> int:
    """Multiply-adds of the convolutions and linear layers that one ``predict`` runs."""
    macs = 0
    original = FunctionNode.apply

    def counting_apply(node: FunctionNode, inputs: Any) -> Any:
        nonlocal macs
        outputs = original(node, inputs)
        name = type(node).__name__
        if name == "Convolution2DFunction":
            w = inputs[1].shape
            macs += outputs[0].size * w[1] * w[2] * w[3]
        elif name == "LinearFunction":
            macs += outputs[0].size * inputs[1].shape[1]
        return outputs

    FunctionNode.apply = counting_apply
    try:
        model.predict([img])
    finally:
        FunctionNode.apply = original
    return macs


def _time(case: Case, rounds: int, gemm_rate: float) -> dict[str, Any]:
    """Time ``case``; the row of the table, with ``skipped`` set when it could not run."""
    img = _image(case)
    row: dict[str, Any] = {"model": case.name, "input": "x".join(map(str, img.shape[1:]))}
    try:
        model, weights = _build(case)
    except Exception as e:  # any failure to import or build a model skips it, with the reason
        row["skipped"] = f"{type(e).__name__}: {e}"
        return row
    row["weights"] = weights
    outputs = model.predict([img])
    macs = _count_macs(model, img)
    row["gmac"] = macs / 1e9
    row["floor_ms"] = 1000 * macs / gemm_rate
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        outputs = model.predict([img])
        seconds.append(time.perf_counter() - start)
    row["median_ms"] = 1000 * statistics.median(seconds)
    row["min_ms"] = 1000 * min(seconds)
    row["dets"] = len(outputs[0][0])
    return row


def _print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'model':<26} {'input':>9} {'weights':>8} {'median ms':>10} {'min ms':>10} "
        f"{'GMAC':>6} {'floor ms':>9} {'ratio':>6} {'dets':>5}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        if "skipped" in row:
            print(f"{row['model']:<26} {row['input']:>9} skipped: {row['skipped']}")
            continue
        print(
            f"{row['model']:<26} {row['input']:>9} {row['weights']:>8} "
            f"{row['median_ms']:>10.1f} {row['min_ms']:>10.1f} {row['gmac']:>6.1f} "
            f"{row['floor_ms']:>9.1f} {row['median_ms'] / row['floor_ms']:>6.2f} {row['dets']:>5}"
        )


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [case.name for case in CASES]
    parser.add_argument("--models", nargs="+", choices=names, default=names)
    parser.add_argument("--rounds", type=int, default=5, help="timed runs per model")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1, got {args.rounds}")
    gemm_rate = _gemm_rate()
    print(f"single-threaded float32 GEMM: {gemm_rate / 1e9:.1f} GMAC/s")
    rows = [_time(case, args.rounds, gemm_rate) for case in CASES if case.name in args.models]
    _print_table(rows)
    return rows


if __name__ == "__main__":
    main()
