"""Saving figures of a detector's predictions next to the ground truth during training."""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from typing import Any

from kusari.backends.cuda import to_cpu
from kusari.training.extension import Extension
from kusari.utils import atomic_path
from kusari_cv.visualizations import vis_bbox
from kusari_cv.visualizations._matplotlib import _import_pyplot


class DetectionVisReport(Extension):
    """Trainer extension that draws predicted boxes below the ground-truth boxes.

    Each call resets the iterator (or copies it when it has no ``reset``), runs
    ``target.predict`` on the images of every batch, and saves one figure per example into
    ``trainer.out``: the ground truth on top and the prediction (with scores) below, both drawn
    with :func:`~kusari_cv.visualizations.vis_bbox`. The dataset yields ``(img, bbox, label)``
    (further values, such as ``difficult``, are ignored); ``img`` is ``(3, H, W)`` RGB in
    ``[0, 255]``, ``bbox`` ``(R, 4)`` as ``(y_min, x_min, y_max, x_max)`` and ``label``
    ``(R,)`` int. Files are written atomically; the image format follows the extension of
    ``filename``.

    Args:
        iterator: The iterator of examples to draw (use ``repeat=False``).
        target: The detection link, with ``predict(imgs)`` returning ``(bboxes, labels,
            scores)``.
        label_names (sequence of str, optional): Class names written beside the boxes; labels
            are not written when ``None``.
        filename (str): Base name of each figure. ``'{iteration}'`` is replaced by the trainer's
            iteration and ``'{index}'`` by the example's position in the iterator.

    Raises:
        ImportError: matplotlib is not installed (``pip install matplotlib``).

    Example:
        >>> trainer.extend(DetectionVisReport(vis_iter, model, voc_bbox_label_names),
        ...                trigger=(1000, 'iteration'))
    """

    def __init__(
        self,
        iterator: Any,
        target: Any,
        label_names: Sequence[str] | None = None,
        filename: str = "detection_iter={iteration}_idx={index}.jpg",
    ) -> None:
        _import_pyplot("DetectionVisReport")
        self.iterator = iterator
        self.target = target
        self.label_names = label_names
        self.filename = filename

    @staticmethod
    def available() -> bool:
        """Return whether matplotlib, needed to draw the figures, can be imported."""
        try:
            _import_pyplot("DetectionVisReport")
        except ImportError:
            return False
        return True

    def __call__(self, trainer: Any) -> None:
        """Predict on every example of the iterator and save one figure per example.

        Args:
            trainer (~kusari.training.Trainer): The trainer; its ``out`` folder receives the
                figures and its ``updater.iteration`` fills ``'{iteration}'``.

        Raises:
            ValueError: An example has fewer than three values.
        """
        from matplotlib.figure import Figure

        if hasattr(self.iterator, "reset"):
            self.iterator.reset()
            it = self.iterator
        else:
            it = copy.copy(self.iterator)
        os.makedirs(trainer.out, exist_ok=True)
        index = 0
        for batch in it:
            if any(len(example) < 3 for example in batch):
                raise ValueError(
                    "DetectionVisReport: the dataset must yield (img, bbox, label, ...), got "
                    f"examples of {min(len(example) for example in batch)} values"
                )
            imgs = [example[0] for example in batch]
            pred_bboxes, pred_labels, pred_scores = self.target.predict(imgs)
            for example, pred_bbox, pred_label, pred_score in zip(
                batch, pred_bboxes, pred_labels, pred_scores, strict=True
            ):
                img, gt_bbox, gt_label = (to_cpu(value) for value in example[:3])
                fig = Figure()
                ax_gt = fig.add_subplot(2, 1, 1)
                ax_gt.set_title("ground truth")
                vis_bbox(img, gt_bbox, gt_label, label_names=self.label_names, ax=ax_gt)
                ax_pred = fig.add_subplot(2, 1, 2)
                ax_pred.set_title("prediction")
                vis_bbox(
                    img,
                    to_cpu(pred_bbox),
                    to_cpu(pred_label),
                    to_cpu(pred_score),
                    label_names=self.label_names,
                    ax=ax_pred,
                )
                name = self.filename.format(iteration=trainer.updater.iteration, index=index)
                path = os.path.join(trainer.out, name)
                extension = os.path.splitext(name)[1].lstrip(".").lower() or None
                with atomic_path(path) as temp_path:
                    fig.savefig(temp_path, format=extension)
                index += 1
