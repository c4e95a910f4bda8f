"""The SSD training loss: smooth L1 on matched boxes plus hard-negative-mined softmax loss."""

from __future__ import annotations

from typing import Any

import numpy

import kusari
import kusari.functions as F
from kusari import backend


def _hard_negative(loss: Any, positive: Any, k: float) -> Any:
    # Rank each default box by its loss among the negatives of its image (positives rank last)
    # and keep the ``k * n_positive`` highest.
    xp = backend.get_array_module(loss)
    rank = (loss * (positive - 1)).argsort(axis=1).argsort(axis=1)
    return rank < (positive.sum(axis=1) * k)[:, xp.newaxis]


def multibox_loss(
    mb_locs: kusari.Variable | Any,
    mb_confs: kusari.Variable | Any,
    gt_mb_locs: kusari.Variable | Any,
    gt_mb_labels: kusari.Variable | Any,
    k: float,
    comm: Any = None,
) -> tuple[kusari.Variable, kusari.Variable]:
    """Compute the localization and confidence losses of SSD.

    ``loc_loss`` is the smooth L1 (Huber, delta 1) loss summed over the four offsets of the
    positive default boxes; ``conf_loss`` is the softmax cross entropy of the positives and of
    the ``k * n_positive`` negatives of highest loss in each image (hard negative mining). Both
    are divided by the number of positives in the batch.

    Source: Wei Liu et al. SSD: Single Shot MultiBox Detector. ECCV 2016 (Eq. 1-3, Sec. 2.2
    "Hard negative mining").

    Args:
        mb_locs: Predicted offsets ``(B, K, 4)``.
        mb_confs: Predicted logits ``(B, K, n_class)``; class 0 is the background.
        gt_mb_locs: Target offsets ``(B, K, 4)``.
        gt_mb_labels: Target labels ``(B, K)`` int; 0 is the background.
        k: Ratio of mined negatives to positives (3 in the paper).
        comm: A ChainerMN-style communicator with ``allreduce`` and ``size`` to average the
            number of positives over workers; ``None`` for one process.

    Returns:
        ``(loc_loss, conf_loss)``: two scalar Variables (float32 zeros if there is no
        positive).

    Raises:
        ValueError: The shapes do not agree.
    """
    mb_locs = kusari.as_variable(mb_locs)
    mb_confs = kusari.as_variable(mb_confs)
    gt_mb_locs = kusari.as_variable(gt_mb_locs)
    gt_mb_labels = kusari.as_variable(gt_mb_labels)
    if (
        mb_locs.ndim != 3
        or mb_locs.shape[2] != 4
        or gt_mb_locs.shape != mb_locs.shape
        or mb_confs.shape[:2] != mb_locs.shape[:2]
        or gt_mb_labels.shape != mb_locs.shape[:2]
    ):
        raise ValueError(
            f"multibox_loss: expected mb_locs (B, K, 4), mb_confs (B, K, C), gt_mb_locs "
            f"(B, K, 4) and gt_mb_labels (B, K), got {mb_locs.shape}, {mb_confs.shape}, "
            f"{gt_mb_locs.shape} and {gt_mb_labels.shape}"
        )
    xp = backend.get_array_module(gt_mb_labels.array)
    positive = gt_mb_labels.array > 0
    n_positive = float(positive.sum())
    if comm is not None:
        n_positive = float(comm.allreduce(n_positive)) / comm.size
    if n_positive == 0:
        zero = kusari.Variable(xp.zeros((), dtype=numpy.float32))
        return zero, zero

    loc_loss = F.sum(F.huber_loss(mb_locs, gt_mb_locs, 1, reduce="no"), axis=-1)
    loc_loss = F.sum(loc_loss * positive.astype(loc_loss.dtype)) / n_positive

    n_class = mb_confs.shape[-1]
    conf_loss = F.softmax_cross_entropy(
        F.reshape(mb_confs, (-1, n_class)), gt_mb_labels.array.reshape(-1), reduce="no"
    )
    conf_loss = F.reshape(conf_loss, gt_mb_labels.shape)
    hard_negative = _hard_negative(conf_loss.array, positive, k)
    mask = xp.logical_or(positive, hard_negative).astype(conf_loss.dtype)
    conf_loss = F.sum(conf_loss * mask) / n_positive
    return loc_loss, conf_loss
