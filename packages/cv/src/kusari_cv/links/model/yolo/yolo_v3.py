"""YOLOv3: the Darknet-53 extractor with three detection scales and their decoding."""

from __future__ import annotations

from typing import Any

import numpy

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import backend
from kusari_cv.links.connection import Conv2DBNActiv
from kusari_cv.links.model.yolo.yolo_base import (
    YOLOBase,
    _check_n_fg_class,
    _grid_anchors,
    _sigmoid,
    _voc0712_models,
)
from kusari_cv.utils.link import _load_pretrained, prepare_pretrained_model


def _leaky_relu(x: Any) -> kusari.Variable:
    return F.leaky_relu(x, slope=0.1)


def _upsample(x: kusari.Variable) -> kusari.Variable:
    """Nearest-neighbour upsampling by 2."""
    return F.unpooling_2d(x, 2, cover_all=False)


class ResidualBlock(kusari.ChainList):
    """Links applied in order, with the input added to the result (a residual connection).

    Source: Kaiming He et al. Deep Residual Learning for Image Recognition. CVPR 2016.

    Args:
        links: The links; the last one must return the shape of the input.
    """

    def __init__(self, *links: kusari.Link) -> None:
        super().__init__(*links)

    def forward(self, x: Any) -> kusari.Variable:
        """Compute ``x + f(x)`` where ``f`` applies the links in order.

        Args:
            x: Input ``(B, C, H, W)``.

        Returns:
            A Variable of the shape of ``x``.
        """
        h = x
        for link in self:
            h = link(h)
        return h + x


class Darknet53Extractor(kusari.ChainList):
    """The Darknet-53 feature extractor of :class:`YOLOv3`, with three output scales.

    Children ``0`` to ``28`` are Darknet-53: a 3x3 convolution of 32 channels, then five
    stages, each a stride-2 3x3 convolution of ``64 << k`` channels followed by 1, 2, 8, 8 and
    4 :class:`ResidualBlock` s (a 1x1 convolution halving the channels, then a 3x3 one restoring
    them). Children ``29`` to ``45`` are the detection necks: five alternating 1x1 / 3x3
    convolutions of 512 / 1024 channels ending at child 33 (first output, stride 32); a 1x1
    convolution of 256 channels (34) whose output is upsampled by 2 and concatenated with the
    output of child 23, five convolutions ending at child 39 (second output, stride 16); and
    likewise from child 40 with the output of child 14, ending at child 45 (third output,
    stride 8). Every convolution is a :class:`~kusari_cv.links.Conv2DBNActiv` with leaky ReLU
    (slope 0.1).

    Source: Joseph Redmon and Ali Farhadi. YOLOv3: An Incremental Improvement. arXiv 2018.

    Attributes:
        insize (int): Input side the model is built for, 416.
        grids (tuple of ints): Sides of the three output feature maps for that input,
            ``(13, 26, 52)``.
    """

    insize = 416
    grids = (13, 26, 52)

    def __init__(self) -> None:
        super().__init__()
        self.append(Conv2DBNActiv(32, 3, pad=1, activ=_leaky_relu))
        for k, n_block in enumerate((1, 2, 8, 8, 4)):
            self.append(Conv2DBNActiv(32 << (k + 1), 3, stride=2, pad=1, activ=_leaky_relu))
            for _ in range(n_block):
                self.append(
                    ResidualBlock(
                        Conv2DBNActiv(32 << k, 1, activ=_leaky_relu),
                        Conv2DBNActiv(32 << (k + 1), 3, pad=1, activ=_leaky_relu),
                    )
                )
        for i, n in enumerate((512, 256, 128)):
            if i > 0:
                self.append(Conv2DBNActiv(n, 1, activ=_leaky_relu))
            for _ in range(2):
                self.append(Conv2DBNActiv(n, 1, activ=_leaky_relu))
                self.append(Conv2DBNActiv(n * 2, 3, pad=1, activ=_leaky_relu))
            self.append(Conv2DBNActiv(n, 1, activ=_leaky_relu))

    def forward(self, x: Any) -> list[kusari.Variable]:
        """Compute the three feature maps.

        Args:
            x: Images ``(B, 3, H, W)`` float32 with ``H`` and ``W`` multiples of 32 (416 for
                the published weights).

        Returns:
            Variables ``(B, 512, H / 32, W / 32)``, ``(B, 256, H / 16, W / 16)`` and
            ``(B, 128, H / 8, W / 8)``.
        """
        ys = []
        skips = []
        h = x
        for i, link in enumerate(self):
            h = link(h)
            if i in (33, 39, 45):
                ys.append(h)
            elif i in (14, 23):
                skips.append(h)
            elif i in (34, 40):
                h = F.concat((_upsample(h), skips.pop()))
        return ys


class YOLOv3(YOLOBase):
    """YOLOv3 with a :class:`Darknet53Extractor`, for ``416 x 416`` inputs.

    The children are ``extractor`` and ``subnet``, a :class:`~kusari.ChainList` of three
    :class:`~kusari.Sequential` heads (one per scale), each a 3x3
    :class:`~kusari_cv.links.Conv2DBNActiv` doubling the channels and a 1x1
    :class:`~kusari.links.Convolution2D` with ``3 * (4 + 1 + n_fg_class)`` outputs.

    Source: Joseph Redmon and Ali Farhadi. YOLOv3: An Incremental Improvement. arXiv 2018.

    Args:
        n_fg_class: Number of foreground classes; ``None`` takes it from ``pretrained_model``.
        pretrained_model: ``None`` (random weights); ``'voc0712'``: weights converted by
            ChainerCV from a Darknet model trained on PASCAL VOC 2007+2012 trainval
            (``n_fg_class`` 20 or ``None``), downloaded once; or the path of a ``.npz`` file
            (then ``n_fg_class`` is required).

    Raises:
        ValueError: ``pretrained_model`` is unknown, or ``n_fg_class`` conflicts with it, is
            missing or is less than 1.
        TypeError: ``n_fg_class`` is not an int.
    """

    _extractor = Darknet53Extractor
    _models = _voc0712_models("yolo_v3_voc0712_converted_2018_05_01.npz")
    # (h, w) in input pixels, one triple per output scale (strides 32, 16, 8)
    _anchors = (
        ((90, 116), (198, 156), (326, 373)),
        ((61, 30), (45, 62), (119, 59)),
        ((13, 10), (30, 16), (23, 33)),
    )

    def __init__(self, n_fg_class: int | None = None, pretrained_model: str | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        param, path = prepare_pretrained_model(
            {"n_fg_class": n_fg_class}, pretrained_model, self._models
        )
        self.n_fg_class = _check_n_fg_class(name, param["n_fg_class"])
        self.use_preset("visualize")
        with self.init_scope():
            self.extractor = self._extractor()
            self.subnet = kusari.ChainList()
        for i, n in enumerate((512, 256, 128)):
            self.subnet.append(
                kusari.Sequential(
                    Conv2DBNActiv(n * 2, 3, pad=1, activ=_leaky_relu),
                    L.Convolution2D(len(self._anchors[i]) * (4 + 1 + self.n_fg_class), 1),
                )
            )
        default_bbox = []
        step = []
        for grid, anchors in zip(self.extractor.grids, self._anchors, strict=True):
            default_bbox.append(_grid_anchors(grid, anchors))
            step.append(numpy.full(grid * grid * len(anchors), self.insize / grid, numpy.float32))
        self._default_bbox = numpy.concatenate(default_bbox)
        self._step = numpy.concatenate(step)
        if path is not None:
            _load_pretrained(path, self, pretrained_model, self._models)

    def to_device(self, device: Any) -> YOLOv3:
        """Move the parameters, default boxes and strides to ``device``; returns this link."""
        super().to_device(device)
        dev = backend.get_device(device)
        self._default_bbox = dev.send(self._default_bbox)
        self._step = dev.send(self._step)
        return self

    def forward(self, x: Any) -> tuple[kusari.Variable, kusari.Variable, kusari.Variable]:
        """Compute the raw outputs of every default box of the three scales.

        Args:
            x: Preprocessed images ``(B, 3, H, W)`` float32 (see :meth:`predict`); ``H`` and
                ``W`` multiples of 32.

        Returns:
            ``(locs, objs, confs)``: offsets ``(B, K, 4)`` ``(y, x, h, w)``, objectness logits
            ``(B, K)`` and class logits ``(B, K, n_fg_class)``. ``K`` runs over the scales
            (stride 32, 16, 8), then the cells of each (row-major), then its 3 anchors.
        """
        ys = []
        for head, h in zip(self.subnet, self.extractor(x), strict=True):
            h = head(h)
            h = F.transpose(h, (0, 2, 3, 1))
            ys.append(F.reshape(h, (h.shape[0], -1, 4 + 1 + self.n_fg_class)))
        y = F.concat(ys)
        return y[:, :, :4], y[:, :, 4], y[:, :, 5:]

    def _decode(self, loc: Any, obj: Any, conf: Any) -> tuple[Any, Any, Any]:
        """Turn one image's raw outputs into detections in input pixels.

        A default box ``(v, u, h, w)`` of a scale of stride ``s`` and offsets
        ``(ty, tx, th, tw)`` give the center ``s (v + sigmoid(ty), u + sigmoid(tx))`` and the
        size ``(h exp(th), w exp(tw))`` (anchors are in pixels); the score of class ``l`` is
        ``sigmoid(obj) * sigmoid(conf[l])`` (independent logistic classifiers, Redmon and
        Farhadi 2018, Sec. 2.1-2.2).

        Args:
            loc: ``(K, 4)`` float32.
            obj: ``(K,)`` float32.
            conf: ``(K, n_fg_class)`` float32.

        Returns:
            ``(bbox, label, score)``: ``(R, 4)`` float32, ``(R,)`` int32, ``(R,)`` float32 on
            the model's device.
        """
        xp = backend.get_array_module(loc)
        raw_bbox = self._default_bbox.copy()
        raw_bbox[:, :2] += _sigmoid(xp, loc[:, :2])
        raw_bbox[:, :2] *= self._step[:, None]
        raw_bbox[:, 2:] *= xp.exp(loc[:, 2:])
        raw_bbox[:, :2] -= raw_bbox[:, 2:] / 2
        raw_bbox[:, 2:] += raw_bbox[:, :2]

        raw_score = _sigmoid(xp, obj)[:, None] * _sigmoid(xp, conf)
        return self._suppress(raw_bbox, raw_score)
