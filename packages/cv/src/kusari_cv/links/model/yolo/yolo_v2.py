"""YOLOv2 and YOLOv2 tiny: Darknet extractors, a 1x1 detection head and their decoding."""

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


def _maxpool(x: Any, ksize: int, stride: int | None = None) -> kusari.Variable:
    """Darknet's max pooling: padded only at the bottom and right by ``ksize - stride``."""
    if stride is None:
        stride = ksize
    h = F.max_pooling_2d(x, ksize, stride=stride, pad=ksize - stride)
    if ksize > stride:
        h = h[:, :, ksize - stride :, ksize - stride :]
    return h


def _reorg(x: kusari.Variable) -> kusari.Variable:
    """Darknet's ``reorg`` layer with stride 2: ``(B, C, H, W)`` to ``(B, 4C, H/2, W/2)``.

    It is not :func:`kusari.functions.space2depth`: Darknet reads the input as if it were laid
    out ``(B, C/4, H, 2, W, 2)``, and the published weights expect that channel order.
    """
    n, c, h, w = x.shape
    x = F.reshape(x, (n, c // 4, h, 2, w, 2))
    x = F.transpose(x, (0, 3, 5, 1, 2, 4))
    return F.reshape(x, (n, c * 4, h // 2, w // 2))


class Darknet19Extractor(kusari.ChainList):
    """The Darknet-19 feature extractor of :class:`YOLOv2`.

    Darknet-19's 18 convolutions (children ``0`` to ``17``) with max pooling after children
    0, 1, 4, 7 and 12, then two 3x3 convolutions of 1024 channels (``18``, ``19``), a 1x1
    convolution of 64 channels (``20``) on the output of child 12 whose result is reorganized
    to half resolution (:func:`_reorg`) and concatenated with the output of child 19, and a
    last 3x3 convolution of 1024 channels (``21``). Every child is a
    :class:`~kusari_cv.links.Conv2DBNActiv` with leaky ReLU (slope 0.1).

    Source: Joseph Redmon and Ali Farhadi. YOLO9000: Better, Faster, Stronger. CVPR 2017.

    Attributes:
        insize (int): Input side the model is built for, 416.
        grid (int): Side of the output feature map for that input, 13.
    """

    insize = 416
    grid = 13

    def __init__(self) -> None:
        super().__init__()
        for k, n_conv in enumerate((1, 1, 3, 3, 5, 5)):
            for i in range(n_conv):
                if i % 2 == 0:
                    self.append(Conv2DBNActiv(32 << k, 3, pad=1, activ=_leaky_relu))
                else:
                    self.append(Conv2DBNActiv(32 << (k - 1), 1, activ=_leaky_relu))
        self.append(Conv2DBNActiv(1024, 3, pad=1, activ=_leaky_relu))
        self.append(Conv2DBNActiv(1024, 3, pad=1, activ=_leaky_relu))
        self.append(Conv2DBNActiv(64, 1, activ=_leaky_relu))
        self.append(Conv2DBNActiv(1024, 3, pad=1, activ=_leaky_relu))

    def forward(self, x: Any) -> kusari.Variable:
        """Compute the feature map.

        Args:
            x: Images ``(B, 3, H, W)`` float32 with ``H`` and ``W`` multiples of 32 (416 for
                the published weights).

        Returns:
            A Variable ``(B, 1024, H / 32, W / 32)``.
        """
        h = x
        for i, link in enumerate(self):
            h = link(h)
            if i == 12:
                passthrough = h
            elif i == 19:
                h, passthrough = passthrough, h
            elif i == 20:
                h = F.concat((_reorg(h), passthrough))
            if i in (0, 1, 4, 7, 12):
                h = _maxpool(h, 2)
        return h


class DarknetExtractor(kusari.ChainList):
    """The Darknet feature extractor of :class:`YOLOv2Tiny`.

    Seven 3x3 convolutions of ``16, 32, ..., 1024`` channels, the first five followed by 2x2
    max pooling of stride 2 and the sixth by 2x2 max pooling of stride 1, then a last 3x3
    convolution of 1024 channels. Every child is a :class:`~kusari_cv.links.Conv2DBNActiv`
    with leaky ReLU (slope 0.1).

    Source: Joseph Redmon and Ali Farhadi. YOLO9000: Better, Faster, Stronger. CVPR 2017.

    Attributes:
        insize (int): Input side the model is built for, 416.
        grid (int): Side of the output feature map for that input, 13.
    """

    insize = 416
    grid = 13

    def __init__(self) -> None:
        super().__init__()
        for k in range(7):
            self.append(Conv2DBNActiv(16 << k, 3, pad=1, activ=_leaky_relu))
        self.append(Conv2DBNActiv(1024, 3, pad=1, activ=_leaky_relu))

    def forward(self, x: Any) -> kusari.Variable:
        """Compute the feature map.

        Args:
            x: Images ``(B, 3, H, W)`` float32 with ``H`` and ``W`` multiples of 32 (416 for
                the published weights).

        Returns:
            A Variable ``(B, 1024, H / 32, W / 32)``.
        """
        h = x
        for i, link in enumerate(self):
            h = link(h)
            if i < 5:
                h = _maxpool(h, 2)
            elif i == 5:
                h = _maxpool(h, 2, stride=1)
        return h


class YOLOv2Base(YOLOBase):
    """Base class of :class:`YOLOv2` and :class:`YOLOv2Tiny`.

    A subclass sets the class attributes ``_extractor`` (the extractor class, with ``insize``
    and ``grid``), ``_models`` and ``_anchors`` (``(h, w)`` pairs in grid cells). The children
    are ``extractor`` and ``subnet``, a 1x1 :class:`~kusari.links.Convolution2D` with
    ``A * (4 + 1 + n_fg_class)`` outputs for the ``A`` anchors.

    Args:
        n_fg_class: Number of foreground classes; ``None`` takes it from ``pretrained_model``.
        pretrained_model: ``None`` (random weights), a name of ``_models`` (downloaded once) or
            the path of a ``.npz`` file saved from a model of the same architecture.

    Raises:
        ValueError: ``pretrained_model`` is unknown, or ``n_fg_class`` conflicts with it, is
            missing or is less than 1.
        TypeError: ``n_fg_class`` is not an int.
    """

    _extractor: type[kusari.Link]
    _models: dict[str, dict[str, Any]]
    _anchors: tuple[tuple[float, float], ...]

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
            self.subnet = L.Convolution2D(len(self._anchors) * (4 + 1 + self.n_fg_class), 1)
        self._default_bbox = _grid_anchors(self.extractor.grid, self._anchors)
        if path is not None:
            _load_pretrained(path, self, pretrained_model, self._models)

    def to_device(self, device: Any) -> YOLOv2Base:
        """Move the parameters and the default boxes to ``device``; returns this link."""
        super().to_device(device)
        self._default_bbox = backend.get_device(device).send(self._default_bbox)
        return self

    def forward(self, x: Any) -> tuple[kusari.Variable, kusari.Variable, kusari.Variable]:
        """Compute the raw outputs of every default box.

        Args:
            x: Preprocessed images ``(B, 3, H, W)`` float32 (see :meth:`predict`); ``H`` and
                ``W`` multiples of 32.

        Returns:
            ``(locs, objs, confs)``: offsets ``(B, K, 4)`` ``(y, x, h, w)``, objectness logits
            ``(B, K)`` and class logits ``(B, K, n_fg_class)``, with ``K = (H / 32) *
            (W / 32) * A`` ordered by cell (row-major), then anchor.
        """
        h = self.subnet(self.extractor(x))
        h = F.transpose(h, (0, 2, 3, 1))
        h = F.reshape(h, (h.shape[0], -1, 4 + 1 + self.n_fg_class))
        return h[:, :, :4], h[:, :, 4], h[:, :, 5:]

    def _decode(self, loc: Any, obj: Any, conf: Any) -> tuple[Any, Any, Any]:
        """Turn one image's raw outputs into detections in input pixels.

        A default box ``(v, u, h, w)`` and offsets ``(ty, tx, th, tw)`` give the center
        ``(v + sigmoid(ty), u + sigmoid(tx))`` and size ``(h exp(th), w exp(tw))`` in cells,
        scaled by ``insize / grid``; the score of class ``l`` is ``sigmoid(obj) *
        softmax(conf)[l]`` (Redmon and Farhadi 2017, Sec. 2 "Direct location prediction").

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
        raw_bbox[:, 2:] *= xp.exp(loc[:, 2:])
        raw_bbox[:, :2] -= raw_bbox[:, 2:] / 2
        raw_bbox[:, 2:] += raw_bbox[:, :2]
        raw_bbox *= numpy.float32(self.insize / self.extractor.grid)

        conf = xp.exp(conf - conf.max(axis=1, keepdims=True))
        conf /= conf.sum(axis=1, keepdims=True)
        raw_score = _sigmoid(xp, obj)[:, None] * conf
        return self._suppress(raw_bbox, raw_score)


class YOLOv2(YOLOv2Base):
    """YOLOv2 with a :class:`Darknet19Extractor`, for ``416 x 416`` inputs.

    Source: Joseph Redmon and Ali Farhadi. YOLO9000: Better, Faster, Stronger. CVPR 2017.

    Args:
        n_fg_class: Number of foreground classes; ``None`` takes it from ``pretrained_model``.
        pretrained_model: ``None`` (random weights); ``'voc0712'``: weights converted by
            ChainerCV from the Darknet model trained on PASCAL VOC 2007+2012 trainval
            (``n_fg_class`` 20 or ``None``), downloaded once; or the path of a ``.npz`` file
            (then ``n_fg_class`` is required).

    Raises:
        ValueError: ``pretrained_model`` is unknown, or ``n_fg_class`` conflicts with it, is
            missing or is less than 1.
        TypeError: ``n_fg_class`` is not an int.
    """

    _extractor = Darknet19Extractor
    _models = _voc0712_models("yolo_v2_voc0712_converted_2018_05_03.npz")
    _anchors = (
        (1.73145, 1.3221),
        (4.00944, 3.19275),
        (8.09892, 5.05587),
        (4.84053, 9.47112),
        (10.0071, 11.2364),
    )


class YOLOv2Tiny(YOLOv2Base):
    """YOLOv2 tiny (Tiny YOLO) with a :class:`DarknetExtractor`, for ``416 x 416`` inputs.

    Source: Joseph Redmon and Ali Farhadi. YOLO9000: Better, Faster, Stronger. CVPR 2017.

    Args:
        n_fg_class: Number of foreground classes; ``None`` takes it from ``pretrained_model``.
        pretrained_model: ``None`` (random weights); ``'voc0712'``: weights converted by
            ChainerCV from the Darknet model trained on PASCAL VOC 2007+2012 trainval
            (``n_fg_class`` 20 or ``None``), downloaded once; or the path of a ``.npz`` file
            (then ``n_fg_class`` is required).

    Raises:
        ValueError: ``pretrained_model`` is unknown, or ``n_fg_class`` conflicts with it, is
            missing or is less than 1.
        TypeError: ``n_fg_class`` is not an int.
    """

    _extractor = DarknetExtractor
    _models = _voc0712_models("yolo_v2_tiny_voc0712_converted_2018_10_19.npz")
    _anchors = (
        (1.19, 1.08),
        (4.41, 3.42),
        (11.38, 6.63),
        (5.11, 9.42),
        (10.52, 16.62),
    )
