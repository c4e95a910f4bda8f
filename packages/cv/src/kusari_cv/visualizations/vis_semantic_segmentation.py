"""Paint a semantic segmentation label map over an image."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kusari.backends.cuda import to_cpu
from kusari_cv.visualizations._matplotlib import _import_pyplot
from kusari_cv.visualizations.colormap import voc_colormap
from kusari_cv.visualizations.vis_image import vis_image


def vis_semantic_segmentation(
    img: Any | None,
    label: Any,
    label_names: Sequence[str] | None = None,
    label_colors: Any | None = None,
    ignore_label_color: Sequence[float] = (0, 0, 0),
    alpha: float = 1,
    all_label_names_in_legend: bool = False,
    ax: Any | None = None,
) -> tuple[Any, list[Any]]:
    """Draw a semantic segmentation, optionally over its image.

    Pixel ``(y, x)`` is painted with ``label_colors[label[y, x]]``; pixels with a negative
    label (ignored) are painted with ``ignore_label_color``. The painting has opacity
    ``alpha``, so with ``alpha < 1`` the image shows through.

    Args:
        img (numpy.ndarray or None): Image of shape ``(3, H, W)``, RGB, values in ``[0, 255]``.
            If ``None``, only the labels are drawn.
        label (numpy.ndarray): Integer label map of shape ``(H, W)``; ``-1`` means ignored.
        label_names (sequence of str or None): Name of each class. If ``None``, class ``l`` is
            named ``str(l)``.
        label_colors (array-like or None): RGB colours in ``[0, 255]``, shape ``(n_class, 3)``.
            If ``None``, the PASCAL VOC colour map (:func:`voc_colormap`) is used.
        ignore_label_color (sequence of float): RGB colour in ``[0, 255]`` of ignored pixels.
        alpha (float): Opacity of the painted labels, in ``[0, 1]``.
        all_label_names_in_legend (bool): If ``True``, the legend lists every class; if
            ``False``, only the classes that appear in ``label``.
        ax (matplotlib.axes.Axes or None): Axes to draw on. If ``None``, a new one is created.

    Returns:
        tuple: ``(ax, legend_handles)``: the ``matplotlib.axes.Axes`` with the drawing and a
        list of ``matplotlib.patches.Patch`` (one per class in the legend) to pass to
        ``ax.legend(handles=legend_handles)``.

    Raises:
        ImportError: If matplotlib is not installed.
        ValueError: If ``label`` is not 2-D, ``label_names`` and ``label_colors`` disagree on
            the number of classes, or a label is not below the number of classes.
    """
    _import_pyplot("vis_semantic_segmentation")
    from matplotlib.patches import Patch

    label = np.asarray(to_cpu(label))
    if label.ndim != 2:
        raise ValueError(
            f"vis_semantic_segmentation: label must have shape (H, W), got {label.shape}"
        )
    max_label = int(label.max()) if label.size else -1
    if label_names is not None:
        n_class = len(label_names)
    elif label_colors is not None:
        n_class = len(label_colors)
    else:
        n_class = max_label + 1
    if label_colors is not None and len(label_colors) != n_class:
        raise ValueError(
            f"vis_semantic_segmentation: len(label_colors) ({len(label_colors)}) != "
            f"len(label_names) ({n_class})"
        )
    if max_label >= n_class:
        raise ValueError(
            f"vis_semantic_segmentation: label contains {max_label} but there are only "
            f"{n_class} classes (labels 0..{n_class - 1}, -1 for ignored)"
        )
    if label_names is None:
        label_names = [str(class_id) for class_id in range(n_class)]
    if label_colors is None:
        label_colors = voc_colormap(np.arange(n_class))
    colors = np.asarray(to_cpu(label_colors), dtype=np.float64).reshape(n_class, 3) / 255

    ax = vis_image(img, ax=ax)
    canvas = np.empty(label.shape + (4,), dtype=np.float64)
    valid = label >= 0
    canvas[valid, :3] = colors[label[valid]]
    canvas[~valid, :3] = np.asarray(ignore_label_color, dtype=np.float64) / 255
    canvas[..., 3] = alpha
    ax.imshow(canvas)

    if all_label_names_in_legend:
        legend_labels = range(n_class)
    else:
        legend_labels = np.unique(label[valid]).tolist()
    legend_handles = [
        Patch(color=colors[class_id], label=label_names[class_id]) for class_id in legend_labels
    ]
    return ax, legend_handles
