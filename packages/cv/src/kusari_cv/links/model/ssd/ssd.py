"""The SSD detector: an extractor, a multibox head and a coder, with ``predict``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

import kusari
from kusari import backend
from kusari_cv.links.model.ssd.multibox_coder import MultiboxCoder
from kusari_cv.transforms import resize

_PRESETS = {"visualize": (0.45, 0.6), "evaluate": (0.45, 0.01)}


class SSD(kusari.Chain):
    """Base class of the Single Shot MultiBox Detector.

    ``forward`` maps a batch of preprocessed images to raw outputs; ``predict`` runs the whole
    pipeline on raw images. Call :meth:`use_preset` to choose ``nms_thresh`` and
    ``score_thresh`` ('visualize' by default).

    Source: Wei Liu et al. SSD: Single Shot MultiBox Detector. ECCV 2016.

    Args:
        extractor: A link mapping ``(B, 3, insize, insize)`` to a list of feature maps, with
            attributes ``insize`` and ``grids``.
        multibox: A :class:`~kusari_cv.links.model.ssd.Multibox`-like link with ``n_class`` and
            ``aspect_ratios``.
        steps: Stride of each feature map in input pixels.
        sizes: Base sizes of the default boxes (``len(grids) + 1`` values).
        variance: Encoding coefficients ``(center, size)``.
        mean: Value subtracted from the resized image: a scalar or a ``(3, 1, 1)`` array (RGB).
    """

    def __init__(
        self,
        extractor: kusari.Link,
        multibox: kusari.Link,
        steps: Sequence[float],
        sizes: Sequence[float],
        variance: Sequence[float] = (0.1, 0.2),
        mean: Any = 0,
    ) -> None:
        self.mean = mean
        self.use_preset("visualize")
        super().__init__()
        with self.init_scope():
            self.extractor = extractor
            self.multibox = multibox
        self.coder = MultiboxCoder(extractor.grids, multibox.aspect_ratios, steps, sizes, variance)

    @property
    def insize(self) -> int:
        """Side of the square network input in pixels."""
        return self.extractor.insize

    @property
    def n_fg_class(self) -> int:
        """Number of foreground classes."""
        return self.multibox.n_class - 1

    def to_device(self, device: Any) -> SSD:
        """Move the parameters and the coder's default boxes to ``device``; returns this link."""
        super().to_device(device)
        self.coder.to_device(device)
        return self

    def forward(self, x: kusari.Variable | Any) -> tuple[kusari.Variable, kusari.Variable]:
        """Compute raw outputs.

        Args:
            x: Preprocessed images ``(B, 3, insize, insize)`` float32.

        Returns:
            ``(mb_locs, mb_confs)``: ``(B, K, 4)`` offsets ``(dy, dx, dh, dw)`` and
            ``(B, K, n_fg_class + 1)`` logits.
        """
        return self.multibox(self.extractor(x))

    def use_preset(self, preset: str) -> None:
        """Set ``nms_thresh`` and ``score_thresh`` from a preset.

        'visualize' sets 0.45 and 0.6; 'evaluate' sets 0.45 and 0.01.

        Args:
            preset: 'visualize' or 'evaluate'.

        Raises:
            ValueError: ``preset`` is another value.
        """
        if preset not in _PRESETS:
            raise ValueError(
                f"SSD.use_preset: preset must be 'visualize' or 'evaluate', got {preset!r}"
            )
        self.nms_thresh, self.score_thresh = _PRESETS[preset]

    def _prepare(self, img: Any) -> numpy.ndarray:
        img = numpy.asarray(backend.CpuDevice().send(img), dtype=numpy.float32)
        img = resize(img, (self.insize, self.insize))
        img -= self.mean
        return img

    def predict(self, imgs: Sequence[Any]) -> tuple[list, list, list]:
        """Detect objects in images.

        Each image is resized to ``insize`` with Pillow's bilinear filter, the mean is
        subtracted, the batch goes through the network, and the outputs are decoded with
        :meth:`MultiboxCoder.decode` and rescaled to the image size.

        Args:
            imgs: Images ``(3, H, W)``, RGB, values in ``[0, 255]``.

        Returns:
            ``(bboxes, labels, scores)``: per image, boxes ``(R, 4)`` float32 ``(y_min, x_min,
            y_max, x_max)`` in image pixels, labels ``(R,)`` int32, scores ``(R,)`` float32,
            as NumPy arrays.

        Raises:
            ValueError: An image is not ``(3, H, W)``.
        """
        x = []
        sizes = []
        for img in imgs:
            if img.ndim != 3 or img.shape[0] != 3:
                raise ValueError(f"SSD.predict: expected images (3, H, W), got {img.shape}")
            sizes.append(img.shape[1:])
            x.append(self._prepare(img))
        with kusari.using_config("train", False), kusari.no_backprop_mode():
            mb_locs, mb_confs = self.forward(self.xp.asarray(numpy.stack(x)))
        bboxes, labels, scores = [], [], []
        for mb_loc, mb_conf, (h, w) in zip(mb_locs.array, mb_confs.array, sizes, strict=True):
            bbox, label, score = self.coder.decode(
                mb_loc, mb_conf, self.nms_thresh, self.score_thresh
            )
            bbox[:, 0::2] *= numpy.float32(h / self.insize)
            bbox[:, 1::2] *= numpy.float32(w / self.insize)
            bboxes.append(backend.CpuDevice().send(bbox))
            labels.append(backend.CpuDevice().send(label))
            scores.append(backend.CpuDevice().send(score))
        return bboxes, labels, scores
