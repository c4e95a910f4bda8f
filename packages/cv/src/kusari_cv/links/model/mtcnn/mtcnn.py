"""MTCNN: the P-Net / R-Net / O-Net face detection cascade with ``predict``."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy

import kusari
import kusari.functions as F
from kusari import backend
from kusari.backend import get_array_module
from kusari_cv.links.model.mtcnn._resize import _crop_resize, _integral_image
from kusari_cv.links.model.mtcnn.onet import ONet
from kusari_cv.links.model.mtcnn.pnet import PNet
from kusari_cv.links.model.mtcnn.rnet import RNet

_DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "data" / "mtcnn.npz"

# P-Net's window: side 12 pixels, stride 2 pixels (in the scaled image).
_CELL = 12
_STRIDE = 2

# Inside the cascade, boxes are ``(y1, x1, y2, x2)`` inclusive 1-based pixel indices, the
# convention of the authors' MATLAB code, so that its roundings carry over unchanged; row
# ``y1`` starts at ``y1 - 1`` in ChainerCV's continuous coordinates and row ``y2`` ends at ``y2``.


class MTCNN(kusari.Chain):
    """Multi-task cascaded convolutional networks for face detection and alignment.

    ``predict`` runs the three stages of Zhang et al. (2016): P-Net scores a 12 x 12 window
    every 2 pixels of an image pyramid (proposals, NMS per scale and across scales, box
    regression, boxes made square), R-Net re-scores and refines 24 x 24 crops of the
    proposals, and O-Net re-scores 48 x 48 crops, refines the boxes once more and locates
    five landmarks. Crops extend past the image with zeros and are resized by area averaging
    (the reference implementation uses OpenCV's ``INTER_AREA``; see ``_crop_resize``). The
    arithmetic (integer roundings, the ``+ 1`` of inclusive pixel boxes, NMS 'Union' in the
    first two stages and 'Min' in the last) follows the authors' released MATLAB code as
    ported by the ``mtcnn`` Python package 0.1.1.

    On float images the boxes, scores and landmarks equal that package's to float32 precision
    (checked on the photographs of the tests), apart from these deliberate differences: boxes
    are in ChainerCV's continuous coordinates (the package reports the inclusive 1-based
    ``x1, y1`` as 0-based pixel indices, one pixel further right and down) and clipped to the
    image; a P-Net scale with a single proposal keeps its own box offsets (the package then
    reads them from vertically flipped offset maps); crops of empty boxes are dropped
    (the package then returns nothing for the whole image); and pyramid levels are not rounded
    to integers (the package's OpenCV resize rounds them when given a ``uint8`` image, which
    moves its boxes by a few pixels).

    The default weights are the authors' Caffe models as converted by that package (MIT
    licence, see ``data/LICENSE-mtcnn.txt``), shipped with kusari-cv.

    Source: K. Zhang, Z. Zhang, Z. Li and Y. Qiao, "Joint Face Detection and Alignment Using
    Multitask Cascaded Convolutional Networks", IEEE Signal Processing Letters 23(10), 2016.

    Args:
        pretrained_model: ``'default'`` (the packaged weights), ``None`` (random weights) or
            the path of an ``.npz`` file saved from an :class:`MTCNN`.
        min_size: Smallest face side to look for, in pixels; the first pyramid level scales
            the image by ``12 / min_size``.
        scale_factor: Ratio between consecutive pyramid levels, in ``(0, 1)``.
        thresholds: Face probabilities that P-Net, R-Net and O-Net proposals must reach
            (``>=`` for P-Net, ``>`` for R-Net and O-Net, as in the reference code).

    Raises:
        ValueError: ``pretrained_model`` is neither ``'default'``, ``None`` nor an existing
            file; ``min_size``, ``scale_factor`` or ``thresholds`` is out of range.
    """

    def __init__(
        self,
        pretrained_model: str | os.PathLike[str] | None = "default",
        min_size: float = 20,
        scale_factor: float = 0.709,
        thresholds: Sequence[float] = (0.6, 0.7, 0.7),
    ) -> None:
        if not min_size > 0:
            raise ValueError(f"MTCNN: expected min_size > 0, got {min_size}")
        if not 0 < scale_factor < 1:
            raise ValueError(f"MTCNN: expected 0 < scale_factor < 1, got {scale_factor}")
        thresholds = tuple(float(t) for t in thresholds)
        if len(thresholds) != 3 or not all(0 <= t <= 1 for t in thresholds):
            raise ValueError(
                f"MTCNN: expected thresholds of three values in [0, 1], got {thresholds}"
            )
        if pretrained_model == "default":
            path = _DEFAULT_WEIGHTS
        elif pretrained_model is None or os.path.isfile(pretrained_model):
            path = pretrained_model
        else:
            raise ValueError(
                f"MTCNN: pretrained_model must be 'default', None or the path of an existing "
                f".npz file, got {pretrained_model!r}"
            )
        super().__init__()
        self.min_size = float(min_size)
        self.scale_factor = float(scale_factor)
        self.thresholds = thresholds
        with self.init_scope():
            self.pnet = PNet()
            self.rnet = RNet()
            self.onet = ONet()
        if path is not None:
            kusari.serializers.load_npz(path, self)

    def predict(self, imgs: Sequence[Any]) -> tuple[list, list, list]:
        """Detect faces and their landmarks.

        Args:
            imgs: Images ``(3, H, W)``, RGB, values in ``[0, 255]``, float32 (or any real
                dtype), on the model's device or on the CPU.

        Returns:
            ``(bboxes, scores, landmarks)``, one NumPy array per image: boxes ``(R, 4)``
            float32 ``(y_min, x_min, y_max, x_max)`` clipped to the image, face probabilities
            ``(R,)`` float32 in decreasing order, and landmarks ``(R, 5, 2)`` float32 as
            ``(y, x)``: left eye, right eye, nose, left and right mouth corner (left meaning
            smaller ``x``, i.e. the person's right side on a frontal face).

        Raises:
            TypeError: An image is not an array.
            ValueError: An image is not ``(3, H, W)``.
        """
        bboxes, scores, landmarks = [], [], []
        for img in imgs:
            if not hasattr(img, "shape") or not hasattr(img, "ndim"):
                raise TypeError(
                    f"MTCNN.predict: expected images as arrays (3, H, W), got {type(img).__name__}"
                )
            if img.ndim != 3 or img.shape[0] != 3:
                raise ValueError(f"MTCNN.predict: expected images (3, H, W), got {img.shape}")
            with kusari.using_config("train", False), kusari.no_backprop_mode():
                bbox, score, point = self._detect(self.xp.asarray(img))
            bboxes.append(backend.CpuDevice().send(bbox))
            scores.append(backend.CpuDevice().send(score))
            landmarks.append(backend.CpuDevice().send(point))
        return bboxes, scores, landmarks

    def _detect(self, img: Any) -> tuple[Any, Any, Any]:
        """Run the three stages on one image ``(3, H, W)``; returns ``predict``'s arrays."""
        xp = self.xp
        height, width = img.shape[1:]
        integral = _integral_image(img)
        box = self._propose(integral, height, width)
        if len(box):
            box, score = self._refine(integral, box)
        if not len(box):
            return (
                xp.zeros((0, 4), numpy.float32),
                xp.zeros((0,), numpy.float32),
                xp.zeros((0, 5, 2), numpy.float32),
            )
        box, score, point = self._output(integral, box)
        # Inclusive 1-based pixel boxes to ChainerCV's (y_min, x_min, y_max, x_max).
        bbox = xp.concatenate((box[:, :2] - 1, box[:, 2:]), axis=1)
        bbox = xp.clip(bbox, 0, xp.asarray([height, width, height, width], numpy.float64))
        return bbox.astype(numpy.float32), score.astype(numpy.float32), point.astype(numpy.float32)

    def _scales(self, height: int, width: int) -> list[float]:
        """Pyramid scales: from ``12 / min_size`` down while the short side stays >= 12."""
        scale = _CELL / self.min_size
        scales = []
        side = min(height, width) * scale
        while side >= _CELL:
            scales.append(scale * self.scale_factor ** len(scales))
            side *= self.scale_factor
        return scales

    def _propose(self, integral: Any, height: int, width: int) -> Any:
        """Stage 1: P-Net over the pyramid; returns square integer inclusive boxes ``(R, 4)``."""
        xp = self.xp
        boxes, scores, locs = [], [], []
        for scale in self._scales(height, width):
            out_size = (math.ceil(height * scale), math.ceil(width * scale))
            origin, size = xp.zeros((1, 2)), xp.asarray([[height, width]], numpy.float64)
            x = _normalize(_crop_resize(integral, origin, size, out_size))
            conf, loc = self.pnet(x)
            prob = F.softmax(conf, axis=1).array[0, 1]
            iy, ix = xp.nonzero(prob >= self.thresholds[0])
            cell = xp.stack((iy, ix), axis=1).astype(numpy.float64) * _STRIDE
            box = xp.concatenate(
                (xp.fix((cell + 1) / scale), xp.fix((cell + _CELL) / scale)), axis=1
            )
            score = prob[iy, ix]
            keep = _nms(box, score, 0.5)
            boxes.append(box[keep])
            scores.append(score[keep])
            locs.append(loc.array[0][:, iy, ix].T[keep])
        if not boxes:
            return xp.zeros((0, 4))
        box, score, loc = (xp.concatenate(v) for v in (boxes, scores, locs))
        keep = _nms(box, score, 0.7)
        box, loc = box[keep], loc[keep]
        # The reference regresses stage-1 boxes with their side without the "+ 1".
        side = box[:, 2:] - box[:, :2]
        box = box + loc * xp.concatenate((side, side), axis=1)
        return xp.fix(_square(box))

    def _refine(self, integral: Any, box: Any) -> tuple[Any, Any]:
        """Stage 2: R-Net on 24 x 24 crops; returns square float boxes and their scores."""
        box = box[_is_valid(box)]
        if not len(box):
            return box, self.xp.zeros((0,), numpy.float32)
        conf, loc = self.rnet(_crops(integral, box, self.rnet.insize))
        score = F.softmax(conf, axis=1).array[:, 1]
        mask = score > self.thresholds[1]
        box, score, loc = box[mask], score[mask], loc.array[mask]
        keep = _nms(box, score, 0.7)
        return _square(_regress(box[keep], loc[keep])), score[keep]

    def _output(self, integral: Any, box: Any) -> tuple[Any, Any, Any]:
        """Stage 3: O-Net on 48 x 48 crops; returns boxes, scores and landmarks."""
        xp = self.xp
        box = xp.fix(box)
        box = box[_is_valid(box)]
        if not len(box):
            return box, xp.zeros((0,), numpy.float32), xp.zeros((0, 5, 2))
        conf, loc, point = self.onet(_crops(integral, box, self.onet.insize))
        score = F.softmax(conf, axis=1).array[:, 1]
        mask = score > self.thresholds[2]
        box, score, loc = box[mask], score[mask], loc.array[mask]
        side = box[:, None, 2:] - box[:, None, :2] + 1
        point = point.array[mask].reshape(-1, 5, 2) * side + box[:, None, :2] - 1
        box = _regress(box, loc)
        keep = _nms(box, score, 0.7, by_min=True)
        return box[keep], score[keep], point[keep]


def _normalize(x: Any) -> Any:
    """Map pixel values ``[0, 255]`` to about ``[-1, 1]``: ``(x - 127.5) / 128``, float32."""
    return ((x - 127.5) * 0.0078125).astype(numpy.float32)


def _is_valid(box: Any) -> Any:
    """Boxes with at least one pixel along each axis."""
    return (box[:, 2] >= box[:, 0]) & (box[:, 3] >= box[:, 1])


def _crops(integral: Any, box: Any, insize: int) -> Any:
    """Normalized ``(R, 3, insize, insize)`` crops of inclusive 1-based boxes."""
    origin = box[:, :2] - 1
    return _normalize(_crop_resize(integral, origin, box[:, 2:] - origin, (insize, insize)))


def _regress(box: Any, loc: Any) -> Any:
    """Shift each side of inclusive boxes by ``loc`` times the box's side."""
    xp = get_array_module(box)
    side = box[:, 2:] - box[:, :2] + 1
    return box + loc * xp.concatenate((side, side), axis=1)


def _square(box: Any) -> Any:
    """Grow boxes into squares about their centres (reference arithmetic: side w/o ``+ 1``)."""
    xp = get_array_module(box)
    side = box[:, 2:] - box[:, :2]
    longest = side.max(axis=1, keepdims=True)
    top_left = box[:, :2] + (side - longest) * 0.5
    return xp.concatenate((top_left, top_left + longest), axis=1)


def _nms(box: Any, score: Any, thresh: float, by_min: bool = False) -> Any:
    """Greedy NMS of inclusive pixel boxes, as in the reference code.

    From the highest score down, a box is kept and every remaining box whose overlap with it is
    greater than ``thresh`` is dropped. The overlap is intersection over union ('Union'), or
    over the smaller of the two areas when ``by_min`` ('Min'); areas count pixels
    (``(y2 - y1 + 1) * (x2 - x1 + 1)``).

    Returns:
        Indices of the kept boxes, highest score first.
    """
    xp = get_array_module(box)
    area = xp.prod(box[:, 2:] - box[:, :2] + 1, axis=1)
    order = xp.argsort(-score, kind="stable") if xp is numpy else xp.argsort(-score)
    selected = []
    while order.size > 0:
        top, order = order[0], order[1:]
        selected.append(int(top))
        extent = xp.minimum(box[top, 2:], box[order, 2:]) - xp.maximum(box[top, :2], box[order, :2])
        inter = xp.prod(xp.maximum(extent + 1, 0), axis=1)
        if by_min:
            overlap = inter / xp.minimum(area[top], area[order])
        else:
            overlap = inter / (area[top] + area[order] - inter)
        order = order[overlap <= thresh]
    return xp.asarray(selected, dtype=numpy.int64)
