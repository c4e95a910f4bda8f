"""Faster R-CNN on a VGG-16 backbone, with ChainerCV's layer names and pretrained models."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import initializers
from kusari_cv.links.model.faster_rcnn.faster_rcnn import FasterRCNN
from kusari_cv.links.model.faster_rcnn.region_proposal_network import RegionProposalNetwork
from kusari_cv.links.model.vgg import VGG16
from kusari_cv.utils.link import _load_pretrained, prepare_pretrained_model

# Per-channel mean in RGB order, shape (3, 1, 1) (the Caffe model's BGR mean, reversed).
_mean = numpy.array([122.7717, 115.9465, 102.9801], dtype=numpy.float32)[:, None, None]

_VGG16_LAYERS = (
    "conv1_1",
    "conv1_2",
    "conv2_1",
    "conv2_2",
    "conv3_1",
    "conv3_2",
    "conv3_3",
    "conv4_1",
    "conv4_2",
    "conv4_3",
    "conv5_1",
    "conv5_2",
    "conv5_3",
)


class FasterRCNNVGG16(FasterRCNN):
    """Faster R-CNN whose extractor is VGG-16 up to ``conv5_3`` (stride 16).

    The extractor is a :class:`~kusari_cv.links.model.vgg.VGG16` truncated after ``conv5_3``,
    the RPN a :class:`RegionProposalNetwork` with 512 channels, the head a
    :class:`VGG16RoIHead` with 7x7 RoI pooling. Parameters are saved under ChainerCV's names
    (``extractor/conv1_1/conv/W``, ``rpn/conv1/W``, ``rpn/score/W``, ``rpn/loc/W``,
    ``head/fc6/W``, ``head/cls_loc/W``, ``head/score/W``, ...), so its ``.npz`` files load.

    Pretrained models (:attr:`_models`):

    - ``'voc07'``: trained on VOC 2007 trainval (``n_fg_class`` 20).
    - ``'voc0712'``: trained on VOC 2007 and 2012 trainval (``n_fg_class`` 20).
    - ``'imagenet'``: VGG-16 trained on ImageNet, copied into the extractor's convolutions and
      the head's ``fc6`` and ``fc7``; the rest is initialized at random and ``n_fg_class``
      must be given.

    Source: Shaoqing Ren et al. Faster R-CNN: Towards Real-Time Object Detection with Region
    Proposal Networks. NIPS 2015.

    Args:
        n_fg_class: Number of foreground classes. ``None``: the named pretrained model's.
        pretrained_model: ``None`` (random weights), a name above (downloaded once into
            ``<dataset root>/models/``) or the path of an ``.npz`` file, loaded strictly.
        min_size: Shorter side after :meth:`prepare`'s scaling.
        max_size: Bound on the longer side after scaling.
        ratios: Height-to-width ratios of the anchors.
        anchor_scales: Sides of the anchors relative to the stride 16.
        vgg_initialW: Initializer of the VGG-16 layers (``None``: VGG16's default for the
            extractor and Kusari's default for ``fc6``/``fc7``; zeros when a pretrained model
            is given).
        rpn_initialW: Initializer of the RPN (``None``: ``Normal(0.01)``).
        loc_initialW: Initializer of ``head/cls_loc`` (``None``: ``Normal(0.001)``).
        score_initialW: Initializer of ``head/score`` (``None``: ``Normal(0.01)``).
        proposal_creator_params: Keyword arguments of the RPN's :class:`ProposalCreator`.

    Raises:
        ValueError: ``pretrained_model`` is neither ``None``, a known name nor a file, or
            ``n_fg_class`` is missing or contradicts the named model.
    """

    _models = {
        "voc07": {
            "param": {"n_fg_class": 20},
            "url": "https://chainercv-models.preferred.jp/"
            "faster_rcnn_vgg16_voc07_trained_2018_06_01.npz",
            "sha256": None,
        },
        "voc0712": {
            "param": {"n_fg_class": 20},
            "url": "https://chainercv-models.preferred.jp/"
            "faster_rcnn_vgg16_voc0712_trained_2017_07_21.npz",
            "sha256": None,
        },
        "imagenet": {
            "url": VGG16._models["imagenet"]["url"],
            "sha256": VGG16._models["imagenet"].get("sha256"),
        },
    }
    feat_stride = 16

    def __init__(
        self,
        n_fg_class: int | None = None,
        pretrained_model: str | os.PathLike[str] | None = None,
        min_size: int = 600,
        max_size: int = 1000,
        ratios: Sequence[float] = (0.5, 1, 2),
        anchor_scales: Sequence[float] = (8, 16, 32),
        vgg_initialW: Any = None,
        rpn_initialW: Any = None,
        loc_initialW: Any = None,
        score_initialW: Any = None,
        proposal_creator_params: Mapping[str, Any] | None = None,
    ) -> None:
        param, path = prepare_pretrained_model(
            {"n_fg_class": n_fg_class}, pretrained_model, self._models
        )
        n_fg_class = param["n_fg_class"]
        if not isinstance(n_fg_class, int | numpy.integer) or n_fg_class < 1:
            raise ValueError(f"FasterRCNNVGG16: expected n_fg_class >= 1, got {n_fg_class!r}")
        if loc_initialW is None:
            loc_initialW = initializers.Normal(0.001)
        if score_initialW is None:
            score_initialW = initializers.Normal(0.01)
        if rpn_initialW is None:
            rpn_initialW = initializers.Normal(0.01)
        if vgg_initialW is None and pretrained_model is not None:
            # The loaded weights overwrite these; zeros are cheaper to draw than samples.
            vgg_initialW = initializers.Zero()

        extractor = VGG16(initialW=vgg_initialW)
        extractor.pick = "conv5_3"
        extractor.remove_unused()
        rpn = RegionProposalNetwork(
            512,
            512,
            ratios=ratios,
            anchor_scales=anchor_scales,
            feat_stride=self.feat_stride,
            initialW=rpn_initialW,
            proposal_creator_params=proposal_creator_params,
        )
        head = VGG16RoIHead(
            n_fg_class + 1,
            roi_size=7,
            spatial_scale=1.0 / self.feat_stride,
            vgg_initialW=vgg_initialW,
            loc_initialW=loc_initialW,
            score_initialW=score_initialW,
        )
        super().__init__(extractor, rpn, head, mean=_mean, min_size=min_size, max_size=max_size)

        if path is None:
            return
        if pretrained_model == "imagenet":
            self._copy_imagenet_pretrained_vgg16(VGG16(pretrained_model=path))
        else:
            _load_pretrained(path, self, pretrained_model, self._models)

    def _copy_imagenet_pretrained_vgg16(self, vgg: VGG16) -> None:
        for name in _VGG16_LAYERS:
            self.extractor[name].copyparams(vgg[name])
        self.head.fc6.copyparams(vgg.fc6)
        self.head.fc7.copyparams(vgg.fc7)


class VGG16RoIHead(kusari.Chain):
    """The Fast R-CNN head of :class:`FasterRCNNVGG16`: RoI pooling and two 4096-wide layers.

    Each RoI is max-pooled to ``roi_size x roi_size`` on the feature map, flattened, passed
    through ``fc6`` and ``fc7`` (ReLU after each) and mapped to per-class offsets
    (``cls_loc``) and class scores (``score``).

    Source: Ross Girshick. Fast R-CNN. ICCV 2015, Section 2.

    Args:
        n_class: Number of classes, background included.
        roi_size: Side of the pooled feature map.
        spatial_scale: Ratio of the feature map's size to the input image's.
        vgg_initialW: Initializer of ``fc6`` and ``fc7``.
        loc_initialW: Initializer of ``cls_loc``.
        score_initialW: Initializer of ``score``.
    """

    def __init__(
        self,
        n_class: int,
        roi_size: int,
        spatial_scale: float,
        vgg_initialW: Any = None,
        loc_initialW: Any = None,
        score_initialW: Any = None,
    ) -> None:
        super().__init__()
        with self.init_scope():
            self.fc6 = L.Linear(512 * roi_size * roi_size, 4096, initialW=vgg_initialW)
            self.fc7 = L.Linear(4096, 4096, initialW=vgg_initialW)
            self.cls_loc = L.Linear(4096, n_class * 4, initialW=loc_initialW)
            self.score = L.Linear(4096, n_class, initialW=score_initialW)
        self.n_class = n_class
        self.roi_size = roi_size
        self.spatial_scale = spatial_scale

    def forward(
        self, x: kusari.Variable | Any, rois: Any, roi_indices: Any
    ) -> tuple[kusari.Variable, kusari.Variable]:
        """Pool the RoIs and compute their per-class offsets and class scores.

        Args:
            x: Feature maps ``(B, 512, H', W')``.
            rois: RoIs ``(R, 4)`` float32, ``(y_min, x_min, y_max, x_max)`` in input pixels.
            roi_indices: Image index of each RoI ``(R,)`` int32.

        Returns:
            ``(roi_cls_locs, roi_scores)``: ``(R, n_class * 4)`` offsets and ``(R, n_class)``
            logits.

        Raises:
            ValueError: ``rois`` is not ``(R, 4)`` or ``roi_indices`` is not ``(R,)``.
        """
        if rois.ndim != 2 or rois.shape[1] != 4 or roi_indices.shape != (rois.shape[0],):
            raise ValueError(
                f"VGG16RoIHead: expected rois (R, 4) and roi_indices (R,), got "
                f"{tuple(rois.shape)} and {tuple(roi_indices.shape)}"
            )
        # The pooling takes rows (batch_index, x_min, y_min, x_max, y_max).
        xp = self.xp
        indices_and_rois = xp.concatenate(
            (roi_indices[:, None].astype(numpy.float32), rois[:, [1, 0, 3, 2]]), axis=1
        ).astype(numpy.float32, copy=False)
        pool = F.roi_pooling_2d(
            x, indices_and_rois, self.roi_size, self.roi_size, self.spatial_scale
        )
        h = F.relu(self.fc6(pool))
        h = F.relu(self.fc7(h))
        return self.cls_loc(h), self.score(h)
