"""Faster R-CNN with Feature Pyramid Networks, after ``chainercv.links.model.fpn``."""

from kusari_cv.links.model.fpn.bbox_head import BboxHead, bbox_head_loss_post, bbox_head_loss_pre
from kusari_cv.links.model.fpn.faster_rcnn import FasterRCNN
from kusari_cv.links.model.fpn.faster_rcnn_fpn_resnet import (
    FasterRCNNFPNResNet,
    FasterRCNNFPNResNet50,
    FasterRCNNFPNResNet101,
)
from kusari_cv.links.model.fpn.fpn import FPN
from kusari_cv.links.model.fpn.rpn import RPN, rpn_loss

__all__ = [
    "FPN",
    "RPN",
    "BboxHead",
    "FasterRCNN",
    "FasterRCNNFPNResNet",
    "FasterRCNNFPNResNet101",
    "FasterRCNNFPNResNet50",
    "bbox_head_loss_post",
    "bbox_head_loss_pre",
    "rpn_loss",
]
