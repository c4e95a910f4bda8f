"""The colour map of the PASCAL VOC segmentation masks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def voc_colormap(labels: Sequence[int] | np.ndarray) -> np.ndarray:
    """Return the colours PASCAL VOC uses to paint the given label ids.

    The colour of label ``l`` is built from the bits of ``l``: bit ``3 * j + c`` of ``l``
    (``c`` = 0, 1, 2 for R, G, B) sets bit ``7 - j`` of channel ``c``. Label 0 is black,
    label 1 is ``(128, 0, 0)``, label 2 is ``(0, 128, 0)`` and so on.

    Source: the colour map of the PASCAL VOC development kit (Everingham et al., "The PASCAL
    Visual Object Classes (VOC) Challenge", IJCV 2010).

    Args:
        labels (sequence of int or numpy.ndarray): Non-negative label ids, shape ``(L,)``.

    Returns:
        numpy.ndarray: Colours of shape ``(L, 3)``, float32, RGB in ``[0, 255]``.

    Raises:
        ValueError: If a label id is negative.
    """
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if labels.size and labels.min() < 0:
        raise ValueError(f"voc_colormap: label ids must be >= 0, got {int(labels.min())}")
    colors = np.zeros((len(labels), 3), dtype=np.int64)
    bit_positions = np.arange(8)
    # Bits 0, 3, 6, ... of the id go to red; 1, 4, 7, ... to green; 2, 5, 8, ... to blue.
    for channel in range(3):
        bits = (labels[:, None] >> (3 * bit_positions + channel)) & 1
        colors[:, channel] = (bits << (7 - bit_positions)).sum(axis=1)
    return colors.astype(np.float32)
