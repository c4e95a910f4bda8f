"""Base class of Faster R-CNN with a feature pyramid: preprocessing and prediction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

import kusari
from kusari import backend
from kusari_cv.links.model.fpn.misc import scale_img

_PRESETS = {"visualize": (0.5, 0.7), "evaluate": (0.5, 0.05)}


class FasterRCNN(kusari.Chain):
    """Base class of Faster R-CNN with a feature pyramid (FPN).

    ``predict`` resizes each image (:meth:`prepare`), extracts the pyramid, proposes regions
    with the RPN, and classifies and refines them with the box head. Call :meth:`use_preset`
    to choose ``nms_thresh`` and ``score_thresh`` ('visualize': 0.5 and 0.7, the default;
    'evaluate': 0.5 and 0.05).

    Sources: Shaoqing Ren et al. Faster R-CNN: Towards Real-Time Object Detection with Region
    Proposal Networks. NIPS 2015; Tsung-Yi Lin et al. Feature Pyramid Networks for Object
    Detection. CVPR 2017.

    Args:
        extractor: A link mapping ``(B, 3, H, W)`` to a list of feature maps, with ``scales``
            and ``mean`` (e.g. :class:`~kusari_cv.links.model.fpn.FPN`).
        rpn: A link with the interface of :class:`~kusari_cv.links.model.fpn.RPN`.
        bbox_head: A link with the interface of :class:`~kusari_cv.links.model.fpn.BboxHead`;
            registered only when ``return_values`` asks for boxes, labels or scores.
        mask_head: Must be ``None``: ChainerCV's Mask R-CNN head is not implemented in kusari-cv
            (``'masks'`` is refused in ``return_values`` too).
        return_values: What :meth:`predict` returns, in this order: any of ``'rois'``,
            ``'bboxes'``, ``'labels'``, ``'scores'``.
        min_size: Target length of the shorter image side in :meth:`prepare`.
        max_size: Upper bound of the longer image side in :meth:`prepare` (the padded input
            can exceed it by less than ``stride``).

    Raises:
        ValueError: ``mask_head`` is not ``None``, or ``return_values`` holds an unknown name
            or ``'masks'``.
    """

    stride = 32
    _accepted_return_values = ("rois", "bboxes", "labels", "scores")

    def __init__(
        self,
        extractor: kusari.Link,
        rpn: kusari.Link,
        bbox_head: kusari.Link,
        mask_head: kusari.Link | None = None,
        return_values: Sequence[str] = ("bboxes", "labels", "scores"),
        min_size: int = 800,
        max_size: int = 1333,
    ) -> None:
        if mask_head is not None:
            raise ValueError(
                "FasterRCNN: mask_head must be None; Mask R-CNN is not supported in kusari-cv, "
                f"got {type(mask_head).__name__}"
            )
        return_values = tuple(return_values)
        for name in return_values:
            if name == "masks":
                raise ValueError(
                    "FasterRCNN: return value 'masks' (Mask R-CNN) is not supported in kusari-cv"
                )
            if name not in self._accepted_return_values:
                raise ValueError(
                    f"FasterRCNN: return_values must be among {self._accepted_return_values}, "
                    f"got {name!r}"
                )
        self._return_values = return_values
        self._run_bbox = any(name != "rois" for name in return_values)
        super().__init__()
        with self.init_scope():
            self.extractor = extractor
            self.rpn = rpn
            if self._run_bbox:
                self.bbox_head = bbox_head
        self.min_size = min_size
        self.max_size = max_size
        self.use_preset("visualize")

    def use_preset(self, preset: str) -> None:
        """Set ``nms_thresh`` and ``score_thresh`` from a preset.

        'visualize' sets 0.5 and 0.7; 'evaluate' sets 0.5 and 0.05.

        Args:
            preset: 'visualize' or 'evaluate'.

        Raises:
            ValueError: ``preset`` is another value.
        """
        if preset not in _PRESETS:
            raise ValueError(
                f"FasterRCNN.use_preset: preset must be 'visualize' or 'evaluate', got {preset!r}"
            )
        self.nms_thresh, self.score_thresh = _PRESETS[preset]

    def forward(self, x: kusari.Variable | Any) -> tuple[list[kusari.Variable], Any, Any]:
        """Extract the pyramid and propose regions (inference only).

        Args:
            x: Preprocessed images ``(B, 3, H, W)`` float32 from :meth:`prepare`.

        Returns:
            ``(hs, rois, roi_indices)``: the feature maps, proposals ``(R, 4)`` float32 in
            input pixels and their image indices ``(R,)`` int32.

        Raises:
            RuntimeError: ``kusari.config.train`` is true (train with the losses instead).
        """
        if kusari.config.train:
            raise RuntimeError(
                "FasterRCNN.forward: inference only; call it under "
                "kusari.using_config('train', False), or use predict()"
            )
        hs = self.extractor(x)
        rpn_locs, rpn_confs = self.rpn(hs)
        anchors = self.rpn.anchors([h.shape[2:] for h in hs])
        rois, roi_indices = self.rpn.decode(rpn_locs, rpn_confs, anchors, x.shape)
        return hs, rois, roi_indices

    def predict(self, imgs: Sequence[Any]) -> tuple[list[Any], ...]:
        """Detect objects in images.

        Args:
            imgs: Images ``(3, H, W)``, RGB, values in ``[0, 255]``.

        Returns:
            A tuple with one list per name in ``return_values``, each holding one NumPy array
            per image: ``'rois'`` proposals ``(R', 4)`` float32 and ``'bboxes'`` boxes ``(R,
            4)`` float32, both ``(y_min, x_min, y_max, x_max)`` in image pixels; ``'labels'``
            ``(R,)`` int32 in ``[0, n_fg_class - 1]``; ``'scores'`` ``(R,)`` float32.

        Raises:
            ValueError: ``imgs`` is empty or an image is not ``(3, H, W)``.
        """
        sizes = [tuple(img.shape[1:]) for img in imgs]
        x, scales = self.prepare(imgs)
        cpu = backend.CpuDevice()
        output = {}
        with kusari.using_config("train", False), kusari.no_backprop_mode():
            hs, rois, roi_indices = self.forward(x)
            if "rois" in self._return_values:
                output["rois"] = [
                    cpu.send(rois[roi_indices == i]) / numpy.float32(scale)
                    for i, scale in enumerate(scales)
                ]
            if self._run_bbox:
                rois, roi_indices = self.bbox_head.distribute(rois, roi_indices)
                locs, confs = self.bbox_head(hs, rois, roi_indices)
                bboxes, labels, scores = self.bbox_head.decode(
                    rois, roi_indices, locs, confs, scales, sizes,
                    self.nms_thresh, self.score_thresh,
                )  # fmt: skip
                output["bboxes"] = [cpu.send(bbox) for bbox in bboxes]
                output["labels"] = [cpu.send(label) for label in labels]
                output["scores"] = [cpu.send(score) for score in scores]
        return tuple(output[name] for name in self._return_values)

    def prepare(self, imgs: Sequence[Any]) -> tuple[Any, list[float]]:
        """Resize, centre and batch images.

        Each image is resized so its shorter side is ``min_size`` unless its longer side would
        exceed ``max_size`` (then the longer side is ``max_size``), the extractor's mean is
        subtracted, and the images are zero-padded at the bottom and right to a common size, a
        multiple of ``stride``.

        Args:
            imgs: Images ``(3, H, W)``, RGB, values in ``[0, 255]``.

        Returns:
            ``(x, scales)``: the batch ``(B, 3, H', W')`` float32 on this link's device and
            the scale of each image.

        Raises:
            ValueError: ``imgs`` is empty or an image is not ``(3, H, W)``.
        """
        if len(imgs) == 0:
            raise ValueError("FasterRCNN.prepare: expected at least one image, got none")
        scales = []
        resized = []
        for img in imgs:
            if img.ndim != 3 or img.shape[0] != 3 or min(img.shape[1:]) == 0:
                raise ValueError(
                    f"FasterRCNN.prepare: expected images (3, H, W) with H, W > 0, got "
                    f"{tuple(img.shape)}"
                )
            img, scale = scale_img(backend.CpuDevice().send(img), self.min_size, self.max_size)
            resized.append(img - self.extractor.mean)
            scales.append(scale)
        size = numpy.array([img.shape[1:] for img in resized]).max(axis=0)
        size = (numpy.ceil(size / self.stride) * self.stride).astype(int)
        x = numpy.zeros((len(resized), 3, size[0], size[1]), dtype=numpy.float32)
        for i, img in enumerate(resized):
            x[i, :, : img.shape[1], : img.shape[2]] = img
        return self.xp.asarray(x), scales
