"""The part shared by the YOLO detectors: presets, ``predict`` and per-class suppression."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

import kusari
from kusari import backend
from kusari_cv.transforms import resize_bbox, resize_contain, translate_bbox
from kusari_cv.utils.bbox._per_class import suppress_per_class

_PRESETS = {"visualize": (0.45, 0.5), "evaluate": (0.45, 0.005)}


def _sigmoid(xp: Any, x: Any) -> Any:
    # exp(-x) overflows to inf for x < -88 (float32); 1 / (1 + inf) is the right limit, 0.
    with numpy.errstate(over="ignore"):
        return 1 / (1 + xp.exp(-x))


def _check_n_fg_class(name: str, n_fg_class: Any) -> int:
    if isinstance(n_fg_class, bool) or not isinstance(n_fg_class, (int, numpy.integer)):
        raise TypeError(f"{name}: n_fg_class must be an int, got {type(n_fg_class).__name__}")
    if n_fg_class < 1:
        raise ValueError(f"{name}: n_fg_class must be >= 1, got {n_fg_class}")
    return int(n_fg_class)


def _grid_anchors(grid: int, anchors: Any) -> numpy.ndarray:
    """Default boxes ``(grid * grid * A, 4)`` float32 of rows ``(v, u, h, w)``.

    Rows run over the cells in row-major order and, within a cell, over the ``A`` anchors
    ``(h, w)``: the order of the detection head's outputs after ``(B, C, H, W) -> (B, H, W, C)``.
    """
    anchors = numpy.asarray(anchors, dtype=numpy.float32)
    n_anchor = len(anchors)
    v, u = numpy.meshgrid(numpy.arange(grid), numpy.arange(grid), indexing="ij")
    default_bbox = numpy.empty((grid, grid, n_anchor, 4), dtype=numpy.float32)
    default_bbox[..., 0] = v[:, :, None]
    default_bbox[..., 1] = u[:, :, None]
    default_bbox[..., 2:] = anchors
    return default_bbox.reshape(-1, 4)


class YOLOBase(kusari.Chain):
    """Base class of :class:`~kusari_cv.links.model.yolo.YOLOv2` and friends.

    A subclass has an ``extractor`` child with an ``insize`` attribute, a ``forward`` that
    returns ``(locs, objs, confs)`` and a ``_decode(loc, obj, conf)`` that turns the raw outputs
    of one image into ``(bbox, label, score)`` in input pixels. Call :meth:`use_preset` to
    choose ``nms_thresh`` and ``score_thresh``.
    """

    @property
    def insize(self) -> int:
        """Side of the square network input in pixels."""
        return self.extractor.insize

    def use_preset(self, preset: str) -> None:
        """Set ``nms_thresh`` and ``score_thresh`` from a preset.

        'visualize' sets 0.45 and 0.5; 'evaluate' sets 0.45 and 0.005. Set the attributes
        directly for other values.

        Args:
            preset: 'visualize' or 'evaluate'.

        Raises:
            ValueError: ``preset`` is another value.
        """
        if preset not in _PRESETS:
            raise ValueError(
                f"{type(self).__name__}.use_preset: preset must be 'visualize' or 'evaluate', "
                f"got {preset!r}"
            )
        self.nms_thresh, self.score_thresh = _PRESETS[preset]

    def _suppress(self, raw_bbox: Any, raw_score: Any) -> tuple[Any, Any, Any]:
        """Threshold and suppress the boxes of each class separately.

        Args:
            raw_bbox: Boxes ``(K, 4)`` float32 in input pixels.
            raw_score: Scores ``(K, n_fg_class)`` float32.

        Returns:
            ``(bbox, label, score)``: ``(R, 4)`` float32, ``(R,)`` int32, ``(R,)`` float32,
            grouped by class in increasing label order, by decreasing score within a class.
        """
        return suppress_per_class(raw_bbox, raw_score, self.nms_thresh, self.score_thresh)

    def predict(self, imgs: Sequence[Any]) -> tuple[list, list, list]:
        """Detect objects in images.

        Each image is scaled to ``[0, 1]`` and letterboxed into an ``insize x insize`` canvas
        of value 0.5 with :func:`~kusari_cv.transforms.resize_contain` (shrunk with Pillow's
        bilinear filter to fit, never enlarged, centered). The batch goes through the network
        in test mode without backprop; each image's outputs are decoded, thresholded with
        ``score_thresh`` and suppressed per class with ``nms_thresh``, and the boxes are mapped
        back from the canvas to the image.

        Args:
            imgs: Images ``(3, H, W)``, RGB, values in ``[0, 255]``.

        Returns:
            ``(bboxes, labels, scores)``: per image, boxes ``(R, 4)`` float32 ``(y_min, x_min,
            y_max, x_max)`` in image pixels, labels ``(R,)`` int32 in ``[0, n_fg_class)``,
            scores ``(R,)`` float32, as NumPy arrays.

        Raises:
            ValueError: ``imgs`` is empty or an image is not ``(3, H, W)``.
        """
        name = type(self).__name__
        x = []
        params = []
        cpu = backend.CpuDevice()
        for img in imgs:
            if getattr(img, "ndim", None) != 3 or img.shape[0] != 3:
                raise ValueError(
                    f"{name}.predict: expected images of shape (3, H, W), got "
                    f"{getattr(img, 'shape', type(img).__name__)}"
                )
            img = numpy.asarray(cpu.send(img), dtype=numpy.float32)
            canvas, param = resize_contain(
                img / numpy.float32(255),
                (self.insize, self.insize),
                fill=0.5,
                return_param=True,
            )
            x.append(canvas)
            param["size"] = img.shape[1:]
            params.append(param)
        if not x:
            raise ValueError(f"{name}.predict: expected at least one image, got none")
        with kusari.using_config("train", False), kusari.no_backprop_mode():
            locs, objs, confs = self.forward(self.xp.asarray(numpy.stack(x)))
        half = self.insize / 2
        bboxes, labels, scores = [], [], []
        for loc, obj, conf, param in zip(locs.array, objs.array, confs.array, params, strict=True):
            bbox, label, score = self._decode(loc, obj, conf)
            bbox = translate_bbox(cpu.send(bbox), -half, -half)
            bbox = resize_bbox(bbox, param["scaled_size"], param["size"])
            bbox = translate_bbox(bbox, param["size"][0] / 2, param["size"][1] / 2)
            bboxes.append(bbox)
            labels.append(cpu.send(label))
            scores.append(cpu.send(score))
        return bboxes, labels, scores


def _voc0712_models(file_name: str) -> dict[str, dict[str, Any]]:
    """The ``_models`` table of a YOLO: ChainerCV's VOC 2007+2012 weights in ``file_name``."""
    return {
        "voc0712": {
            "param": {"n_fg_class": 20},
            "overwritable": (),
            "url": "https://chainercv-models.preferred.jp/" + file_name,
            "sha256": None,
        },
    }
