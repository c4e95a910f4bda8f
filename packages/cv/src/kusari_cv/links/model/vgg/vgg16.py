"""VGG-16 (``chainercv.links.model.vgg.VGG16``) as a pickable sequential chain."""

from __future__ import annotations

import os
from typing import Any

import numpy

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import initializers
from kusari_cv.links.connection.conv_2d_activ import Conv2DActiv
from kusari_cv.links.model.pickable_sequential_chain import PickableSequentialChain
from kusari_cv.utils.link import _load_pretrained, prepare_pretrained_model

__all__ = ["VGG16"]

# Per-channel ImageNet mean in RGB order, shape (3, 1, 1).
_imagenet_mean = numpy.array([123.68, 116.779, 103.939], dtype=numpy.float32)[:, None, None]


def _max_pooling_2d(x: kusari.Variable | Any) -> kusari.Variable:
    return F.max_pooling_2d(x, ksize=2)


class VGG16(PickableSequentialChain):
    """VGG-16: thirteen 3x3 convolutions and three fully connected layers.

    The layers, in order (see :class:`PickableSequentialChain` for :attr:`pick`):
    ``conv1_1``, ``conv1_2``, ``pool1``, ``conv2_1``, ``conv2_2``, ``pool2``, ``conv3_1`` ...
    ``conv3_3``, ``pool3``, ``conv4_1`` ... ``conv4_3``, ``pool4``, ``conv5_1`` ... ``conv5_3``,
    ``pool5``, ``fc6``, ``fc6_relu``, ``fc6_dropout``, ``fc7``, ``fc7_relu``, ``fc7_dropout``,
    ``fc8``, ``prob``. Each ``convX_Y`` is a :class:`~kusari_cv.links.Conv2DActiv` (output after
    ReLU), ``fcN`` a :class:`~kusari.links.Linear` (output before ReLU), ``prob`` the softmax.
    By default a call returns ``prob``. Parameters are saved as ``conv1_1/conv/W``,
    ``conv1_1/conv/b``, ..., ``fc8/W``, ``fc8/b``, as in ChainerCV, so its ``.npz`` files load.

    All input channel counts are inferred at the first call (or from a loaded file), so any
    image size divisible by 32 works; ``fc6`` then takes ``512 * (H / 32) * (W / 32)`` inputs
    (25088 for 224x224 images, the size of the pretrained weights).

    Pretrained models (:attr:`_models`): ``'imagenet'``, converted from the Caffe model of
    the authors (ILSVRC 2012, 1000 classes).

    Source: Karen Simonyan and Andrew Zisserman, "Very Deep Convolutional Networks for
    Large-Scale Image Recognition", ICLR 2015.

    Args:
        n_class: Number of outputs of ``fc8``. ``None``: the named pretrained model's, else 1000.
        pretrained_model: ``None`` (random weights), ``'imagenet'`` (downloaded once and cached
            under ``<dataset root>/models/``) or the path of an ``.npz`` file, loaded strictly.
        mean: Mean to subtract from images, ``(3, 1, 1)`` float32 in RGB order, kept as
            :attr:`mean` (the model itself does not subtract it). ``None``: the ImageNet mean.
        initialW: Initializer of the weights. ``None``: ``Normal(0.01)``; when a pretrained model
            is given, zeros (the weights are overwritten anyway).
        initial_bias: Initializer of the biases. ``None``: zeros.

    Attributes:
        mean (numpy.ndarray): The mean ``(3, 1, 1)`` float32.

    Raises:
        ValueError: ``pretrained_model`` is neither ``None``, a known name nor a file, or
            ``n_class`` contradicts the named model.

    Example:
        >>> model = VGG16()
        >>> model.pick = ("conv5_3", "fc6")
        >>> conv5_3, fc6 = model(numpy.zeros((1, 3, 64, 64), numpy.float32))
        >>> conv5_3.shape, fc6.shape
        ((1, 512, 4, 4), (1, 4096))
    """

    _models = {
        "imagenet": {
            "param": {"n_class": 1000, "mean": _imagenet_mean},
            "overwritable": ("mean",),
            "url": "https://chainercv-models.preferred.jp/vgg16_imagenet_converted_2017_07_18.npz",
            "sha256": None,
        },
    }

    def __init__(
        self,
        n_class: int | None = None,
        pretrained_model: str | os.PathLike[str] | None = None,
        mean: numpy.ndarray | None = None,
        initialW: Any = None,
        initial_bias: Any = None,
    ) -> None:
        param, path = prepare_pretrained_model(
            {"n_class": n_class, "mean": mean},
            pretrained_model,
            self._models,
            {"n_class": 1000, "mean": _imagenet_mean},
        )
        super().__init__()
        self.mean = param["mean"]
        if initialW is None:
            initialW = initializers.Normal(0.01)
        if pretrained_model is not None:
            # The loaded weights overwrite these; zeros are cheaper to draw than samples.
            initialW = initializers.Zero()
        kwargs = {"initialW": initialW, "initial_bias": initial_bias}
        with self.init_scope():
            self.conv1_1 = Conv2DActiv(None, 64, 3, 1, 1, **kwargs)
            self.conv1_2 = Conv2DActiv(None, 64, 3, 1, 1, **kwargs)
            self.pool1 = _max_pooling_2d
            self.conv2_1 = Conv2DActiv(None, 128, 3, 1, 1, **kwargs)
            self.conv2_2 = Conv2DActiv(None, 128, 3, 1, 1, **kwargs)
            self.pool2 = _max_pooling_2d
            self.conv3_1 = Conv2DActiv(None, 256, 3, 1, 1, **kwargs)
            self.conv3_2 = Conv2DActiv(None, 256, 3, 1, 1, **kwargs)
            self.conv3_3 = Conv2DActiv(None, 256, 3, 1, 1, **kwargs)
            self.pool3 = _max_pooling_2d
            self.conv4_1 = Conv2DActiv(None, 512, 3, 1, 1, **kwargs)
            self.conv4_2 = Conv2DActiv(None, 512, 3, 1, 1, **kwargs)
            self.conv4_3 = Conv2DActiv(None, 512, 3, 1, 1, **kwargs)
            self.pool4 = _max_pooling_2d
            self.conv5_1 = Conv2DActiv(None, 512, 3, 1, 1, **kwargs)
            self.conv5_2 = Conv2DActiv(None, 512, 3, 1, 1, **kwargs)
            self.conv5_3 = Conv2DActiv(None, 512, 3, 1, 1, **kwargs)
            self.pool5 = _max_pooling_2d
            self.fc6 = L.Linear(None, 4096, **kwargs)
            self.fc6_relu = F.relu
            self.fc6_dropout = F.dropout
            self.fc7 = L.Linear(None, 4096, **kwargs)
            self.fc7_relu = F.relu
            self.fc7_dropout = F.dropout
            self.fc8 = L.Linear(None, param["n_class"], **kwargs)
            self.prob = F.softmax
        if path is not None:
            _load_pretrained(path, self, pretrained_model, self._models)
