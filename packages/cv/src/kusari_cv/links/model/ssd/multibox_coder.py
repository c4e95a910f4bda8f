"""Encoding of ground-truth boxes to SSD targets and decoding of SSD outputs to detections."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy

from kusari import backend
from kusari_cv.utils import bbox_iou
from kusari_cv.utils.bbox._per_class import suppress_per_class


def _default_bbox(
    grids: Sequence[int],
    aspect_ratios: Sequence[Sequence[float]],
    steps: Sequence[float],
    sizes: Sequence[float],
) -> numpy.ndarray:
    rows = []
    for k, grid in enumerate(grids):
        shapes = [(sizes[k], sizes[k]), (numpy.sqrt(sizes[k] * sizes[k + 1]),) * 2]
        for ar in aspect_ratios[k]:
            shapes.append((sizes[k] / numpy.sqrt(ar), sizes[k] * numpy.sqrt(ar)))
            shapes.append((sizes[k] * numpy.sqrt(ar), sizes[k] / numpy.sqrt(ar)))
        hw = numpy.array(shapes, dtype=numpy.float64)
        center = numpy.array(
            [
                ((v + 0.5) * steps[k], (u + 0.5) * steps[k])
                for v, u in itertools.product(range(grid), repeat=2)
            ],
            dtype=numpy.float64,
        )
        n_loc, n_box = len(center), len(hw)
        rows.append(
            numpy.concatenate(
                (numpy.repeat(center, n_box, axis=0), numpy.tile(hw, (n_loc, 1))), axis=1
            )
        )
    return numpy.concatenate(rows, axis=0)


class MultiboxCoder:
    """Encode ``(bbox, label)`` into SSD targets and decode SSD outputs into detections.

    Default boxes are ``(cy, cx, h, w)`` in pixels of the network input: for grid ``k``,
    locations ``(v, u)`` in row-major order, centers ``((v + 0.5) * steps[k], (u + 0.5) *
    steps[k])``, and at each location the boxes ``(s_k, s_k)``, ``(sqrt(s_k s_{k+1}),) * 2`` and
    for every aspect ratio ``ar`` the pair ``(s_k / sqrt(ar), s_k sqrt(ar))``, ``(s_k sqrt(ar),
    s_k / sqrt(ar))``.

    Source: Wei Liu et al. SSD: Single Shot MultiBox Detector. ECCV 2016 (Sec. 2.2, Eq. 2).

    Args:
        grids: Size of each square feature map.
        aspect_ratios: One tuple of aspect ratios per feature map.
        steps: Stride of each feature map in input pixels.
        sizes: Base box sizes; one more than ``grids``.
        variance: ``(center, size)`` coefficients of the encoding.

    Raises:
        ValueError: The lengths of ``aspect_ratios``, ``steps`` or ``sizes`` do not fit
            ``grids``.
    """

    def __init__(
        self,
        grids: Sequence[int],
        aspect_ratios: Sequence[Sequence[float]],
        steps: Sequence[float],
        sizes: Sequence[float],
        variance: Sequence[float],
    ) -> None:
        n = len(grids)
        for name, value, expected in (
            ("aspect_ratios", aspect_ratios, n),
            ("steps", steps, n),
            ("sizes", sizes, n + 1),
        ):
            if len(value) != expected:
                raise ValueError(
                    f"MultiboxCoder: len({name}) must be {expected} for {n} grids, got {len(value)}"
                )
        if len(variance) != 2:
            raise ValueError(f"MultiboxCoder: variance must hold 2 values, got {len(variance)}")
        self._default_bbox = _default_bbox(grids, aspect_ratios, steps, sizes)
        self._variance = (float(variance[0]), float(variance[1]))

    @property
    def xp(self) -> Any:
        """The array module (``numpy`` or ``cupy``) holding the default boxes."""
        return backend.get_array_module(self._default_bbox)

    def to_device(self, device: Any) -> None:
        """Move the default boxes to ``device`` (a spec accepted by :func:`kusari.get_device`)."""
        self._default_bbox = backend.get_device(device).send(self._default_bbox)

    def encode(self, bbox: Any, label: Any, iou_thresh: float = 0.5) -> tuple[Any, Any]:
        """Assign ground-truth boxes to default boxes and encode them as regression targets.

        First each ground-truth box takes, in turn, the default box of highest IoU among those
        not yet taken (bipartite matching); then every remaining default box takes the
        ground-truth box of its highest IoU if that IoU is ``>= iou_thresh``.

        Args:
            bbox: Ground-truth boxes ``(R, 4)``, ``(y_min, x_min, y_max, x_max)`` in input
                pixels.
            label: Labels ``(R,)`` int in ``[0, n_fg_class - 1]``.
            iou_thresh: IoU a default box needs to match a box in the second step.

        Returns:
            ``(mb_loc, mb_label)``: targets ``(K, 4)`` float32 ``(dy, dx, dh, dw)`` and labels
            ``(K,)`` int32 where 0 is background and ``l + 1`` is label ``l``.

        Raises:
            ValueError: ``bbox`` is not ``(R, 4)`` or ``label`` is not ``(R,)``.
        """
        xp = self.xp
        if bbox.ndim != 2 or bbox.shape[1] != 4 or label.shape != bbox.shape[:1]:
            raise ValueError(
                f"MultiboxCoder.encode: expected bbox (R, 4) and label (R,), got "
                f"{tuple(bbox.shape)} and {tuple(label.shape)}"
            )
        default = self._default_bbox
        if len(bbox) == 0:
            return (
                xp.zeros(default.shape, dtype=numpy.float32),
                xp.zeros(default.shape[:1], dtype=numpy.int32),
            )
        iou = bbox_iou(
            xp.hstack((default[:, :2] - default[:, 2:] / 2, default[:, :2] + default[:, 2:] / 2)),
            bbox,
        )
        index = xp.full(len(default), -1, dtype=numpy.int64)
        masked = iou.copy()
        for _ in range(len(bbox)):
            i, j = xp.unravel_index(masked.argmax(), masked.shape)
            if masked[i, j] <= 1e-6:
                break
            index[i] = j
            masked[i, :] = 0
            masked[:, j] = 0
        box_index = xp.nonzero(index < 0)[0]
        gt_index = iou[box_index].argmax(axis=1)
        matched = iou[box_index, gt_index] >= iou_thresh
        index[box_index[matched]] = gt_index[matched]

        mb_bbox = bbox[xp.maximum(index, 0)]
        mb_hw = mb_bbox[:, 2:] - mb_bbox[:, :2]
        mb_center = mb_bbox[:, :2] + mb_hw / 2
        mb_loc = xp.hstack(
            (
                (mb_center - default[:, :2]) / (self._variance[0] * default[:, 2:]),
                xp.log(mb_hw / default[:, 2:]) / self._variance[1],
            )
        )
        mb_label = label[xp.maximum(index, 0)] + 1
        mb_label[index < 0] = 0
        return mb_loc.astype(numpy.float32), mb_label.astype(numpy.int32)

    def decode(
        self,
        mb_loc: Any,
        mb_conf: Any,
        nms_thresh: float | None = 0.45,
        score_thresh: float = 0.6,
    ) -> tuple[Any, Any, Any]:
        """Decode offsets and logits into boxes, then suppress per class.

        Scores are the softmax over ``mb_conf``; for each foreground class ``l`` the boxes
        whose score is ``>= score_thresh`` are kept and passed through
        :func:`~kusari_cv.utils.non_maximum_suppression`.

        Args:
            mb_loc: Offsets ``(K, 4)`` float, ``(dy, dx, dh, dw)``.
            mb_conf: Logits ``(K, n_fg_class + 1)`` float; column 0 is the background.
            nms_thresh: IoU threshold of the suppression; ``None`` skips it.
            score_thresh: Lowest score a detection may have.

        Returns:
            ``(bbox, label, score)``: boxes ``(R, 4)`` float32 ``(y_min, x_min, y_max,
            x_max)`` in input pixels, labels ``(R,)`` int32 in ``[0, n_fg_class - 1]``, scores
            ``(R,)`` float32; ordered by label, then by NMS order (descending score).

        Raises:
            ValueError: ``mb_loc`` is not ``(K, 4)`` or ``mb_conf`` is not ``(K, C)`` with
                ``C >= 2``.
        """
        xp = self.xp
        k = len(self._default_bbox)
        if (
            mb_loc.shape != (k, 4)
            or mb_conf.ndim != 2
            or mb_conf.shape[0] != k
            or mb_conf.shape[1] < 2
        ):
            raise ValueError(
                f"MultiboxCoder.decode: expected mb_loc ({k}, 4) and mb_conf ({k}, C>=2), got "
                f"{tuple(mb_loc.shape)} and {tuple(mb_conf.shape)}"
            )
        default = self._default_bbox
        mb_bbox = default.copy()
        mb_bbox[:, :2] += mb_loc[:, :2] * self._variance[0] * default[:, 2:]
        mb_bbox[:, 2:] *= xp.exp(mb_loc[:, 2:] * self._variance[1])
        mb_bbox[:, :2] -= mb_bbox[:, 2:] / 2
        mb_bbox[:, 2:] += mb_bbox[:, :2]
        mb_score = xp.exp(mb_conf)
        mb_score /= mb_score.sum(axis=1, keepdims=True)

        return suppress_per_class(mb_bbox, mb_score[:, 1:], nms_thresh, score_thresh)
