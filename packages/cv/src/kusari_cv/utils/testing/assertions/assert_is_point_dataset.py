"""Check a keypoint dataset."""

from __future__ import annotations

from typing import Any

from kusari_cv.utils.testing.assertions._sample import _sample_examples
from kusari_cv.utils.testing.assertions.assert_is_image import assert_is_image
from kusari_cv.utils.testing.assertions.assert_is_point import assert_is_point


def assert_is_point_dataset(
    dataset: Any, n_point: int | None = None, n_example: int | None = None, no_visible: bool = False
) -> None:
    """Check that every example is ``(img, point, visible)`` (``(img, point)`` with ``no_visible``).

    ``img`` must pass :func:`assert_is_image` and ``point``/``visible``
    :func:`assert_is_point` within the image.

    Args:
        dataset: A dataset (``len`` and integer indexing).
        n_point (int, optional): The expected number of points per instance.
        n_example (int, optional): Check this many random examples instead of all.
        no_visible (bool): The examples carry no ``visible`` array.

    Raises:
        AssertionError: An example does not meet the conditions (these are test helpers).
    """
    n_value = 2 if no_visible else 3
    for example in _sample_examples(dataset, n_example):
        assert len(example) >= n_value, (
            f"an example must hold at least {n_value} values, got {len(example)}"
        )
        img, point = example[:2]
        visible = None if no_visible else example[2]
        assert_is_image(img, color=True)
        assert_is_point(point, visible, size=img.shape[1:], n_point=n_point)
