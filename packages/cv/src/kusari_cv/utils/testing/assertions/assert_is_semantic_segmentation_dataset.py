"""Check a semantic segmentation dataset."""

from __future__ import annotations

from typing import Any

import numpy

from kusari_cv.utils.testing.assertions._sample import _sample_examples
from kusari_cv.utils.testing.assertions.assert_is_image import assert_is_image


def assert_is_semantic_segmentation_dataset(
    dataset: Any, n_class: int, n_example: int | None = None
) -> None:
    """Check that every example is ``(img, label)`` with a per-pixel label.

    ``img`` must pass :func:`assert_is_image` (RGB) and ``label`` must be int32 of shape
    ``(H, W)`` with values in ``[-1, n_class)`` (``-1`` marks pixels to ignore).

    Args:
        dataset: A dataset (``len`` and integer indexing).
        n_class (int): The number of classes.
        n_example (int, optional): Check this many random examples instead of all.

    Raises:
        AssertionError: An example does not meet the conditions (these are test helpers).
    """
    for example in _sample_examples(dataset, n_example):
        assert len(example) >= 2, f"an example must be (img, label), got {len(example)} values"
        img, label = example[:2]
        assert_is_image(img, color=True)
        assert isinstance(label, numpy.ndarray), f"label must be a numpy.ndarray, got {type(label)}"
        assert label.dtype == numpy.int32, f"label must be int32, got {label.dtype}"
        assert label.shape == img.shape[1:], (
            f"label must be of shape {img.shape[1:]}, got {label.shape}"
        )
        assert ((label >= -1) & (label < n_class)).all(), f"label must lie in [-1, {n_class})"
