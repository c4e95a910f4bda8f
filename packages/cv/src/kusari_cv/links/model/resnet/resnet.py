"""ResNet-50/101/152 (``chainercv.links.model.resnet``) as pickable sequential chains."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import initializers
from kusari_cv.links.connection.conv_2d_bn_activ import Conv2DBNActiv
from kusari_cv.links.model.pickable_sequential_chain import PickableSequentialChain
from kusari_cv.links.model.resnet.resblock import ResBlock
from kusari_cv.utils.link import _load_pretrained, prepare_pretrained_model

__all__ = ["ResNet", "ResNet50", "ResNet101", "ResNet152"]

# Per-channel mean (RGB, shape (3, 1, 1)) of the mean image of Kaiming He's released models.
_imagenet_mean = numpy.array([123.15163084, 115.90288257, 103.0626238], dtype=numpy.float32)[
    :, None, None
]

_URL = "https://chainercv-models.preferred.jp/"


def _imagenet_model(file_name: str) -> dict[str, Any]:
    return {
        "param": {"n_class": 1000, "mean": _imagenet_mean},
        "overwritable": ("mean",),
        "url": _URL + file_name,
        "sha256": None,
    }


def _max_pooling_2d(x: kusari.Variable | Any) -> kusari.Variable:
    return F.max_pooling_2d(x, ksize=3, stride=2)


def _global_average_pooling_2d(x: kusari.Variable | Any) -> kusari.Variable:
    return F.average(x, axis=(2, 3))


class ResNet(PickableSequentialChain):
    """ResNet with bottleneck blocks (50, 101 or 152 layers).

    The layers, in order (see :class:`PickableSequentialChain` for :attr:`pick`): ``conv1``
    (7x7/2 :class:`~kusari_cv.links.Conv2DBNActiv`), ``pool1`` (3x3/2 max pooling), ``res2``,
    ``res3``, ``res4``, ``res5`` (:class:`ResBlock` stages of strides 1, 2, 2, 2 with 256, 512,
    1024, 2048 output channels), ``pool5`` (global average pooling, ``(B, 2048)``), ``fc6``
    (:class:`~kusari.links.Linear`) and ``prob`` (softmax, the default output). The parameters
    are saved as ChainerCV does (``conv1/conv/W``, ``conv1/bn/gamma``,
    ``res2/a/conv1/conv/W``, ``res2/a/residual_conv/bn/avg_mean``, ``res2/b1/...``,
    ``fc6/W``), so its ``.npz`` files load.

    ``arch`` selects the variant:

    - ``'fb'`` (Facebook's ``fb.resnet.torch``): the first bottleneck of a stage strides in its
      3x3 convolution; ``conv1`` has no bias.
    - ``'he'`` (the original paper and its Caffe models): the first bottleneck strides in its
      first 1x1 convolution; ``conv1`` has a bias for ResNet-50 only.

    Pretrained models (``_models[arch][n_layer]``): ``'imagenet'`` (1000 classes).

    Source: Kaiming He, Xiangyu Zhang, Shaoqing Ren and Jian Sun, "Deep Residual Learning for
    Image Recognition", CVPR 2016.

    Args:
        n_layer: Depth: 50, 101 or 152.
        n_class: Number of outputs of ``fc6``. ``None``: the named pretrained model's, else 1000.
        pretrained_model: ``None`` (random weights), ``'imagenet'`` (downloaded once and cached
            under ``<dataset root>/models/``) or the path of an ``.npz`` file, loaded strictly.
        mean: Mean to subtract from images, ``(3, 1, 1)`` float32 RGB, kept as :attr:`mean`
            (the model itself does not subtract it). ``None``: the ImageNet mean.
        initialW: Initializer of the convolution weights. ``None``:
            ``HeNormal(scale=1.0, fan_option='fan_out')``; zeros when a pretrained model is
            given (the weights are overwritten anyway).
        fc_kwargs: Keyword arguments of ``fc6`` (:class:`~kusari.links.Linear`); its
            ``initialW`` defaults to ``Normal(0.01)`` (zeros with a pretrained model). The
            mapping is not modified.
        arch: ``'fb'`` or ``'he'`` (see above).

    Attributes:
        mean (numpy.ndarray): The mean ``(3, 1, 1)`` float32.

    Raises:
        ValueError: ``n_layer`` or ``arch`` is not supported, ``pretrained_model`` is neither
            ``None``, a known name nor a file, or ``n_class`` contradicts the named model.

    Example:
        >>> model = ResNet50(arch="he")
        >>> model.pick = ("res4", "res5")
        >>> res4, res5 = model(numpy.zeros((1, 3, 64, 64), numpy.float32))
        >>> res4.shape, res5.shape
        ((1, 1024, 4, 4), (1, 2048, 2, 2))
    """

    _blocks = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}

    _models = {
        "fb": {
            50: {"imagenet": _imagenet_model("resnet50_imagenet_trained_2018_11_26.npz")},
            101: {"imagenet": _imagenet_model("resnet101_imagenet_trained_2018_11_26.npz")},
            152: {"imagenet": _imagenet_model("resnet152_imagenet_trained_2018_11_26.npz")},
        },
        "he": {
            50: {"imagenet": _imagenet_model("resnet50_imagenet_converted_2018_03_07.npz")},
            101: {"imagenet": _imagenet_model("resnet101_imagenet_converted_2018_03_07.npz")},
            152: {"imagenet": _imagenet_model("resnet152_imagenet_converted_2018_03_07.npz")},
        },
    }

    def __init__(
        self,
        n_layer: int,
        n_class: int | None = None,
        pretrained_model: str | os.PathLike[str] | None = None,
        mean: numpy.ndarray | None = None,
        initialW: Any = None,
        fc_kwargs: Mapping[str, Any] | None = None,
        arch: str = "fb",
    ) -> None:
        if arch == "fb":
            stride_first, conv1_nobias = False, True
        elif arch == "he":
            # Kaiming He's Caffe models give conv1 a bias in ResNet-50 only.
            stride_first, conv1_nobias = True, n_layer != 50
        else:
            raise ValueError(f"ResNet: arch must be 'fb' or 'he', got {arch!r}")
        if n_layer not in self._blocks:
            raise ValueError(
                f"ResNet: n_layer must be one of {sorted(self._blocks)}, got {n_layer!r}"
            )
        if fc_kwargs is not None and not isinstance(fc_kwargs, Mapping):
            raise TypeError(f"ResNet: fc_kwargs must be a dict, got {type(fc_kwargs).__name__}")
        blocks = self._blocks[n_layer]
        param, path = prepare_pretrained_model(
            {"n_class": n_class, "mean": mean},
            pretrained_model,
            self._models[arch][n_layer],
            {"n_class": 1000, "mean": _imagenet_mean},
        )
        super().__init__()
        self.mean = param["mean"]
        fc_kwargs = dict(fc_kwargs or {})
        if initialW is None:
            initialW = initializers.HeNormal(scale=1.0, fan_option="fan_out")
        fc_kwargs.setdefault("initialW", initializers.Normal(scale=0.01))
        if pretrained_model is not None:
            # The loaded weights overwrite these; zeros are cheaper to draw than samples.
            initialW = initializers.Zero()
            fc_kwargs["initialW"] = initializers.Zero()
        kwargs = {"initialW": initialW, "stride_first": stride_first}
        with self.init_scope():
            self.conv1 = Conv2DBNActiv(None, 64, 7, 2, 3, nobias=conv1_nobias, initialW=initialW)
            self.pool1 = _max_pooling_2d
            self.res2 = ResBlock(blocks[0], None, 64, 256, 1, **kwargs)
            self.res3 = ResBlock(blocks[1], None, 128, 512, 2, **kwargs)
            self.res4 = ResBlock(blocks[2], None, 256, 1024, 2, **kwargs)
            self.res5 = ResBlock(blocks[3], None, 512, 2048, 2, **kwargs)
            self.pool5 = _global_average_pooling_2d
            self.fc6 = L.Linear(None, param["n_class"], **fc_kwargs)
            self.prob = F.softmax
        if path is not None:
            _load_pretrained(path, self, pretrained_model, self._models[arch][n_layer])


class ResNet50(ResNet):
    """ResNet-50 (stages of 3, 4, 6 and 3 bottlenecks); see :class:`ResNet` for the arguments.

    Example:
        >>> base = ResNet50(n_class=1, arch="he")
        >>> base.pick = ("res2", "res3", "res4", "res5")
        >>> base.remove_unused()
        >>> [h.shape[1] for h in base(numpy.zeros((1, 3, 64, 64), numpy.float32))]
        [256, 512, 1024, 2048]
    """

    def __init__(
        self,
        n_class: int | None = None,
        pretrained_model: str | os.PathLike[str] | None = None,
        mean: numpy.ndarray | None = None,
        initialW: Any = None,
        fc_kwargs: Mapping[str, Any] | None = None,
        arch: str = "fb",
    ) -> None:
        super().__init__(50, n_class, pretrained_model, mean, initialW, fc_kwargs, arch)


class ResNet101(ResNet):
    """ResNet-101 (stages of 3, 4, 23 and 3 bottlenecks); see :class:`ResNet`."""

    def __init__(
        self,
        n_class: int | None = None,
        pretrained_model: str | os.PathLike[str] | None = None,
        mean: numpy.ndarray | None = None,
        initialW: Any = None,
        fc_kwargs: Mapping[str, Any] | None = None,
        arch: str = "fb",
    ) -> None:
        super().__init__(101, n_class, pretrained_model, mean, initialW, fc_kwargs, arch)


class ResNet152(ResNet):
    """ResNet-152 (stages of 3, 8, 36 and 3 bottlenecks); see :class:`ResNet`."""

    def __init__(
        self,
        n_class: int | None = None,
        pretrained_model: str | os.PathLike[str] | None = None,
        mean: numpy.ndarray | None = None,
        initialW: Any = None,
        fc_kwargs: Mapping[str, Any] | None = None,
        arch: str = "fb",
    ) -> None:
        super().__init__(152, n_class, pretrained_model, mean, initialW, fc_kwargs, arch)
