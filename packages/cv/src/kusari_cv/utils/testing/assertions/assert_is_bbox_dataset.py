"""Check an object detection dataset."""

from __future__ import annotations

from typing import Any

import numpy

from kusari_cv.utils.testing.assertions._sample import _sample_examples
from kusari_cv.utils.testing.assertions.assert_is_bbox import assert_is_bbox
from kusari_cv.utils.testing.assertions.assert_is_image import assert_is_image


def assert_is_bbox_dataset(dataset: Any, n_fg_class: int, n_example: int | None = None) -> None:
    """Check that every example is ``(img, bbox, label)`` or ``(img, bbox, label, difficult)``.

    ``img`` must pass :func:`assert_is_image` (RGB), ``bbox`` :func:`assert_is_bbox` within the
    image, ``label`` must be int32 of shape ``(R,)`` in ``[0, n_fg_class)`` and ``difficult``,
    when present, bool of shape ``(R,)``.

    Args:
        dataset: A dataset (``len`` and integer indexing).
        n_fg_class (int): The number of foreground classes.
        n_example (int, optional): Check this many random examples instead of all.

    Raises:
        AssertionError: An example does not meet the conditions (these are test helpers).
    """
    for example in _sample_examples(dataset, n_example):
        assert len(example) >= 3, (
            f"an example must be (img, bbox, label[, difficult]), got {len(example)} values"
        )
        img, bbox, label = example[:3]
        assert_is_image(img, color=True)
        assert_is_bbox(bbox, size=img.shape[1:])
        assert isinstance(label, numpy.ndarray), f"label must be a numpy.ndarray, got {type(label)}"
        assert label.dtype == numpy.int32, f"label must be int32, got {label.dtype}"
        assert label.shape == (bbox.shape[0],), (
            f"label must be of shape ({bbox.shape[0]},), got {label.shape}"
        )
        assert ((label >= 0) & (label < n_fg_class)).all(), f"label must lie in [0, {n_fg_class})"
        if len(example) >= 4:
            difficult = example[3]
            assert isinstance(difficult, numpy.ndarray), "difficult must be a numpy.ndarray"
            assert difficult.dtype == bool, f"difficult must be bool, got {difficult.dtype}"
            assert difficult.shape == (bbox.shape[0],), (
                f"difficult must be of shape ({bbox.shape[0]},), got {difficult.shape}"
            )
