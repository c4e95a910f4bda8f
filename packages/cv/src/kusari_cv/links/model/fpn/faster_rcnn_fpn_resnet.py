"""Faster R-CNN with FPN on ResNet-50 and ResNet-101 backbones."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import kusari
import kusari.functions as F
from kusari_cv.links.model.fpn.bbox_head import BboxHead
from kusari_cv.links.model.fpn.faster_rcnn import FasterRCNN
from kusari_cv.links.model.fpn.fpn import FPN
from kusari_cv.links.model.fpn.rpn import RPN
from kusari_cv.links.model.resnet import ResNet50, ResNet101
from kusari_cv.utils.link import _load_pretrained, prepare_pretrained_model

_URL = "https://chainercv-models.preferred.jp/"


def _pool1(x: kusari.Variable | Any) -> kusari.Variable:
    # The backbone's 3x3/2 max pooling, padded as in Detectron so the strides are exact.
    return F.max_pooling_2d(x, 3, stride=2, pad=1, cover_all=False)


class FasterRCNNFPNResNet(FasterRCNN):
    """Faster R-CNN with FPN on a ResNet (``arch='he'``); subclasses set ``_base``, ``_models``.

    The backbone's ``res2`` to ``res5`` outputs feed an :class:`FPN` with levels of scales
    ``1/4`` to ``1/64``, shared by an :class:`RPN` and a :class:`BboxHead`. The parameters are
    named as ChainerCV names them (``extractor/base/res2/a/conv1/conv/W``,
    ``extractor/inner/0/W``, ``rpn/conv/W``, ``bbox_head/fc1/W``, ...), so its ``.npz`` files
    load.

    Args:
        n_fg_class: Number of foreground classes. ``None``: the named model's (80 for
            ``'coco'``); required with ``'imagenet'``, a path or ``None``.
        pretrained_model: ``None`` (random weights), ``'coco'`` (trained on COCO 2017 train),
            ``'imagenet'`` (only the backbone, from ResNet trained on ImageNet; the rest random)
            or the path of an ``.npz`` file. Named files are downloaded once and cached under
            ``<dataset root>/models/``.
        return_values: What :meth:`predict` returns (see :class:`FasterRCNN`).
        min_size: Shorter image side after :meth:`prepare`.
        max_size: Upper bound of the longer image side after :meth:`prepare`.

    Raises:
        ValueError: ``pretrained_model`` is unknown, ``n_fg_class`` contradicts it or is
            missing, or ``return_values`` is invalid.
    """

    _base: type
    _models: dict[str, dict[str, Any]]

    def __init__(
        self,
        n_fg_class: int | None = None,
        pretrained_model: str | os.PathLike[str] | None = None,
        return_values: Sequence[str] = ("bboxes", "labels", "scores"),
        min_size: int = 800,
        max_size: int = 1333,
    ) -> None:
        param, path = prepare_pretrained_model(
            {"n_fg_class": n_fg_class}, pretrained_model, self._models
        )
        base = self._base(n_class=1, arch="he")
        base.pick = ("res2", "res3", "res4", "res5")
        base.pool1 = _pool1
        base.remove_unused()
        extractor = FPN(base, len(base.pick), (1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64))
        super().__init__(
            extractor=extractor,
            rpn=RPN(extractor.scales),
            bbox_head=BboxHead(param["n_fg_class"] + 1, extractor.scales),
            return_values=return_values,
            min_size=min_size,
            max_size=max_size,
        )
        if path is None:
            return
        if pretrained_model == "imagenet":
            _load_pretrained(path, self.extractor.base, pretrained_model, self._models)
        else:
            _load_pretrained(path, self, pretrained_model, self._models)


def _make_models(n_layer: int, coco_file: str) -> dict[str, dict[str, Any]]:
    return {
        "coco": {"param": {"n_fg_class": 80}, "url": _URL + coco_file, "sha256": None},
        # The backbone's ImageNet weights (Kaiming He's Caffe model, converted by ChainerCV).
        "imagenet": {
            "param": {},
            "url": _URL + f"resnet{n_layer}_imagenet_converted_2018_03_07.npz",
            "sha256": None,
        },
    }


class FasterRCNNFPNResNet50(FasterRCNNFPNResNet):
    """Faster R-CNN with FPN on ResNet-50; see :class:`FasterRCNNFPNResNet` for the arguments.

    Source: Tsung-Yi Lin et al. Feature Pyramid Networks for Object Detection. CVPR 2017.
    """

    _base = ResNet50
    _models = _make_models(50, "faster_rcnn_fpn_resnet50_coco_trained_2019_03_15.npz")


class FasterRCNNFPNResNet101(FasterRCNNFPNResNet):
    """Faster R-CNN with FPN on ResNet-101; see :class:`FasterRCNNFPNResNet` for the arguments.

    Source: Tsung-Yi Lin et al. Feature Pyramid Networks for Object Detection. CVPR 2017.
    """

    _base = ResNet101
    _models = _make_models(101, "faster_rcnn_fpn_resnet101_coco_trained_2019_03_15.npz")
