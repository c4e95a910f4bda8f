"""Check a classification dataset."""

from __future__ import annotations

from typing import Any

import numpy

from kusari_cv.utils.testing.assertions._sample import _sample_examples
from kusari_cv.utils.testing.assertions.assert_is_image import assert_is_image


def assert_is_label_dataset(
    dataset: Any, n_class: int, n_example: int | None = None, color: bool = True
) -> None:
    """Check that every example is ``(img, label)`` of an image classification dataset.

    ``img`` must pass :func:`assert_is_image` and ``label`` must be an int32 scalar in
    ``[0, n_class)``.

    Args:
        dataset: A dataset (``len`` and integer indexing).
        n_class (int): The number of classes.
        n_example (int, optional): Check this many random examples instead of all.
        color (bool): Whether images are RGB (else grayscale).

    Raises:
        AssertionError: An example does not meet the conditions (these are test helpers).
    """
    for example in _sample_examples(dataset, n_example):
        assert len(example) >= 2, f"an example must be (img, label), got {len(example)} values"
        img, label = example[:2]
        assert_is_image(img, color=color, check_range=False)
        assert isinstance(label, numpy.int32), f"label must be numpy.int32, got {type(label)}"
        assert 0 <= label < n_class, f"label must lie in [0, {n_class}), got {label}"
