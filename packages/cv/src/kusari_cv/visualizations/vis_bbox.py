"""Draw bounding boxes, their labels and scores over an image."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kusari.backends.cuda import to_cpu
from kusari_cv.visualizations._matplotlib import _import_pyplot
from kusari_cv.visualizations.vis_image import vis_image


def vis_bbox(
    img: Any | None,
    bbox: Any,
    label: Any | None = None,
    score: Any | None = None,
    label_names: Sequence[str] | None = None,
    instance_colors: Any | None = None,
    alpha: float = 1.0,
    linewidth: float = 3.0,
    sort_by_score: bool = True,
    ax: Any | None = None,
) -> Any:
    """Draw bounding boxes inside an image.

    Each box becomes an unfilled ``matplotlib.patches.Rectangle``. A caption is written at the
    top-left corner of a box when there is something to say: the label name (when both
    ``label`` and ``label_names`` are given) and the score with two decimals, joined by
    ``": "`` (e.g. ``"dog: 0.87"``).

    Args:
        img (numpy.ndarray or None): Image of shape ``(3, H, W)``, RGB, values in ``[0, 255]``.
            If ``None``, only the boxes are drawn.
        bbox (numpy.ndarray): Boxes of shape ``(R, 4)``, ``(y_min, x_min, y_max, x_max)``.
        label (numpy.ndarray or None): Integer labels of shape ``(R,)``, indices into
            ``label_names``.
        score (numpy.ndarray or None): Confidences of shape ``(R,)``.
        label_names (sequence of str or None): Name of each label id. If ``None``, no names
            are written.
        instance_colors (array-like or None): RGB colours in ``[0, 255]`` of shape ``(N, 3)``;
            box ``i`` uses colour ``i % N``. If ``None``, every box is red ``(255, 0, 0)``.
        alpha (float): Opacity of the box edges, in ``[0, 1]``.
        linewidth (float): Width of the box edges in points.
        sort_by_score (bool): If ``True`` and ``score`` is given, boxes are drawn in order of
            increasing score, so the most confident box ends up on top. Colours follow their
            boxes.
        ax (matplotlib.axes.Axes or None): Axes to draw on. If ``None``, a new one is created.

    Returns:
        matplotlib.axes.Axes: The axes with the drawing.

    Raises:
        ImportError: If matplotlib is not installed.
        ValueError: If ``bbox`` is not ``(R, 4)``, ``label``, ``score`` or ``instance_colors``
            do not match it, or a label has no entry in ``label_names``.
    """
    plt = _import_pyplot("vis_bbox")
    bbox = np.asarray(to_cpu(bbox))
    if bbox.ndim != 2 or bbox.shape[1] != 4:
        raise ValueError(
            f"vis_bbox: bbox must have shape (R, 4) as (y_min, x_min, y_max, x_max), "
            f"got {bbox.shape}"
        )
    n_bbox = len(bbox)
    if label is not None:
        label = np.asarray(to_cpu(label)).reshape(-1)
        if len(label) != n_bbox:
            raise ValueError(f"vis_bbox: len(label) ({len(label)}) != len(bbox) ({n_bbox})")
        if label_names is not None and n_bbox:
            bad = (label < 0) | (label >= len(label_names))
            if bad.any():
                raise ValueError(
                    f"vis_bbox: label {int(label[bad][0])} has no name; label_names has "
                    f"{len(label_names)} entries (valid labels 0..{len(label_names) - 1})"
                )
    if score is not None:
        score = np.asarray(to_cpu(score)).reshape(-1)
        if len(score) != n_bbox:
            raise ValueError(f"vis_bbox: len(score) ({len(score)}) != len(bbox) ({n_bbox})")
    if instance_colors is None:
        instance_colors = np.array([[255.0, 0.0, 0.0]])
    instance_colors = np.asarray(to_cpu(instance_colors), dtype=np.float64)
    if instance_colors.ndim != 2 or instance_colors.shape[1] != 3 or not len(instance_colors):
        raise ValueError(
            f"vis_bbox: instance_colors must have shape (N, 3) with N >= 1, "
            f"got {instance_colors.shape}"
        )
    colors = instance_colors[np.arange(n_bbox) % len(instance_colors)] / 255

    if sort_by_score and score is not None:
        order = np.argsort(score, kind="stable")
        bbox, score, colors = bbox[order], score[order], colors[order]
        if label is not None:
            label = label[order]

    ax = vis_image(img, ax=ax)
    for i, (y_min, x_min, y_max, x_max) in enumerate(bbox.tolist()):
        ax.add_patch(
            plt.Rectangle(
                (x_min, y_min),
                x_max - x_min,
                y_max - y_min,
                fill=False,
                edgecolor=colors[i],
                linewidth=linewidth,
                alpha=alpha,
            )
        )
        caption = []
        if label is not None and label_names is not None:
            caption.append(label_names[int(label[i])])
        if score is not None:
            caption.append(f"{float(score[i]):.2f}")
        if caption:
            ax.text(
                x_min,
                y_min,
                ": ".join(caption),
                style="italic",
                bbox={"facecolor": "white", "alpha": 0.5, "pad": 0},
            )
    return ax
