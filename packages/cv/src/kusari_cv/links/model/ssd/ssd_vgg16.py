"""SSD300 and SSD512 on a VGG16 backbone, with ChainerCV's layer names and initializers."""

from __future__ import annotations

import os
from typing import Any

import numpy

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import initializers
from kusari_cv.links.model.ssd.multibox import Multibox
from kusari_cv.links.model.ssd.normalize import Normalize
from kusari_cv.links.model.ssd.ssd import SSD
from kusari_cv.utils.link import _load_pretrained, prepare_pretrained_model

_imagenet_mean = numpy.array((123, 117, 104), dtype=numpy.float32).reshape((-1, 1, 1))


class _VGG16(kusari.Chain):
    """VGG16 up to conv7 (fc6/fc7 as dilated convolutions), returning conv4_3 and conv7."""

    def __init__(self) -> None:
        super().__init__()
        with self.init_scope():
            self.conv1_1 = L.Convolution2D(64, 3, pad=1)
            self.conv1_2 = L.Convolution2D(64, 3, pad=1)
            self.conv2_1 = L.Convolution2D(128, 3, pad=1)
            self.conv2_2 = L.Convolution2D(128, 3, pad=1)
            self.conv3_1 = L.Convolution2D(256, 3, pad=1)
            self.conv3_2 = L.Convolution2D(256, 3, pad=1)
            self.conv3_3 = L.Convolution2D(256, 3, pad=1)
            self.conv4_1 = L.Convolution2D(512, 3, pad=1)
            self.conv4_2 = L.Convolution2D(512, 3, pad=1)
            self.conv4_3 = L.Convolution2D(512, 3, pad=1)
            self.norm4 = Normalize(512, initial=initializers.Constant(20))
            self.conv5_1 = L.Convolution2D(512, 3, pad=1)
            self.conv5_2 = L.Convolution2D(512, 3, pad=1)
            self.conv5_3 = L.Convolution2D(512, 3, pad=1)
            self.conv6 = L.DilatedConvolution2D(1024, 3, pad=6, dilate=6)
            self.conv7 = L.Convolution2D(1024, 1)

    def forward(self, x: kusari.Variable | Any) -> list[kusari.Variable]:
        h = x
        for block in (
            ("conv1_1", "conv1_2"),
            ("conv2_1", "conv2_2"),
            ("conv3_1", "conv3_2", "conv3_3"),
        ):
            for name in block:
                h = F.relu(self[name](h))
            h = F.max_pooling_2d(h, 2)
        for name in ("conv4_1", "conv4_2", "conv4_3"):
            h = F.relu(self[name](h))
        ys = [self.norm4(h)]
        h = F.max_pooling_2d(h, 2)
        for name in ("conv5_1", "conv5_2", "conv5_3"):
            h = F.relu(self[name](h))
        h = F.max_pooling_2d(h, 3, stride=1, pad=1)
        h = F.relu(self.conv6(h))
        ys.append(F.relu(self.conv7(h)))
        return ys


def _extra_layers(link: kusari.Chain, specs: tuple[tuple[int, int, int, int], ...]) -> None:
    # specs: (channels of convN_1, ksize, stride, pad of convN_2) for N = 8, 9, ...;
    # convN_2 has twice the channels of convN_1.
    init = {"initialW": initializers.LeCunUniform(), "initial_bias": initializers.Zero()}
    with link.init_scope():
        for n, (ch, ksize, stride, pad) in enumerate(specs, start=8):
            setattr(link, f"conv{n}_1", L.Convolution2D(ch, 1, **init))
            setattr(
                link,
                f"conv{n}_2",
                L.Convolution2D(ch * 2, ksize, stride=stride, pad=pad, **init),
            )


class VGG16Extractor300(_VGG16):
    """Feature extractor of SSD300: six maps of sizes 38, 19, 10, 5, 3 and 1.

    ``conv8_1`` ... ``conv11_2`` follow VGG16 (LeCunUniform weights, zero biases).
    """

    insize = 300
    grids = (38, 19, 10, 5, 3, 1)

    def __init__(self) -> None:
        super().__init__()
        _extra_layers(self, ((256, 3, 2, 1), (128, 3, 2, 1), (128, 3, 1, 0), (128, 3, 1, 0)))
        self._n_extra = 4

    def forward(self, x: kusari.Variable | Any) -> list[kusari.Variable]:
        """Compute the source maps.

        Args:
            x: Images ``(B, 3, insize, insize)`` float32.

        Returns:
            List of feature maps ``(B, C_i, grid_i, grid_i)``.
        """
        ys = super().forward(x)
        for i in range(8, 8 + self._n_extra):
            h = F.relu(self[f"conv{i}_1"](ys[-1]))
            ys.append(F.relu(self[f"conv{i}_2"](h)))
        return ys


class VGG16Extractor512(VGG16Extractor300):
    """Feature extractor of SSD512: seven maps of sizes 64, 32, 16, 8, 4, 2 and 1."""

    insize = 512
    grids = (64, 32, 16, 8, 4, 2, 1)

    def __init__(self) -> None:
        _VGG16.__init__(self)
        _extra_layers(
            self, ((256, 3, 2, 1), (128, 3, 2, 1), (128, 3, 2, 1), (128, 3, 2, 1), (128, 4, 1, 1))
        )
        self._n_extra = 5


_URL = "https://chainercv-models.preferred.jp/"

# ImageNet-trained VGG16 (fc6/fc7 reduced to conv6/conv7), stored under ``extractor/``: it
# initializes the extractor's conv1_1 ... conv7 only; norm4, conv8_1 ... and the multibox head
# keep their initial values, so any n_fg_class works with it.
_imagenet_extractor = {
    "url": _URL + "ssd_vgg16_imagenet_converted_2017_06_09.npz",
    "sha256": None,
}


def _prepare(
    n_fg_class: int | None,
    pretrained_model: str | os.PathLike[str] | None,
    models: dict[str, dict[str, Any]],
) -> tuple[int, str | None]:
    """Resolve the constructor arguments: ``(n_fg_class, weight file or None)``."""
    param, path = prepare_pretrained_model({"n_fg_class": n_fg_class}, pretrained_model, models)
    return int(param["n_fg_class"]), path


class SSD300(SSD):
    """SSD with a 300x300 input on VGG16 (8732 default boxes).

    Source: Wei Liu et al. SSD: Single Shot MultiBox Detector. ECCV 2016.

    Args:
        n_fg_class: Number of foreground classes; ``None`` takes it from the named pretrained
            model (20 for ``'voc0712'``) and is an error otherwise.
        pretrained_model: One of

            - ``None``: random initialization;
            - ``'voc0712'``: weights trained on PASCAL VOC 2007+2012 trainval (converted from
              the authors' Caffe model); ``n_fg_class`` must be 20 or ``None``;
            - ``'imagenet'``: VGG16 trained on ImageNet initializes ``extractor/conv1_1`` ...
              ``extractor/conv7``; the rest keeps its initialization, and ``n_fg_class`` may be
              any number;
            - the path of an ``.npz`` file in Chainer's ``save_npz`` layout
              (``extractor/conv1_1/W``, ``multibox/loc/0/W``, ...), loaded strictly.

            Named weights are downloaded once into ``<dataset root>/models/``.

    Raises:
        ValueError: ``n_fg_class`` is missing or contradicts the named model, or
            ``pretrained_model`` is neither ``None``, a known name nor a file.
        OSError: Downloading a named model failed.
    """

    _models = {
        "voc0712": {
            "param": {"n_fg_class": 20},
            "url": _URL + "ssd300_voc0712_converted_2017_06_06.npz",
            "sha256": None,
        },
        "imagenet": _imagenet_extractor,
    }

    def __init__(
        self, n_fg_class: int | None = None, pretrained_model: str | os.PathLike[str] | None = None
    ) -> None:
        n_fg_class, path = _prepare(n_fg_class, pretrained_model, self._models)
        super().__init__(
            extractor=VGG16Extractor300(),
            multibox=Multibox(
                n_class=n_fg_class + 1,
                aspect_ratios=((2,), (2, 3), (2, 3), (2, 3), (2,), (2,)),
            ),
            steps=(8, 16, 32, 64, 100, 300),
            sizes=(30, 60, 111, 162, 213, 264, 315),
            mean=_imagenet_mean,
        )
        if path is not None:
            _load_pretrained(path, self, pretrained_model, self._models)


class SSD512(SSD):
    """SSD with a 512x512 input on VGG16 (24564 default boxes).

    Source: Wei Liu et al. SSD: Single Shot MultiBox Detector. ECCV 2016.

    Args:
        n_fg_class: Number of foreground classes; ``None`` takes it from the named pretrained
            model (20 for ``'voc0712'``) and is an error otherwise.
        pretrained_model: ``None``, ``'voc0712'``, ``'imagenet'`` or the path of an ``.npz``
            file, as for :class:`SSD300`.

    Raises:
        ValueError: ``n_fg_class`` is missing or contradicts the named model, or
            ``pretrained_model`` is neither ``None``, a known name nor a file.
        OSError: Downloading a named model failed.
    """

    _models = {
        "voc0712": {
            "param": {"n_fg_class": 20},
            "url": _URL + "ssd512_voc0712_converted_2017_06_06.npz",
            "sha256": None,
        },
        "imagenet": _imagenet_extractor,
    }

    def __init__(
        self, n_fg_class: int | None = None, pretrained_model: str | os.PathLike[str] | None = None
    ) -> None:
        n_fg_class, path = _prepare(n_fg_class, pretrained_model, self._models)
        super().__init__(
            extractor=VGG16Extractor512(),
            multibox=Multibox(
                n_class=n_fg_class + 1,
                aspect_ratios=((2,), (2, 3), (2, 3), (2, 3), (2, 3), (2,), (2,)),
            ),
            steps=(8, 16, 32, 64, 128, 256, 512),
            sizes=(35.84, 76.8, 153.6, 230.4, 307.2, 384.0, 460.8, 537.6),
            mean=_imagenet_mean,
        )
        if path is not None:
            _load_pretrained(path, self, pretrained_model, self._models)
