import numpy
import pytest

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import serializers
from kusari_rl.links import (
    MLP,
    MLPBN,
    Branched,
    EmpiricalNormalization,
    FactorizedNoisyLinear,
    Sequence,
    to_factorized_noisy,
)


def _x(*shape, seed=0):
    return numpy.random.RandomState(seed).uniform(-1, 1, shape).astype(numpy.float32)


def _round_trip(tmp_path, src, dst):
    path = str(tmp_path / "link.npz")
    serializers.save_npz(path, src)
    serializers.load_npz(path, dst)


# -- MLP / MLPBN -------------------------------------------------------------------------------


def test_mlp_matches_numpy_and_registers_its_layers():
    mlp = MLP(3, 2, [5, 4], nonlinearity=F.tanh)
    x = _x(6, 3)
    h = x
    for layer in mlp.hidden_layers:
        h = numpy.tanh(h @ layer.W.array.T + layer.b.array)
    expected = h @ mlp.output.W.array.T + mlp.output.b.array
    numpy.testing.assert_allclose(mlp(x).array, expected, rtol=1e-5)
    assert sorted(name for name, _ in mlp.namedparams()) == [
        "/hidden_layers/0/W",
        "/hidden_layers/0/b",
        "/hidden_layers/1/W",
        "/hidden_layers/1/b",
        "/output/W",
        "/output/b",
    ]


def test_mlp_without_hidden_layers_and_lazy_input_size():
    mlp = MLP(None, 2, [])
    assert not hasattr(mlp, "hidden_layers")
    assert mlp(_x(4, 7)).shape == (4, 2)
    assert mlp.output.W.shape == (2, 7)


def test_mlp_bad_hidden_sizes():
    with pytest.raises(TypeError, match="MLP: hidden_sizes must be a sequence of ints, got int"):
        MLP(3, 2, 5)
    with pytest.raises(ValueError, match=r"MLP: hidden sizes must be positive ints, got \[4, -1\]"):
        MLP(3, 2, [4, -1])


def test_mlp_bn_shapes_and_statistics():
    mlp = MLPBN(3, 2, [4], normalize_output=True)
    x = _x(8, 3)
    assert mlp(x).shape == (8, 2)
    assert not numpy.allclose(mlp.input_bn.avg_mean, 0)
    with kusari.using_config("train", False):
        assert mlp(x[:1]).shape == (1, 2)


# -- Sequence / Branched -----------------------------------------------------------------------


def test_sequence_calls_links_and_functions_in_order():
    l1, l2 = L.Linear(3, 4), L.Linear(4, 2)
    seq = Sequence(l1, F.relu, l2, lambda h: h * 2)
    x = _x(5, 3)
    expected = 2 * l2(F.relu(l1(x))).array
    numpy.testing.assert_allclose(seq(x).array, expected, rtol=1e-6)
    assert list(seq) == [l1, l2]
    assert len(list(seq.params())) == 4


def test_sequence_passes_keyword_arguments_to_layers_that_take_them():
    seen = []

    def scaled(h, scale=1.0):
        seen.append(scale)
        return h * scale

    def anything(h, **kwargs):
        seen.append(sorted(kwargs))
        return h

    seq = Sequence(L.Linear(2, 2), scaled, anything, F.relu)
    x = _x(3, 2)
    y = seq(x, scale=3.0)
    assert seen == [3.0, ["scale"]]
    numpy.testing.assert_allclose(y.array, F.relu(seq[0](x) * 3.0).array, rtol=1e-6)


def test_sequence_round_trip_and_bad_layer(tmp_path):
    src = Sequence(L.Linear(3, 4), F.relu, L.Linear(4, 2))
    dst = Sequence(L.Linear(3, 4), F.relu, L.Linear(4, 2))
    _round_trip(tmp_path, src, dst)
    x = _x(2, 3)
    numpy.testing.assert_array_equal(src(x).array, dst(x).array)
    with pytest.raises(TypeError, match="Sequence: layer 1 must be a link or a callable, got int"):
        Sequence(L.Linear(3, 4), 3)


def test_branched_returns_a_tuple_of_every_child_output():
    a, b = L.Linear(3, 2), L.Linear(3, 1)
    ya, yb = Branched(a, b)(_x(4, 3))
    numpy.testing.assert_array_equal(ya.array, a(_x(4, 3)).array)
    numpy.testing.assert_array_equal(yb.array, b(_x(4, 3)).array)


# -- EmpiricalNormalization --------------------------------------------------------------------


def test_empirical_normalization_statistics_match_numpy():
    norm = EmpiricalNormalization(3)
    batches = [_x(5, 3, seed=i) * (i + 1) + i for i in range(4)]
    for i, batch in enumerate(batches):
        y = norm(batch)
        seen = numpy.concatenate(batches[: i + 1])
        mean, var = seen.mean(axis=0), seen.var(axis=0)
        numpy.testing.assert_allclose(norm.mean, mean, rtol=1e-5, atol=1e-6)
        numpy.testing.assert_allclose(norm.std, numpy.sqrt(var), rtol=1e-5)
        numpy.testing.assert_allclose(
            y, (batch - mean) / numpy.sqrt(var + 1e-2), rtol=1e-4, atol=1e-5
        )
    assert norm.count == 20


def test_empirical_normalization_update_flag_until_and_inverse():
    norm = EmpiricalNormalization(2, until=4)
    norm(_x(3, 2))
    mean = norm.mean
    y = norm(_x(2, 2, seed=1), update=False)
    numpy.testing.assert_array_equal(norm.mean, mean)
    numpy.testing.assert_allclose(norm.inverse(y), _x(2, 2, seed=1), rtol=1e-5, atol=1e-6)
    norm(_x(3, 2, seed=2))
    assert norm.count == 6
    mean = norm.mean
    norm(_x(3, 2, seed=3))
    assert norm.count == 6
    numpy.testing.assert_array_equal(norm.mean, mean)


def test_empirical_normalization_clip_and_batch_axis():
    norm = EmpiricalNormalization(2, clip_threshold=0.5)
    y = norm(numpy.array([[-10, 0], [10, 1]], numpy.float32))
    assert numpy.abs(y).max() == pytest.approx(0.5)
    by_column = EmpiricalNormalization(4, batch_axis=1)
    x = _x(4, 6)
    by_column(x)
    numpy.testing.assert_allclose(by_column.mean, x.mean(axis=1), rtol=1e-5, atol=1e-6)


def test_empirical_normalization_accepts_variables():
    norm = EmpiricalNormalization(2, clip_threshold=5.0)
    x = kusari.Variable(_x(4, 2))
    y = norm(x)
    assert isinstance(y, kusari.Variable)
    F.sum(y).backward()
    numpy.testing.assert_allclose(
        x.grad, numpy.broadcast_to((norm.std**2 + 1e-2) ** -0.5, (4, 2)), rtol=1e-5
    )


def test_empirical_normalization_round_trip_keeps_statistics(tmp_path):
    src = EmpiricalNormalization(3)
    src(_x(7, 3) * 4 + 1)
    dst = EmpiricalNormalization(3)
    _round_trip(tmp_path, src, dst)
    assert dst.count == 7 and isinstance(dst.count, int)
    numpy.testing.assert_array_equal(dst.mean, src.mean)
    numpy.testing.assert_array_equal(dst.std, src.std)
    x = _x(2, 3, seed=1)
    numpy.testing.assert_array_equal(dst(x, update=False), src(x, update=False))


def test_empirical_normalization_bad_inputs():
    norm = EmpiricalNormalization((2, 3))
    with pytest.raises(
        ValueError,
        match=r"EmpiricalNormalization.experience: expected values of "
        r"shape \(2, 3\) along batch axis 0, got an input of shape \(4, 3, 2\)",
    ):
        norm(_x(4, 3, 2))
    with pytest.raises(ValueError, match=r"EmpiricalNormalization.__call__: expected values"):
        norm(_x(4, 3), update=False)
    with pytest.raises(ValueError, match="clip_threshold must be positive or None, got 0"):
        EmpiricalNormalization(2, clip_threshold=0)


# -- FactorizedNoisyLinear ---------------------------------------------------------------------


def _f(e):
    return numpy.sign(e) * numpy.sqrt(numpy.abs(e))


def test_noisy_linear_initialization():
    noisy = FactorizedNoisyLinear(L.Linear(16, 4), sigma_scale=0.5)
    bound = 1 / numpy.sqrt(16)
    assert numpy.abs(noisy.mu.W.array).max() <= bound
    assert noisy.mu.W.array.std() > bound / 4
    numpy.testing.assert_array_equal(noisy.mu.b.array, numpy.zeros(4))
    numpy.testing.assert_allclose(noisy.sigma.W.array, numpy.full((4, 16), 0.5 / 4))
    numpy.testing.assert_allclose(noisy.sigma.b.array, numpy.full(4, 0.5 / 2))


def test_noisy_linear_forward_matches_numpy_with_the_same_noise():
    noisy = FactorizedNoisyLinear(L.Linear(3, 2))
    noisy.mu.b.array[...] = [0.3, -0.2]
    x = _x(5, 3)
    numpy.random.seed(7)
    y = noisy(x)
    numpy.random.seed(7)
    eps = _f(numpy.random.standard_normal(5).astype(numpy.float32))
    eps_in, eps_out = eps[:3], eps[3:]
    W = noisy.mu.W.array + noisy.sigma.W.array * numpy.outer(eps_out, eps_in)
    b = noisy.mu.b.array + noisy.sigma.b.array * eps_out
    numpy.testing.assert_allclose(y.array, x @ W.T + b, rtol=1e-5, atol=1e-6)


def test_noisy_linear_resamples_noise_at_every_call_and_trains_both_parts():
    noisy = FactorizedNoisyLinear(L.Linear(3, 2))
    x = _x(4, 3)
    y1, y2 = noisy(x), noisy(x)
    assert not numpy.allclose(y1.array, y2.array)
    F.sum(y1).backward()
    for p in (noisy.mu.W, noisy.mu.b, noisy.sigma.W, noisy.sigma.b):
        assert p.grad is not None and numpy.any(p.grad != 0)


def test_noisy_linear_without_bias_and_lazy_input_size():
    noisy = FactorizedNoisyLinear(L.Linear(None, 2, nobias=True))
    assert noisy.mu.b is None and noisy.sigma.b is None
    assert noisy(_x(3, 2, 2)).shape == (3, 2)
    assert noisy.mu.W.shape == (2, 4) and noisy.sigma.W.shape == (2, 4)
    numpy.testing.assert_allclose(noisy.sigma.W.array, numpy.full((2, 4), 0.4 / 2))


def test_noisy_linear_round_trip(tmp_path):
    src = FactorizedNoisyLinear(L.Linear(3, 2))
    src.sigma.W.array[...] = 0.123
    dst = FactorizedNoisyLinear(L.Linear(3, 2))
    _round_trip(tmp_path, src, dst)
    for (name, p), (_, q) in zip(src.namedparams(), dst.namedparams(), strict=True):
        numpy.testing.assert_array_equal(p.array, q.array, err_msg=name)


def test_noisy_linear_bad_input():
    with pytest.raises(TypeError, match="FactorizedNoisyLinear: mu_link must be a Linear"):
        FactorizedNoisyLinear(L.Convolution2D(1, 1, 1))


class _Net(kusari.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.body = kusari.ChainList(L.Linear(3, 4), MLP(4, 4, [4]))
            self.seq = Sequence(L.Linear(4, 4), F.relu)
            self.sequential = kusari.Sequential(F.tanh, L.Linear(4, 2))
            self.bn = L.BatchNormalization(4)

    def forward(self, x):
        h = self.body[1](self.body[0](x))
        return self.sequential(self.seq(self.bn(h)))


def test_to_factorized_noisy_replaces_every_linear_in_place():
    net = _Net()
    n_linears = sum(isinstance(link, L.Linear) for link in net.links())
    to_factorized_noisy(net, sigma_scale=0.7)
    noisy = [link for link in net.links() if isinstance(link, FactorizedNoisyLinear)]
    assert len(noisy) == n_linears == 5
    linears = [path for path, link in net.namedlinks() if isinstance(link, L.Linear)]
    assert len(linears) == 10 and all(p.endswith(("/mu", "/sigma")) for p in linears)
    assert isinstance(net.body[0], FactorizedNoisyLinear)
    assert isinstance(net.body[1].output, FactorizedNoisyLinear)
    assert net.seq.layers[0] is net.seq[0] and isinstance(net.seq[0], FactorizedNoisyLinear)
    assert isinstance(net.sequential[1], FactorizedNoisyLinear) and net.sequential[0] is F.tanh
    assert isinstance(net.bn, L.BatchNormalization)
    sigma_w = net.body[0].sigma.W.array
    numpy.testing.assert_allclose(sigma_w, numpy.full((4, 3), 0.7 / numpy.sqrt(3)))
    assert net(_x(5, 3)).shape == (5, 2)
    names = {name for name, _ in net.namedparams()}
    assert "/seq/0/sigma/W" in names and "/body/1/output/mu/b" in names


def test_to_factorized_noisy_bad_inputs():
    with pytest.raises(TypeError, match="to_factorized_noisy: expected a Link, got function"):
        to_factorized_noisy(F.relu)
    with pytest.raises(ValueError, match="cannot replace the given Linear itself"):
        to_factorized_noisy(L.Linear(2, 2))
