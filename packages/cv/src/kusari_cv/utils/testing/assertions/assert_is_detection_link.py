"""Check a detection link's ``predict``."""

from __future__ import annotations

from typing import Any

import numpy

from kusari_cv.utils.testing.assertions.assert_is_bbox import assert_is_bbox


def assert_is_detection_link(link: Any, n_fg_class: int) -> None:
    """Check that ``link.predict`` follows the detection interface.

    ``link.predict(imgs)`` is called on two random RGB images of different sizes and must
    return ``(bboxes, labels, scores)``: per image, boxes passing :func:`assert_is_bbox`, int32
    labels of shape ``(R,)`` in ``[0, n_fg_class)`` and float32 scores of shape ``(R,)``.

    Args:
        link: An object with ``predict(imgs)``, e.g. :class:`~kusari_cv.links.SSD300`.
        n_fg_class (int): The number of foreground classes.

    Raises:
        AssertionError: The outputs do not meet the conditions (these are test helpers).
    """
    imgs = [
        numpy.random.randint(0, 256, size=(3, 480, 640)).astype(numpy.float32),
        numpy.random.randint(0, 256, size=(3, 480, 320)).astype(numpy.float32),
    ]
    result = link.predict(imgs)
    assert len(result) == 3, f"predict must return (bboxes, labels, scores), got {len(result)}"
    bboxes, labels, scores = result
    assert len(bboxes) == len(labels) == len(scores) == len(imgs), (
        "predict must return one bbox, label and score array per image"
    )
    for bbox, label, score in zip(bboxes, labels, scores, strict=True):
        assert_is_bbox(bbox)
        assert isinstance(label, numpy.ndarray), f"label must be a numpy.ndarray, got {type(label)}"
        assert label.dtype == numpy.int32, f"label must be int32, got {label.dtype}"
        assert label.shape == (bbox.shape[0],), (
            f"label must be of shape ({bbox.shape[0]},), got {label.shape}"
        )
        assert ((label >= 0) & (label < n_fg_class)).all(), f"label must lie in [0, {n_fg_class})"
        assert isinstance(score, numpy.ndarray), f"score must be a numpy.ndarray, got {type(score)}"
        assert score.dtype == numpy.float32, f"score must be float32, got {score.dtype}"
        assert score.shape == (bbox.shape[0],), (
            f"score must be of shape ({bbox.shape[0]},), got {score.shape}"
        )
