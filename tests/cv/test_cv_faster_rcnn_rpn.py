import numpy as np
import pytest

import kusari
import kusari.functions as F
from kusari import initializers
from kusari_cv.links.model.faster_rcnn import RegionProposalNetwork, generate_anchor_base


@pytest.fixture(scope="module")
def rpn():
    init = initializers.Normal(0.1, rng=np.random.RandomState(0))
    return RegionProposalNetwork(
        in_channels=6,
        mid_channels=5,
        ratios=(0.5, 1),
        anchor_scales=(2, 4),
        feat_stride=8,
        initialW=init,
        proposal_creator_params={"n_test_post_nms": 10, "min_size": 4},
    )


def _x():
    return np.random.default_rng(0).normal(size=(2, 6, 3, 4)).astype(np.float32)


def test_rpn_output_shapes_and_anchor_layout(rpn):
    with kusari.using_config("train", False):
        rpn_locs, rpn_scores, rois, roi_indices, anchor = rpn(_x(), (24, 32), scales=[1.0, 2.0])
    n_anchor = 3 * 4 * 4
    assert rpn_locs.shape == (2, n_anchor, 4)
    assert rpn_scores.shape == (2, n_anchor, 2)
    assert anchor.shape == (n_anchor, 4) and anchor.dtype == np.float32
    # ChainerCV keeps base_size 16 whatever the stride.
    base = generate_anchor_base(16, (0.5, 1), (2, 4))
    expected = np.array(
        [
            base[a] + np.array([y * 8, x * 8, y * 8, x * 8])
            for y in range(3)
            for x in range(4)
            for a in range(4)
        ],
        dtype=np.float32,
    )
    np.testing.assert_array_equal(anchor, expected)
    assert len(rois) > 0 and rois.dtype == np.float32 and roi_indices.dtype == np.int32
    assert rois.shape == (len(roi_indices), 4)
    assert set(np.unique(roi_indices)) <= {0, 1}
    assert (np.diff(roi_indices) >= 0).all()
    assert (rois >= 0).all() and (rois[:, 0::2] <= 24).all() and (rois[:, 1::2] <= 32).all()
    assert (roi_indices == 0).sum() <= 10 and (roi_indices == 1).sum() <= 10


def test_rpn_outputs_match_convolutions_and_proposal_layer(rpn):
    x = _x()
    with kusari.using_config("train", False):
        rpn_locs, rpn_scores, rois, roi_indices, anchor = rpn(x, (24, 32), scales=[1.0, 2.0])
        h = F.relu(rpn.conv1(x))
        loc_map = rpn.loc(h).array
        score_map = rpn.score(h).array
    n_anchor = 4
    for b in range(2):
        for y in range(3):
            for xx in range(4):
                for a in range(n_anchor):
                    k = (y * 4 + xx) * n_anchor + a
                    np.testing.assert_array_equal(
                        rpn_locs.array[b, k], loc_map[b, a * 4 : a * 4 + 4, y, xx]
                    )
                    np.testing.assert_array_equal(
                        rpn_scores.array[b, k], score_map[b, a * 2 : a * 2 + 2, y, xx]
                    )
        with kusari.using_config("train", False):
            expected = rpn.proposal_layer(
                rpn_locs.array[b], rpn_scores.array[b, :, 1], anchor, (24, 32), scale=[1.0, 2.0][b]
            )
        np.testing.assert_array_equal(rois[roi_indices == b], expected)


def test_rpn_scalar_scale_and_gradients(rpn):
    x = kusari.Variable(_x())
    rpn_locs, rpn_scores, _, _, _ = rpn(x, (24, 32), scales=1.0)
    rpn.cleargrads()
    (F.sum(rpn_locs) + F.sum(rpn_scores * rpn_scores)).backward()
    assert rpn.conv1.W.grad is not None and np.abs(rpn.conv1.W.grad).sum() > 0
    assert x.grad is not None and x.grad.shape == x.shape


def test_rpn_bad_input(rpn):
    with pytest.raises(ValueError, match="2 scales"):
        rpn(_x(), (24, 32), scales=[1.0])
    with pytest.raises(ValueError, match="RegionProposalNetwork"):
        rpn(np.zeros((6, 3, 4), np.float32), (24, 32))


def test_rpn_link_names():
    rpn = RegionProposalNetwork(4, 3, feat_stride=16)
    names = sorted(name for name, _ in rpn.namedparams())
    assert names == ["/conv1/W", "/conv1/b", "/loc/W", "/loc/b", "/score/W", "/score/b"]
    assert rpn.score.W.shape == (18, 3, 1, 1) and rpn.loc.W.shape == (36, 3, 1, 1)
