"""Evaluating a detector with the MS COCO metrics during training."""

from collections.abc import Sequence
from typing import Any

import numpy as np

from kusari.training.extensions import Evaluator
from kusari_cv.evaluations import eval_detection_coco
from kusari_cv.extensions.evaluator._common import _check_comm, _predict_all, _report


class DetectionCOCOEvaluator(Evaluator):
    """Trainer extension that scores a detector with the MS COCO AP and AR metrics.

    Each call resets the ``'main'`` iterator (or copies it when it has no ``reset``), runs
    ``target.predict`` over it with :func:`~kusari_cv.utils.apply_to_iterator` and scores the
    predictions with :func:`~kusari_cv.evaluations.eval_detection_coco` (needs the optional
    ``pycocotools``). The dataset yields ``(img, bbox, label)`` or
    ``(img, bbox, label, area, crowded)``. Every mean value of the result (the keys starting
    with ``map`` or ``mar``, e.g. ``'map/iou=0.50:0.95/area=all/max_dets=100'``) is reported as
    observed by the target, so inside a trainer it reads
    ``'validation/main/map/iou=0.50:0.95/area=all/max_dets=100'``. With ``label_names`` the
    per-class values are reported as ``'<ap or ar key>/<name>'``.

    Args:
        iterator: The validation iterator (``repeat=False``), or a dict with a ``'main'``
            entry.
        target: The detection link, with ``predict(imgs)``; or a dict with a ``'main'`` entry.
        label_names (sequence of str, optional): Class names; when given the value of each
            class is reported too (``nan`` for a class past the last one evaluated).
        comm (optional): A ChainerMN communicator; not supported yet (must be ``None``).

    Raises:
        NotImplementedError: ``comm`` is not ``None``.
        ValueError: A dict lacks the ``'main'`` entry.
    """

    def __init__(
        self,
        iterator: Any,
        target: Any,
        label_names: Sequence[str] | None = None,
        comm: Any = None,
    ) -> None:
        _check_comm("DetectionCOCOEvaluator", comm)
        super().__init__(iterator, target)
        self.label_names = label_names
        self.comm = comm

    def evaluate(self) -> dict[str, Any]:
        """Predict on the whole iterator and return the observed COCO metrics.

        Returns:
            dict: ``'<observer>/<key>'`` for every ``map``/``mar`` key of
            :func:`~kusari_cv.evaluations.eval_detection_coco` and, with ``label_names``,
            ``'<observer>/<ap or ar key>/<name>'``.

        Raises:
            ValueError: The dataset's examples have neither 3 nor 5 values.
            ImportError: ``pycocotools`` is not installed.
        """
        target = self.get_target("main")
        out_values, rest_values = _predict_all(self.get_iterator("main"), target)
        pred_bboxes, pred_labels, pred_scores = out_values
        if len(rest_values) == 4:
            gt_bboxes, gt_labels, gt_areas, gt_crowdeds = rest_values
        elif len(rest_values) == 2:
            gt_bboxes, gt_labels = rest_values
            gt_areas = gt_crowdeds = None
        else:
            raise ValueError(
                "DetectionCOCOEvaluator: the dataset must yield (img, bbox, label) or "
                f"(img, bbox, label, area, crowded), got examples of {len(rest_values) + 1} "
                "values"
            )
        result = eval_detection_coco(
            pred_bboxes, pred_labels, pred_scores, gt_bboxes, gt_labels, gt_areas, gt_crowdeds
        )
        values: dict[str, Any] = {
            key: value for key, value in result.items() if key.startswith(("map", "mar"))
        }
        if self.label_names is not None:
            for key, per_class in result.items():
                if not key.startswith(("ap/", "ar/")):
                    continue
                for label, label_name in enumerate(self.label_names):
                    values[f"{key}/{label_name}"] = (
                        float(per_class[label]) if label < len(per_class) else np.nan
                    )
        return _report(values, target)
