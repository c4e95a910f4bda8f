"""Unit tests of SSD's parts: MultiboxCoder, multibox_loss, Normalize, Multibox, presets."""

import numpy
import pytest

import kusari
from kusari_cv.links.model.ssd import (
    SSD300,
    GradientScaling,
    Multibox,
    MultiboxCoder,
    Normalize,
    multibox_loss,
)


def _coder():
    return MultiboxCoder(
        grids=(4, 2),
        aspect_ratios=((2,), (2, 3)),
        steps=(8, 16),
        sizes=(10, 20, 30),
        variance=(0.1, 0.2),
    )


def test_default_bbox_layout():
    default = _coder()._default_bbox
    assert default.shape == (4 * 4 * 4 + 2 * 2 * 6, 4)
    numpy.testing.assert_allclose(default[0], (4, 4, 10, 10))
    numpy.testing.assert_allclose(default[1], (4, 4, numpy.sqrt(200), numpy.sqrt(200)))
    numpy.testing.assert_allclose(default[2], (4, 4, 10 / numpy.sqrt(2), 10 * numpy.sqrt(2)))
    numpy.testing.assert_allclose(default[3], (4, 4, 10 * numpy.sqrt(2), 10 / numpy.sqrt(2)))
    numpy.testing.assert_allclose(default[4], (4, 12, 10, 10))
    numpy.testing.assert_allclose(default[64 + 6 * 2], (24, 8, 20, 20))


def test_encode_decode_round_trip():
    coder = _coder()
    bbox = numpy.array([[2, 3, 14, 11], [10, 12, 31, 30]], dtype=numpy.float32)
    label = numpy.array([3, 0], dtype=numpy.int32)
    mb_loc, mb_label = coder.encode(bbox, label)
    assert mb_loc.dtype == numpy.float32 and mb_label.dtype == numpy.int32
    assert set(numpy.unique(mb_label)) <= {0, 1, 4}
    assert (mb_label == 4).any() and (mb_label == 1).any()
    # Logits that make every matched default box certain of its label.
    mb_conf = numpy.full((len(mb_label), 5), -20, dtype=numpy.float32)
    mb_conf[numpy.arange(len(mb_label)), mb_label] = 20
    out_bbox, out_label, out_score = coder.decode(mb_loc, mb_conf, 0.45, 0.5)
    numpy.testing.assert_array_equal(out_label, [0, 3])
    numpy.testing.assert_allclose(out_bbox, bbox[::-1], atol=1e-4)
    numpy.testing.assert_allclose(out_score, 1, atol=1e-6)


def test_encode_empty_and_bipartite():
    coder = _coder()
    mb_loc, mb_label = coder.encode(numpy.zeros((0, 4), numpy.float32), numpy.zeros(0, numpy.int32))
    assert not mb_loc.any() and not mb_label.any()
    # A tiny box overlaps no default box by 0.5 but still takes its best one.
    mb_loc, mb_label = coder.encode(
        numpy.array([[3, 3, 5, 5]], numpy.float32), numpy.array([2], numpy.int32)
    )
    assert (mb_label == 3).sum() == 1


def test_decode_bad_shape():
    with pytest.raises(ValueError, match="MultiboxCoder.decode"):
        _coder().decode(numpy.zeros((3, 4)), numpy.zeros((3, 5)))
    with pytest.raises(ValueError, match="sizes"):
        MultiboxCoder((4,), ((2,),), (8,), (10,), (0.1, 0.2))


def _numpy_loss(mb_locs, mb_confs, gt_locs, gt_labels, k):
    positive = gt_labels > 0
    n_pos = positive.sum()
    d = numpy.abs(mb_locs - gt_locs)
    huber = numpy.where(d < 1, 0.5 * d**2, d - 0.5).sum(axis=-1)
    loc = (huber * positive).sum() / n_pos
    logp = mb_confs - numpy.log(numpy.exp(mb_confs).sum(axis=-1, keepdims=True))
    ce = -numpy.take_along_axis(logp, gt_labels[..., None], axis=-1)[..., 0]
    mask = positive.copy()
    for b in range(len(ce)):
        neg = numpy.nonzero(~positive[b])[0]
        hardest = neg[numpy.argsort(-ce[b, neg], kind="stable")[: int(positive[b].sum() * k)]]
        mask[b, hardest] = True
    return loc, (ce * mask).sum() / n_pos


def test_multibox_loss_tiny():
    rng = numpy.random.RandomState(0)
    mb_locs = rng.uniform(-2, 2, (2, 6, 4)).astype(numpy.float32)
    mb_confs = rng.uniform(-2, 2, (2, 6, 3)).astype(numpy.float32)
    gt_locs = rng.uniform(-2, 2, (2, 6, 4)).astype(numpy.float32)
    gt_labels = numpy.array([[0, 1, 0, 0, 0, 0], [2, 0, 0, 1, 0, 0]], dtype=numpy.int32)
    mb_locs_v = kusari.Variable(mb_locs)
    loc, conf = multibox_loss(mb_locs_v, mb_confs, gt_locs, gt_labels, 1)
    loc_ref, conf_ref = _numpy_loss(mb_locs, mb_confs, gt_locs, gt_labels, 1)
    numpy.testing.assert_allclose(loc.array, loc_ref, rtol=1e-5)
    numpy.testing.assert_allclose(conf.array, conf_ref, rtol=1e-5)
    (loc + conf).backward()
    assert mb_locs_v.grad[0, 0].sum() == 0 and mb_locs_v.grad[0, 1].any()
    loc, conf = multibox_loss(mb_locs, mb_confs, gt_locs, numpy.zeros((2, 6), numpy.int32), 3)
    assert float(loc.array) == 0 and float(conf.array) == 0


def test_normalize():
    x = numpy.random.RandomState(1).randn(2, 3, 2, 2).astype(numpy.float32)
    link = Normalize(3, initial=numpy.array([1, 2, 3], numpy.float32))
    expected = x / (numpy.sqrt((x**2).sum(axis=1, keepdims=True)) + 1e-5)
    expected *= numpy.array([1, 2, 3], numpy.float32)[:, None, None]
    numpy.testing.assert_allclose(link(x).array, expected, rtol=1e-5)
    with pytest.raises(ValueError, match="Normalize"):
        link(numpy.zeros((1, 4, 2, 2), numpy.float32))


def test_normalize_gradient_is_finite_where_all_channels_are_zero():
    # conv4_3 comes out of a ReLU: a pixel that is zero in every channel must not turn the
    # gradients into NaN (the training run would go NaN after its first update).
    x = numpy.random.RandomState(2).rand(1, 3, 2, 2).astype(numpy.float32)
    x[0, :, 1, 1] = 0
    v = kusari.Variable(x)
    y = Normalize(3, initial=2)(v)
    y.grad = numpy.ones_like(x)
    y.backward()
    assert numpy.isfinite(v.grad).all()
    numpy.testing.assert_allclose(v.grad[0, :, 1, 1], 2 / 1e-5, rtol=1e-6)


def test_multibox_shapes_and_order():
    head = Multibox(n_class=3, aspect_ratios=((2,), (2, 3)))
    xs = [numpy.ones((2, 5, 3, 3), numpy.float32), numpy.ones((2, 7, 1, 1), numpy.float32)]
    locs, confs = head(xs)
    assert locs.shape == (2, 3 * 3 * 4 + 6, 4) and confs.shape == (2, 3 * 3 * 4 + 6, 3)
    raw = head.conf[1](xs[1]).array
    numpy.testing.assert_allclose(confs.array[:, 36:], raw.reshape(2, 6, 3))


def test_gradient_scaling():
    param = kusari.Parameter(numpy.ones(3, numpy.float32))
    param.grad = numpy.full(3, 2, numpy.float32)
    GradientScaling(0.5)(None, param)
    numpy.testing.assert_array_equal(param.grad, [1, 1, 1])


def test_ssd300_arguments():
    with pytest.raises(ValueError, match="n_fg_class"):
        SSD300()
    with pytest.raises(ValueError, match="voc0712"):
        SSD300(n_fg_class=20, pretrained_model="voc2077")
    with pytest.raises(ValueError, match="n_fg_class=20"):
        SSD300(n_fg_class=5, pretrained_model="voc0712")
    model = SSD300(n_fg_class=2)
    with pytest.raises(ValueError, match="preset"):
        model.use_preset("fast")
    model.use_preset("evaluate")
    assert (model.nms_thresh, model.score_thresh) == (0.45, 0.01)
    assert model.insize == 300 and model.n_fg_class == 2
