import sys

import numpy as np
import pytest

from kusari_cv.visualizations import (
    vis_bbox,
    vis_image,
    vis_point,
    vis_semantic_segmentation,
    voc_colormap,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")
Rectangle = pytest.importorskip("matplotlib.patches").Rectangle


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _image(height=6, width=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, size=(3, height, width)).astype(np.float32)


def _rectangles(ax):
    return [patch for patch in ax.patches if isinstance(patch, Rectangle)]


def test_vis_image_draws_hwc_uint8_on_new_axes():
    img = _image()
    ax = vis_image(img)
    assert isinstance(ax, matplotlib.axes.Axes)
    np.testing.assert_array_equal(
        np.asarray(ax.images[0].get_array()), img.transpose(1, 2, 0).astype(np.uint8)
    )


def test_vis_image_uses_given_axes_and_none_image():
    ax = plt.figure().add_subplot(1, 1, 1)
    assert vis_image(None, ax=ax) is ax
    assert len(ax.images) == 0


def test_vis_image_bad_shape():
    with pytest.raises(ValueError, match=r"vis_image: img must have shape \(3, H, W\).*\(6, 8\)"):
        vis_image(np.zeros((6, 8), dtype=np.float32))


def test_missing_matplotlib_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"vis_bbox: .*pip install matplotlib"):
        vis_bbox(_image(), np.zeros((0, 4), dtype=np.float32))


def test_vis_bbox_rectangles_and_captions():
    img = _image()
    bbox = np.array([[1, 2, 4, 7], [0, 0, 3, 3]], dtype=np.float32)
    label = np.array([1, 0], dtype=np.int32)
    score = np.array([0.25, 0.875], dtype=np.float32)
    ax = vis_bbox(img, bbox, label, score, label_names=("cat", "dog"))
    np.testing.assert_array_equal(
        np.asarray(ax.images[0].get_array()), img.transpose(1, 2, 0).astype(np.uint8)
    )
    rects = _rectangles(ax)
    assert len(rects) == 2
    # Sorted by increasing score: the 0.25 box first, so the order is unchanged here.
    assert [r.get_xy() for r in rects] == [(2.0, 1.0), (0.0, 0.0)]
    assert [(r.get_width(), r.get_height()) for r in rects] == [(5.0, 3.0), (3.0, 3.0)]
    assert [t.get_text() for t in ax.texts] == ["dog: 0.25", "cat: 0.88"]
    assert [t.get_position() for t in ax.texts] == [(2.0, 1.0), (0.0, 0.0)]
    np.testing.assert_allclose(rects[0].get_edgecolor(), (1.0, 0.0, 0.0, 1.0))
    assert not rects[0].get_fill()


def test_vis_bbox_sort_by_score_order_and_colors():
    bbox = np.array([[0, 0, 1, 1], [0, 0, 2, 2], [0, 0, 3, 3]], dtype=np.float32)
    score = np.array([0.5, 0.9, 0.1], dtype=np.float32)
    colors = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]])
    ax = vis_bbox(None, bbox, score=score, instance_colors=colors, alpha=0.5, linewidth=2.0)
    rects = _rectangles(ax)
    assert [r.get_width() for r in rects] == [3.0, 1.0, 2.0]
    assert [t.get_text() for t in ax.texts] == ["0.10", "0.50", "0.90"]
    np.testing.assert_allclose(
        [r.get_edgecolor()[:3] for r in rects], [(0, 0, 1), (1, 0, 0), (0, 1, 0)]
    )
    assert rects[0].get_alpha() == 0.5
    assert rects[0].get_linewidth() == 2.0

    ax = vis_bbox(None, bbox, score=score, sort_by_score=False)
    assert [r.get_width() for r in _rectangles(ax)] == [1.0, 2.0, 3.0]


def test_vis_bbox_label_without_names_and_empty():
    bbox = np.array([[0, 0, 1, 1]], dtype=np.float32)
    ax = vis_bbox(None, bbox, label=np.array([3]))
    assert len(_rectangles(ax)) == 1
    assert len(ax.texts) == 0
    ax = vis_bbox(_image(), np.zeros((0, 4), dtype=np.float32))
    assert len(_rectangles(ax)) == 0
    assert len(ax.images) == 1


def test_vis_bbox_bad_inputs():
    bbox = np.zeros((2, 4), dtype=np.float32)
    with pytest.raises(ValueError, match=r"vis_bbox: bbox must have shape \(R, 4\).*\(2, 5\)"):
        vis_bbox(None, np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"vis_bbox: len\(label\) \(3\) != len\(bbox\) \(2\)"):
        vis_bbox(None, bbox, label=np.zeros(3, dtype=np.int32))
    with pytest.raises(ValueError, match=r"vis_bbox: len\(score\) \(1\) != len\(bbox\) \(2\)"):
        vis_bbox(None, bbox, score=np.zeros(1, dtype=np.float32))
    with pytest.raises(ValueError, match=r"vis_bbox: label 2 has no name.*2 entries"):
        vis_bbox(None, bbox, label=np.array([0, 2]), label_names=("a", "b"))
    with pytest.raises(ValueError, match=r"vis_bbox: label -1 has no name"):
        vis_bbox(None, bbox, label=np.array([-1, 0]), label_names=("a", "b"))
    with pytest.raises(ValueError, match=r"vis_bbox: instance_colors must have shape \(N, 3\)"):
        vis_bbox(None, bbox, instance_colors=np.zeros((2, 4)))


def test_vis_point_draws_visible_points_with_limits():
    img = _image(height=6, width=8)
    point = np.array([[[1, 2], [3, 4], [5, 6]], [[0, 1], [2, 3], [4, 5]]], dtype=np.float32)
    visible = np.array([[True, False, True], [True, True, True]])
    ax = vis_point(img, point, visible)
    offsets = [np.asarray(c.get_offsets()) for c in ax.collections]
    np.testing.assert_array_equal(offsets[0], [[2, 1], [6, 5]])
    np.testing.assert_array_equal(offsets[1], [[1, 0], [3, 2], [5, 4]])
    cmap = plt.get_cmap("gist_rainbow")
    np.testing.assert_allclose(ax.collections[0].get_facecolors(), cmap(np.array([0, 2]) / 3))
    assert ax.get_xlim() == (0.0, 8.0)
    assert ax.get_ylim() == (5.0, 0.0)


def test_vis_point_default_visible_and_bad_inputs():
    point = [np.array([[1.0, 2.0], [3.0, 4.0]])]
    ax = vis_point(None, point)
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), [[2, 1], [4, 3]])
    with pytest.raises(ValueError, match=r"vis_point: point\[0\] must have shape \(K, 2\)"):
        vis_point(None, np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match=r"vis_point: visible\[0\] must have shape \(2,\)"):
        vis_point(None, np.zeros((1, 2, 2)), np.ones((1, 3), dtype=bool))


def test_voc_colormap_values():
    expected = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [64, 0, 0]]
    np.testing.assert_array_equal(voc_colormap([0, 1, 2, 3, 4, 8]), expected)
    np.testing.assert_array_equal(voc_colormap([255]), [[224, 224, 192]])
    with pytest.raises(ValueError, match="voc_colormap: label ids must be >= 0"):
        voc_colormap([-1])


def test_vis_semantic_segmentation_canvas_and_legend():
    label = np.array([[0, 1, -1], [2, 2, 0]], dtype=np.int32)
    colors = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]])
    names = ("a", "b", "c", "d")
    ax, handles = vis_semantic_segmentation(
        _image(2, 3), label, names, colors, ignore_label_color=(51, 51, 51), alpha=0.5
    )
    assert len(ax.images) == 2
    canvas = np.asarray(ax.images[1].get_array())
    expected = np.empty((2, 3, 4))
    expected[..., :3] = np.where(label[..., None] >= 0, colors[label] / 255, 0.2)
    expected[..., 3] = 0.5
    np.testing.assert_allclose(canvas, expected)
    assert [h.get_label() for h in handles] == ["a", "b", "c"]
    np.testing.assert_allclose(handles[2].get_facecolor()[:3], (0, 0, 1))

    _, handles = vis_semantic_segmentation(None, label, names, all_label_names_in_legend=True)
    assert [h.get_label() for h in handles] == ["a", "b", "c", "d"]
    np.testing.assert_allclose(handles[1].get_facecolor()[:3], np.array([128, 0, 0]) / 255)


def test_vis_semantic_segmentation_default_names_and_bad_inputs():
    label = np.array([[0, 1]], dtype=np.int32)
    _, handles = vis_semantic_segmentation(None, label)
    assert [h.get_label() for h in handles] == ["0", "1"]
    with pytest.raises(ValueError, match=r"len\(label_colors\) \(1\) != len\(label_names\) \(2\)"):
        vis_semantic_segmentation(None, label, ("a", "b"), [[0, 0, 0]])
    with pytest.raises(ValueError, match=r"label contains 1 but there are only 1 classes"):
        vis_semantic_segmentation(None, label, ("a",))
    with pytest.raises(ValueError, match=r"label must have shape \(H, W\)"):
        vis_semantic_segmentation(None, np.zeros(3, dtype=np.int32))
