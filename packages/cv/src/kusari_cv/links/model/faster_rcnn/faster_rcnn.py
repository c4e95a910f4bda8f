"""The Faster R-CNN detector: an extractor, a region proposal network and a head."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

import kusari
import kusari.functions as F
from kusari import backend
from kusari_cv.links.model.faster_rcnn.utils.loc2bbox import loc2bbox
from kusari_cv.links.model.fpn.misc import scale_img
from kusari_cv.utils.bbox._per_class import suppress_per_class

_PRESETS = {"visualize": (0.3, 0.7), "evaluate": (0.3, 0.05)}


class FasterRCNN(kusari.Chain):
    """Base class of Faster R-CNN.

    ``forward`` runs the three stages on a batch of preprocessed images: the ``extractor`` maps
    images to feature maps, the ``rpn`` (a :class:`RegionProposalNetwork`) proposes RoIs, and
    the ``head`` gives per-class box offsets and class scores for each RoI. ``predict`` runs
    the whole pipeline on raw images: :meth:`prepare`, ``forward``, decoding with
    :func:`loc2bbox`, clipping, then per-class score thresholding and non-maximum suppression
    (thresholds from :meth:`use_preset`, 'visualize' by default).

    Source: Shaoqing Ren et al. Faster R-CNN: Towards Real-Time Object Detection with Region
    Proposal Networks. NIPS 2015.

    Args:
        extractor: A link mapping images ``(B, 3, H, W)`` to feature maps ``(B, C, H', W')``.
        rpn: A :class:`RegionProposalNetwork`.
        head: A link called as ``head(x, rois, roi_indices)`` returning per-class offsets
            ``(R, n_class * 4)`` and scores ``(R, n_class)``, with an ``n_class`` attribute
            (background included).
        mean: Value subtracted from the resized image: ``(3, 1, 1)`` float32 (RGB) or a scalar.
        min_size: Length the shorter side of an image is scaled to by :meth:`prepare`.
        max_size: Bound on the longer side after scaling.
        loc_normalize_mean: Mean with which the head's offsets were normalized.
        loc_normalize_std: Standard deviation with which the head's offsets were normalized.
    """

    def __init__(
        self,
        extractor: kusari.Link,
        rpn: kusari.Link,
        head: kusari.Link,
        mean: Any,
        min_size: int = 600,
        max_size: int = 1000,
        loc_normalize_mean: Sequence[float] = (0.0, 0.0, 0.0, 0.0),
        loc_normalize_std: Sequence[float] = (0.1, 0.1, 0.2, 0.2),
    ) -> None:
        super().__init__()
        with self.init_scope():
            self.extractor = extractor
            self.rpn = rpn
            self.head = head
        self.mean = mean
        self.min_size = min_size
        self.max_size = max_size
        self.loc_normalize_mean = loc_normalize_mean
        self.loc_normalize_std = loc_normalize_std
        self.use_preset("visualize")

    @property
    def n_class(self) -> int:
        """Number of classes, background included."""
        return self.head.n_class

    def forward(
        self, x: kusari.Variable | Any, scales: Sequence[float] | None = None
    ) -> tuple[kusari.Variable, kusari.Variable, Any, Any]:
        """Run the extractor, the RPN and the head.

        Args:
            x: Preprocessed images ``(B, 3, H, W)`` float32.
            scales: Scale applied to each original image (``None``: 1); the RPN's minimum box
                size is multiplied by it.

        Returns:
            ``(roi_cls_locs, roi_scores, rois, roi_indices)``: per-class offsets
            ``(R, n_class * 4)`` and class logits ``(R, n_class)`` (Variables), RoIs ``(R, 4)``
            float32 in input pixels and their image indices ``(R,)`` int32.
        """
        img_size = x.shape[2:]
        h = self.extractor(x)
        _, _, rois, roi_indices, _ = self.rpn(h, img_size, scales)
        roi_cls_locs, roi_scores = self.head(h, rois, roi_indices)
        return roi_cls_locs, roi_scores, rois, roi_indices

    def use_preset(self, preset: str) -> None:
        """Set ``nms_thresh`` and ``score_thresh`` from a preset.

        'visualize' sets 0.3 and 0.7; 'evaluate' sets 0.3 and 0.05 (ChainerCV's values).

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

    def prepare(self, img: Any) -> numpy.ndarray:
        """Scale an image and subtract the mean.

        The scale makes the shorter side ``min_size`` unless the longer side would then exceed
        ``max_size``, in which case the longer side becomes ``max_size``. The image is resized
        to ``(int(H * scale), int(W * scale))`` with Pillow's bilinear filter.

        Args:
            img: Image ``(3, H, W)``, RGB, values in ``[0, 255]``.

        Returns:
            numpy.ndarray: The preprocessed image ``(3, H', W')`` float32.

        Raises:
            ValueError: ``img`` is not ``(3, H, W)`` with ``H, W >= 1``.
        """
        if img.ndim != 3 or img.shape[0] != 3 or min(img.shape[1:]) < 1:
            raise ValueError(f"FasterRCNN.prepare: expected an image (3, H, W), got {img.shape}")
        img, _ = scale_img(backend.CpuDevice().send(img), self.min_size, self.max_size)
        return (img - self.mean).astype(numpy.float32, copy=False)

    def _suppress(
        self, raw_cls_bbox: numpy.ndarray, raw_prob: numpy.ndarray
    ) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        cls_bbox = raw_cls_bbox.reshape((-1, self.n_class, 4))
        # Class 0 is the background; foreground labels are 0 .. n_class - 2.
        return suppress_per_class(
            cls_bbox[:, 1:], raw_prob[:, 1:], self.nms_thresh, self.score_thresh, inclusive=False
        )

    def predict(self, imgs: Sequence[Any]) -> tuple[list, list, list]:
        """Detect objects in images.

        Each image goes through the network alone (batch size one) in test mode without
        backprop. The RoIs are scaled back to the image, decoded per class with
        :func:`loc2bbox` after de-normalizing the offsets, clipped to the image, then classes
        are scored with a softmax, thresholded at ``score_thresh`` and suppressed per class
        with ``nms_thresh``.

        Args:
            imgs: Images ``(3, H, W)``, RGB, values in ``[0, 255]``.

        Returns:
            ``(bboxes, labels, scores)``: per image, boxes ``(R, 4)`` float32 ``(y_min, x_min,
            y_max, x_max)`` in image pixels, labels ``(R,)`` int32 in ``[0, n_class - 2]`` and
            scores ``(R,)`` float32, as NumPy arrays.

        Raises:
            ValueError: An image is not ``(3, H, W)``.
        """
        bboxes, labels, scores = [], [], []
        xp = self.xp
        # float64, as ChainerCV: the de-normalization is rounded to float32 once.
        mean = xp.tile(xp.asarray(self.loc_normalize_mean, dtype=numpy.float64), self.n_class)
        std = xp.tile(xp.asarray(self.loc_normalize_std, dtype=numpy.float64), self.n_class)
        for img in imgs:
            x = self.prepare(img)
            size = img.shape[1:]
            scale = x.shape[2] / size[1]
            with kusari.using_config("train", False), kusari.no_backprop_mode():
                roi_cls_loc, roi_score, roi, _ = self.forward(xp.asarray(x[None]), scales=[scale])
                prob = F.softmax(roi_score).array
            roi = roi / scale
            roi_cls_loc = (roi_cls_loc.array * std + mean).astype(numpy.float32)
            roi_cls_loc = roi_cls_loc.reshape((-1, 4))
            roi = xp.repeat(roi, self.n_class, axis=0)
            cls_bbox = loc2bbox(roi, roi_cls_loc).reshape((-1, self.n_class * 4))
            cls_bbox[:, 0::2] = xp.clip(cls_bbox[:, 0::2], 0, size[0])
            cls_bbox[:, 1::2] = xp.clip(cls_bbox[:, 1::2], 0, size[1])
            cpu = backend.CpuDevice()
            bbox, label, score = self._suppress(
                numpy.asarray(cpu.send(cls_bbox)), numpy.asarray(cpu.send(prob))
            )
            bboxes.append(bbox)
            labels.append(label)
            scores.append(score)
        return bboxes, labels, scores
