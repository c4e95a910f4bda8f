"""Evaluating a detector with the PASCAL VOC metric during training."""

from collections.abc import Sequence
from typing import Any

import numpy as np

from kusari.training.extensions import Evaluator
from kusari_cv.evaluations import eval_detection_voc
from kusari_cv.extensions.evaluator._common import _check_comm, _predict_all, _report


class DetectionVOCEvaluator(Evaluator):
    """Trainer extension that scores a detector with PASCAL VOC's average precision.

    Each call resets the ``'main'`` iterator (or copies it when it has no ``reset``), runs
    ``target.predict`` over it with :func:`~kusari_cv.utils.apply_to_iterator` and scores the
    predictions with :func:`~kusari_cv.evaluations.eval_detection_voc`. The dataset yields
    ``(img, bbox, label)`` or ``(img, bbox, label, difficult)``; ``target.predict(imgs)``
    returns ``(bboxes, labels, scores)``. The values are reported as observed by the target,
    so inside a trainer they read ``'validation/main/map'`` and, with ``label_names``,
    ``'validation/main/ap/<name>'`` (``nan`` for a class past the last one evaluated).

    Args:
        iterator: The validation iterator (``repeat=False``), or a dict with a ``'main'``
            entry.
        target: The detection link, with ``predict(imgs)``; or a dict with a ``'main'`` entry.
        use_07_metric (bool): Use VOC2007's 11-point AP instead of the area under the curve.
        label_names (sequence of str, optional): Class names; when given the AP of each class
            is reported too.
        comm (optional): A ChainerMN communicator; not supported yet (must be ``None``).

    Raises:
        NotImplementedError: ``comm`` is not ``None``.
        ValueError: A dict lacks the ``'main'`` entry.

    Example:
        >>> trainer.extend(DetectionVOCEvaluator(test_iter, model, label_names=names))
    """

    def __init__(
        self,
        iterator: Any,
        target: Any,
        use_07_metric: bool = False,
        label_names: Sequence[str] | None = None,
        comm: Any = None,
    ) -> None:
        _check_comm("DetectionVOCEvaluator", comm)
        super().__init__(iterator, target)
        self.use_07_metric = use_07_metric
        self.label_names = label_names
        self.comm = comm

    def evaluate(self) -> dict[str, Any]:
        """Predict on the whole iterator and return the observed AP values.

        Returns:
            dict: ``'<observer>/map'`` and, with ``label_names``, ``'<observer>/ap/<name>'``,
            where ``<observer>`` is the name under which the target is registered in the
            current reporter (``'validation/main'`` inside a trainer).

        Raises:
            ValueError: The dataset's examples have neither 3 nor 4 values.
        """
        target = self.get_target("main")
        out_values, rest_values = _predict_all(self.get_iterator("main"), target)
        pred_bboxes, pred_labels, pred_scores = out_values
        if len(rest_values) == 3:
            gt_bboxes, gt_labels, gt_difficults = rest_values
        elif len(rest_values) == 2:
            gt_bboxes, gt_labels = rest_values
            gt_difficults = None
        else:
            raise ValueError(
                "DetectionVOCEvaluator: the dataset must yield (img, bbox, label) or "
                f"(img, bbox, label, difficult), got examples of {len(rest_values) + 1} values"
            )
        result = eval_detection_voc(
            pred_bboxes,
            pred_labels,
            pred_scores,
            gt_bboxes,
            gt_labels,
            gt_difficults,
            use_07_metric=self.use_07_metric,
        )
        values: dict[str, Any] = {"map": result["map"]}
        if self.label_names is not None:
            ap = result["ap"]
            for label, label_name in enumerate(self.label_names):
                values[f"ap/{label_name}"] = float(ap[label]) if label < len(ap) else np.nan
        return _report(values, target)
