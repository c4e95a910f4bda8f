"""kusari_rl.misc: batching states, seeding, parameter copies and the non-finite check."""

import random

import numpy as np
import pytest

import kusari
import kusari.links as L
from kusari_rl import misc


def test_batch_states_applies_phi_and_casts_float64_to_float32():
    states = [np.arange(3, dtype=np.float64) + i for i in range(4)]
    batch = misc.batch_states(states, np, lambda s: s * 2)
    assert batch.dtype == np.float32
    np.testing.assert_array_equal(batch, np.stack(states).astype(np.float32) * 2)


def test_batch_states_keeps_integer_observations_and_stacks_tuples():
    ints = misc.batch_states([np.array([1, 2]), np.array([3, 4])], np, lambda s: s)
    assert ints.dtype.kind == "i"
    pairs = misc.batch_states(
        [(np.zeros(2), np.ones(1, np.float32)), (np.ones(2), np.zeros(1, np.float32))],
        np,
        lambda s: s,
    )
    assert isinstance(pairs, tuple)
    assert pairs[0].shape == (2, 2) and pairs[0].dtype == np.float32
    assert pairs[1].shape == (2, 1)


def test_set_random_seed_makes_python_and_numpy_repeat():
    misc.set_random_seed(7)
    first = (random.random(), np.random.rand())
    misc.set_random_seed(7)
    assert (random.random(), np.random.rand()) == first
    with pytest.raises(ValueError, match="set_random_seed: seed must be in"):
        misc.set_random_seed(-1)


def _pair():
    rng = np.random.default_rng(0)
    src = kusari.Sequential(L.Linear(3, 4), L.BatchNormalization(4))
    dst = kusari.Sequential(L.Linear(3, 4), L.BatchNormalization(4))
    for link in (src, dst):
        for p in link.params():
            p.array[...] = rng.normal(size=p.shape)
    src[1].avg_mean[...] = 3.0
    return src, dst


def test_hard_copy_copies_parameters_and_persistent_arrays():
    src, dst = _pair()
    misc.synchronize_parameters(src, dst, "hard")
    for (name, p), (_, q) in zip(sorted(src.namedparams()), sorted(dst.namedparams()), strict=True):
        np.testing.assert_array_equal(p.array, q.array, err_msg=name)
    np.testing.assert_array_equal(dst[1].avg_mean, src[1].avg_mean)
    src[0].W.array[...] = 0
    assert np.abs(dst[0].W.array).sum() > 0


def test_soft_copy_moves_the_target_by_tau():
    src, dst = _pair()
    before = {n: p.array.copy() for n, p in dst.namedparams()}
    misc.synchronize_parameters(src, dst, "soft", tau=0.25)
    for name, p in src.namedparams():
        expected = 0.75 * before[name] + 0.25 * p.array
        np.testing.assert_allclose(dict(dst.namedparams())[name].array, expected, rtol=1e-6)


def test_synchronize_rejects_unknown_methods_and_mismatched_links():
    src, dst = _pair()
    with pytest.raises(ValueError, match="method must be 'hard' or 'soft', got 'warm'"):
        misc.synchronize_parameters(src, dst, "warm")
    with pytest.raises(ValueError, match="needs tau"):
        misc.synchronize_parameters(src, dst, "soft")
    with pytest.raises(ValueError, match=r"tau must be in \[0, 1\], got 2"):
        misc.soft_copy_param(dst, src, 2)
    with pytest.raises(ValueError, match="differ in parameters"):
        misc.copy_param(L.Linear(3, 4), L.Linear(3, 4, nobias=True))


def test_check_finite_names_what_was_not_finite():
    misc.check_finite(np.ones(3), "ok")
    misc.check_finite(np.array([1, 2]), "ints are always finite")
    with pytest.raises(misc.NonFiniteError, match="DQN loss at update 3 is not finite: nan"):
        misc.check_finite(kusari.Variable(np.array(np.nan, np.float32)), "DQN loss at update 3")
    with pytest.raises(FloatingPointError, match="1 of 3 values are NaN or infinite"):
        misc.check_finite(np.array([1.0, np.inf, 2.0]), "observation")
