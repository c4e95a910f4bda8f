import numpy
import pytest
from scipy import special, stats

import kusari
import kusari.functions as F
from kusari import gradient_check
from kusari_rl.distribution import (
    CategoricalDistribution,
    ContinuousDeterministicDistribution,
    Distribution,
    GaussianDistribution,
    SoftmaxDistribution,
    SquashedGaussianDistribution,
    sample_discrete_actions,
)


@pytest.fixture(autouse=True)
def _seed():
    numpy.random.seed(0)


def _softmax_ref(logits, beta=1.0, min_prob=0.0):
    p = special.softmax(beta * logits.astype(numpy.float64), axis=1)
    return p * (1 - min_prob * logits.shape[1]) + min_prob


def _gaussian_params(b=4, a=3, dtype=numpy.float64):
    mean = numpy.random.uniform(-1, 1, (b, a)).astype(dtype)
    var = numpy.random.uniform(0.2, 2.0, (b, a)).astype(dtype)
    return mean, var


# -- softmax -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("beta", "min_prob"), [(1.0, 0.0), (2.5, 0.0), (1.0, 0.05), (0.5, 0.1)])
def test_softmax_probabilities_match_reference(beta, min_prob):
    logits = numpy.random.randn(5, 4).astype(numpy.float32)
    d = SoftmaxDistribution(logits, beta=beta, min_prob=min_prob)
    expected = _softmax_ref(logits, beta, min_prob)
    numpy.testing.assert_allclose(d.all_prob.array, expected, rtol=1e-5)
    numpy.testing.assert_allclose(d.all_log_prob.array, numpy.log(expected), rtol=1e-5, atol=1e-6)
    x = numpy.array([0, 3, 1, 2, 3], numpy.int32)
    numpy.testing.assert_allclose(d.prob(x).array, expected[numpy.arange(5), x], rtol=1e-5)
    numpy.testing.assert_allclose(
        d.log_prob(x).array, numpy.log(expected[numpy.arange(5), x]), rtol=1e-5
    )
    numpy.testing.assert_allclose(d.entropy.array, stats.entropy(expected, axis=1), rtol=1e-5)
    numpy.testing.assert_array_equal(d.most_probable.array, expected.argmax(axis=1))
    assert d.most_probable.dtype == numpy.int32


def test_softmax_kl_matches_reference():
    p_logits = numpy.random.randn(3, 5).astype(numpy.float32)
    q_logits = numpy.random.randn(3, 5).astype(numpy.float32)
    kl = SoftmaxDistribution(p_logits).kl(SoftmaxDistribution(q_logits))
    expected = special.rel_entr(_softmax_ref(p_logits), _softmax_ref(q_logits)).sum(axis=1)
    numpy.testing.assert_allclose(kl.array, expected, rtol=1e-4, atol=1e-6)


def test_softmax_samples_follow_probabilities():
    logits = numpy.tile(numpy.array([[0.0, 1.0, -1.0, 0.5]], numpy.float32), (20000, 1))
    d = SoftmaxDistribution(logits, beta=1.5)
    actions = d.sample().array
    assert actions.dtype == numpy.int32 and actions.shape == (20000,)
    freq = numpy.bincount(actions, minlength=4) / len(actions)
    numpy.testing.assert_allclose(freq, _softmax_ref(logits[:1], 1.5)[0], atol=0.015)


def test_softmax_samples_with_min_prob_reach_every_action():
    logits = numpy.tile(numpy.array([[0.0, 50.0, -50.0]], numpy.float32), (20000, 1))
    actions = SoftmaxDistribution(logits, min_prob=0.1).sample().array
    freq = numpy.bincount(actions, minlength=3) / len(actions)
    numpy.testing.assert_allclose(freq, [0.1, 0.8, 0.1], atol=0.015)


def test_sample_discrete_actions_follows_probabilities():
    probs = numpy.tile(numpy.array([[0.2, 0.0, 0.8]]), (20000, 1))
    actions = sample_discrete_actions(probs)
    freq = numpy.bincount(actions, minlength=3) / len(actions)
    numpy.testing.assert_allclose(freq, [0.2, 0.0, 0.8], atol=0.015)


@pytest.mark.parametrize("min_prob", [0.0, 0.05])
def test_softmax_gradients(min_prob):
    logits = numpy.random.randn(3, 4)
    other = numpy.random.randn(3, 4)
    x = numpy.array([0, 2, 3])

    def f(z):
        d = SoftmaxDistribution(z, beta=1.3, min_prob=min_prob)
        return d.log_prob(x), d.entropy, d.kl(SoftmaxDistribution(other))

    gy = tuple(numpy.random.randn(3) for _ in range(3))
    gradient_check.check_backward(f, logits, gy, atol=1e-6, rtol=1e-5)


def test_softmax_kl_gradient_reaches_both_sides():
    p, q = numpy.random.randn(2, 3), numpy.random.randn(2, 3)
    gradient_check.check_backward(
        lambda a, b: SoftmaxDistribution(a).kl(SoftmaxDistribution(b)),
        (p, q),
        numpy.ones(2),
        atol=1e-6,
        rtol=1e-5,
    )


def test_softmax_entropy_read_without_backprop_keeps_its_graph():
    logits = kusari.Variable(numpy.random.randn(2, 3).astype(numpy.float32))
    d = SoftmaxDistribution(logits)
    with kusari.no_backprop_mode():
        first = d.entropy
    F.sum(first).backward()
    assert logits.grad is not None and numpy.abs(logits.grad).sum() > 0


def test_softmax_copy_is_cut_from_the_graph():
    logits = kusari.Variable(numpy.random.randn(2, 3).astype(numpy.float32))
    d = SoftmaxDistribution(logits * 2.0, beta=0.5, min_prob=0.1)
    c = d.copy()
    assert c.logits.creator is None and c.beta == 0.5 and c.min_prob == 0.1
    numpy.testing.assert_array_equal(c.all_prob.array, d.all_prob.array)
    assert c.params[0] is c.logits
    assert isinstance(c, CategoricalDistribution) and isinstance(c, Distribution)


def test_softmax_bad_input():
    with pytest.raises(ValueError, match=r"SoftmaxDistribution: logits must have shape \(B, N\)"):
        SoftmaxDistribution(numpy.zeros(3, numpy.float32))
    with pytest.raises(ValueError, match="SoftmaxDistribution: min_prob must be in"):
        SoftmaxDistribution(numpy.zeros((1, 4), numpy.float32), min_prob=0.3)
    with pytest.raises(TypeError, match="SoftmaxDistribution: logits must be a kusari.Variable"):
        SoftmaxDistribution([[0.0, 1.0]])
    with pytest.raises(TypeError, match="SoftmaxDistribution: logits must be a float array"):
        SoftmaxDistribution(numpy.zeros((1, 4), numpy.int32))
    d = SoftmaxDistribution(numpy.zeros((2, 3), numpy.float32))
    with pytest.raises(TypeError, match="SoftmaxDistribution.log_prob: actions must be an int"):
        d.log_prob(numpy.zeros(2, numpy.float32))
    with pytest.raises(TypeError, match="SoftmaxDistribution.kl: distrib must be a Categorical"):
        d.kl(GaussianDistribution(numpy.zeros((2, 3), "f"), numpy.ones((2, 3), "f")))


# -- Gaussian ------------------------------------------------------------------------------------


def test_gaussian_densities_match_scipy():
    mean, var = _gaussian_params()
    x = numpy.random.randn(4, 3)
    d = GaussianDistribution(mean, var)
    expected = stats.norm.logpdf(x, mean, numpy.sqrt(var)).sum(axis=1)
    numpy.testing.assert_allclose(d.log_prob(x).array, expected, rtol=1e-10)
    numpy.testing.assert_allclose(d.prob(x).array, numpy.exp(expected), rtol=1e-10)
    numpy.testing.assert_allclose(
        d.entropy.array, stats.norm.entropy(mean, numpy.sqrt(var)).sum(axis=1), rtol=1e-10
    )
    assert d.most_probable is d.mean
    assert d.params == (d.mean, d.var)


def test_gaussian_float32_log_prob():
    mean, var = _gaussian_params(dtype=numpy.float32)
    x = numpy.random.randn(4, 3).astype(numpy.float32)
    lp = GaussianDistribution(mean, var).log_prob(x)
    assert lp.dtype == numpy.float32 and lp.shape == (4,)
    expected = stats.norm.logpdf(x, mean, numpy.sqrt(var)).sum(axis=1)
    numpy.testing.assert_allclose(lp.array, expected, rtol=1e-5)


def test_gaussian_kl_matches_closed_form_and_monte_carlo():
    (mp, vp), (mq, vq) = _gaussian_params(2, 2), _gaussian_params(2, 2)
    kl = GaussianDistribution(mp, vp).kl(GaussianDistribution(mq, vq)).array
    sp, sq = numpy.sqrt(vp), numpy.sqrt(vq)
    closed = (numpy.log(sq / sp) + (sp**2 + (mp - mq) ** 2) / (2 * sq**2) - 0.5).sum(axis=1)
    numpy.testing.assert_allclose(kl, closed, rtol=1e-10)
    x = mp + sp * numpy.random.randn(200000, 2, 2)
    log_ratio = stats.norm.logpdf(x, mp, sp) - stats.norm.logpdf(x, mq, sq)
    numpy.testing.assert_allclose(kl, log_ratio.sum(axis=2).mean(axis=0), atol=0.03)


def test_gaussian_sample_statistics():
    mean = numpy.tile(numpy.array([[1.0, -2.0]], numpy.float32), (50000, 1))
    var = numpy.tile(numpy.array([[0.25, 4.0]], numpy.float32), (50000, 1))
    samples = GaussianDistribution(mean, var).sample().array
    assert samples.dtype == numpy.float32
    numpy.testing.assert_allclose(samples.mean(axis=0), [1.0, -2.0], atol=0.03)
    numpy.testing.assert_allclose(samples.var(axis=0), [0.25, 4.0], rtol=0.03)


def test_gaussian_sample_without_backprop_matches_the_graph_path():
    mean, var = _gaussian_params(dtype=numpy.float32)
    d = GaussianDistribution(mean, var)
    numpy.random.seed(3)
    with_graph = d.sample()
    numpy.random.seed(3)
    with kusari.no_backprop_mode():
        without = d.sample()
    assert with_graph.creator is not None and without.creator is None
    numpy.testing.assert_allclose(without.array, with_graph.array, rtol=1e-6)


def test_gaussian_gradients():
    mean, var = _gaussian_params()
    x = numpy.random.randn(4, 3)
    mq, vq = _gaussian_params()

    def f(m, v, x_):
        d = GaussianDistribution(m, v)
        return d.log_prob(x_), d.entropy, d.kl(GaussianDistribution(mq, vq)), d.prob(x_)

    gy = tuple(numpy.random.randn(4) for _ in range(4))
    gradient_check.check_backward(f, (mean, var, x), gy, atol=1e-6, rtol=1e-5)


def test_gaussian_kl_gradient_reaches_the_second_distribution():
    mp, vp = _gaussian_params()
    mq, vq = _gaussian_params()
    gradient_check.check_backward(
        lambda m, v: GaussianDistribution(mp, vp).kl(GaussianDistribution(m, v)),
        (mq, vq),
        numpy.random.randn(4),
        atol=1e-6,
        rtol=1e-5,
    )


def test_gaussian_reparameterized_sample_gradient():
    mean, var = _gaussian_params()

    def f(m, v):
        numpy.random.seed(7)
        return GaussianDistribution(m, v).sample()

    gradient_check.check_backward(f, (mean, var), numpy.random.randn(4, 3), atol=1e-6, rtol=1e-5)


def test_gaussian_copy_and_default_sample_with_log_prob():
    mean, var = _gaussian_params(dtype=numpy.float32)
    d = GaussianDistribution(kusari.Variable(mean) * 1.0, var)
    c = d.copy()
    assert isinstance(c, GaussianDistribution) and c.mean.creator is None
    numpy.testing.assert_array_equal(c.mean.array, mean)
    y, lp = d.sample_with_log_prob()
    numpy.testing.assert_allclose(lp.array, d.log_prob(y.array).array, rtol=1e-6)


def test_gaussian_bad_input():
    ok = numpy.ones((2, 3), numpy.float32)
    with pytest.raises(ValueError, match=r"GaussianDistribution: mean must have shape \(B, A\)"):
        GaussianDistribution(numpy.ones(3, numpy.float32), numpy.ones(3, numpy.float32))
    with pytest.raises(ValueError, match=r"GaussianDistribution: var.shape \(1, 3\) != mean"):
        GaussianDistribution(ok, numpy.ones((1, 3), numpy.float32))
    with pytest.raises(TypeError, match=r"GaussianDistribution: var.dtype \(float64\) != mean"):
        GaussianDistribution(ok, numpy.ones((2, 3)))
    with pytest.raises(TypeError, match="GaussianDistribution: mean must be a float array"):
        GaussianDistribution(numpy.ones((2, 3), numpy.int32), numpy.ones((2, 3), numpy.int32))
    with pytest.raises(TypeError, match="GaussianDistribution: var must be a kusari.Variable"):
        GaussianDistribution(ok, 1.0)
    with pytest.raises(TypeError, match="GaussianDistribution.kl: distrib must be a Gaussian"):
        GaussianDistribution(ok, ok).kl(SquashedGaussianDistribution(ok, ok))


# -- squashed Gaussian ---------------------------------------------------------------------------


def _squashed_reference(u, mean, var):
    """Compute log N(u) - log |d tanh(u) / du| with the derivative taken by finite differences."""
    h = 1e-6
    slope = (numpy.tanh(u + h) - numpy.tanh(u - h)) / (2 * h)
    return (stats.norm.logpdf(u, mean, numpy.sqrt(var)) - numpy.log(slope)).sum(axis=1)


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_squashed_sample_with_log_prob_matches_change_of_variables(dtype):
    mean, var = _gaussian_params(6, 2, dtype)
    d = SquashedGaussianDistribution(mean, var)
    numpy.random.seed(5)
    y, log_prob = d.sample_with_log_prob()
    numpy.random.seed(5)
    eps = numpy.random.standard_normal(mean.shape).astype(dtype)
    u = mean.astype(numpy.float64) + numpy.sqrt(var.astype(numpy.float64)) * eps
    assert y.dtype == dtype and log_prob.dtype == dtype and log_prob.shape == (6,)
    numpy.testing.assert_allclose(y.array, numpy.tanh(u), rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(log_prob.array, _squashed_reference(u, mean, var), rtol=1e-5)


def test_squashed_sample_with_log_prob_without_backprop_matches_the_graph_path():
    mean, var = _gaussian_params(5, 3, numpy.float32)
    d = SquashedGaussianDistribution(mean, var)
    numpy.random.seed(1)
    y, lp = d.sample_with_log_prob()
    numpy.random.seed(1)
    with kusari.no_backprop_mode():
        y2, lp2 = d.sample_with_log_prob()
    assert y2.creator is None and lp2.creator is None and lp2.dtype == numpy.float32
    numpy.testing.assert_allclose(y2.array, y.array, rtol=1e-6)
    numpy.testing.assert_allclose(lp2.array, lp.array, rtol=1e-5)


def test_squashed_log_prob_of_points():
    mean, var = _gaussian_params(4, 3)
    x = numpy.random.uniform(-0.95, 0.95, (4, 3))
    u = numpy.arctanh(x)
    expected = (stats.norm.logpdf(u, mean, numpy.sqrt(var)) - numpy.log1p(-(x**2))).sum(axis=1)
    d = SquashedGaussianDistribution(mean, var)
    numpy.testing.assert_allclose(d.log_prob(x).array, expected, rtol=1e-8)
    numpy.testing.assert_allclose(d.prob(x).array, numpy.exp(expected), rtol=1e-8)


def test_squashed_log_prob_agrees_with_sample_with_log_prob():
    mean, var = _gaussian_params(4, 2)
    d = SquashedGaussianDistribution(mean, var)
    y, lp = d.sample_with_log_prob()
    numpy.testing.assert_allclose(d.log_prob(y.array).array, lp.array, rtol=1e-6)


def test_squashed_samples_are_bounded_and_log_prob_stays_finite():
    mean = numpy.array([[40.0, -40.0, 0.0]], numpy.float32).repeat(100, axis=0)
    var = numpy.full((100, 3), 4.0, numpy.float32)
    d = SquashedGaussianDistribution(mean, var)
    y, lp = d.sample_with_log_prob()
    assert numpy.abs(y.array).max() <= 1.0 and numpy.abs(d.sample().array).max() <= 1.0
    assert numpy.isfinite(lp.array).all()
    assert numpy.isfinite(d.log_prob(y.array).array).all()
    numpy.testing.assert_allclose(d.most_probable.array, numpy.tanh(mean))


def test_squashed_sample_statistics():
    mean = numpy.tile(numpy.array([[0.5, -1.0]]), (50000, 1))
    var = numpy.tile(numpy.array([[0.3, 0.1]]), (50000, 1))
    samples = SquashedGaussianDistribution(mean, var).sample().array
    u = mean[0] + numpy.sqrt(var[0]) * numpy.random.randn(400000, 2)
    numpy.testing.assert_allclose(samples.mean(axis=0), numpy.tanh(u).mean(axis=0), atol=0.01)
    numpy.testing.assert_allclose(samples.std(axis=0), numpy.tanh(u).std(axis=0), atol=0.01)


def test_squashed_reparameterized_gradients():
    mean, var = _gaussian_params(3, 2)

    def f(m, v):
        numpy.random.seed(11)
        return SquashedGaussianDistribution(m, v).sample_with_log_prob()

    gy = (numpy.random.randn(3, 2), numpy.random.randn(3))
    gradient_check.check_backward(f, (mean, var), gy, atol=1e-6, rtol=1e-5)

    def g(m, v):
        numpy.random.seed(11)
        return SquashedGaussianDistribution(m, v).sample()

    gradient_check.check_backward(g, (mean, var), gy[0], atol=1e-6, rtol=1e-5)


def test_squashed_log_prob_gradient():
    mean, var = _gaussian_params(3, 2)
    x = numpy.random.uniform(-0.9, 0.9, (3, 2))
    gradient_check.check_backward(
        lambda m, v: SquashedGaussianDistribution(m, v).log_prob(x),
        (mean, var),
        numpy.random.randn(3),
        atol=1e-6,
        rtol=1e-5,
    )


def test_squashed_undefined_quantities_and_copy():
    mean, var = _gaussian_params(2, 2, numpy.float32)
    d = SquashedGaussianDistribution(mean, var)
    with pytest.raises(NotImplementedError, match="SquashedGaussianDistribution: the entropy"):
        _ = d.entropy
    with pytest.raises(NotImplementedError, match="SquashedGaussianDistribution: kl"):
        d.kl(d)
    c = d.copy()
    assert isinstance(c, SquashedGaussianDistribution)
    numpy.testing.assert_array_equal(c.var.array, var)
    assert not isinstance(d, GaussianDistribution)


# -- deterministic -------------------------------------------------------------------------------


def test_deterministic_distribution():
    x = kusari.Variable(numpy.random.randn(3, 2).astype(numpy.float32))
    h = x * 2.0
    d = ContinuousDeterministicDistribution(h)
    assert d.sample() is h and d.most_probable is h and d.params == (h,)
    F.sum(d.sample()).backward()
    numpy.testing.assert_array_equal(x.grad, numpy.full((3, 2), 2.0, numpy.float32))
    for call in (lambda: d.entropy, lambda: d.log_prob(h), lambda: d.prob(h), lambda: d.kl(d)):
        with pytest.raises(NotImplementedError, match="ContinuousDeterministicDistribution"):
            call()
    with pytest.raises(RuntimeError):  # ChainerRL raises RuntimeError here
        d.sample_with_log_prob()
    c = d.copy()
    assert c.x.creator is None
    numpy.testing.assert_array_equal(c.x.array, h.array)


# -- double backprop (TRPO's Fisher-vector products differentiate gradients) ---------------------


def test_gaussian_double_backprop():
    mean, var = _gaussian_params(3, 2)
    x = numpy.random.randn(3, 2)

    def f(m, v, x_):
        d = GaussianDistribution(m, v)
        return d.log_prob(x_), d.entropy

    gy = (numpy.random.randn(3), numpy.random.randn(3))
    ggx = tuple(numpy.random.randn(3, 2) for _ in range(3))
    gradient_check.check_double_backward(f, (mean, var, x), gy, ggx, atol=1e-6, rtol=1e-5)


def test_softmax_entropy_double_backprop():
    logits = numpy.random.randn(3, 4)
    x = numpy.array([1, 0, 3])

    def f(z):
        d = SoftmaxDistribution(z)
        return d.entropy, d.log_prob(x)

    gy = (numpy.random.randn(3), numpy.random.randn(3))
    gradient_check.check_double_backward(
        f, logits, gy, numpy.random.randn(3, 4), atol=1e-6, rtol=1e-5
    )


def test_squashed_sample_with_log_prob_double_backprop():
    mean, var = _gaussian_params(3, 2)

    def f(m, v):
        numpy.random.seed(2)
        return SquashedGaussianDistribution(m, v).sample_with_log_prob()

    gy = (numpy.random.randn(3, 2), numpy.random.randn(3))
    ggx = (numpy.random.randn(3, 2), numpy.random.randn(3, 2))
    gradient_check.check_double_backward(f, (mean, var), gy, ggx, atol=1e-6, rtol=1e-5)


def test_squashed_log_prob_of_a_variable_matches_arrays_and_differentiates():
    mean, var = _gaussian_params(3, 2)
    x = numpy.random.uniform(-0.9, 0.9, (3, 2))
    d = SquashedGaussianDistribution(mean, var)
    numpy.testing.assert_allclose(
        d.log_prob(kusari.Variable(x)).array, d.log_prob(x).array, rtol=1e-10
    )
    edge = kusari.Variable(numpy.array([[1.0, -1.0]] * 3, numpy.float32))
    bounded = SquashedGaussianDistribution(mean.astype("f"), var.astype("f")).log_prob(edge)
    assert numpy.isfinite(bounded.array).all()
    gradient_check.check_backward(
        lambda m, v, x_: SquashedGaussianDistribution(m, v).log_prob(x_),
        (mean, var, x),
        numpy.random.randn(3),
        atol=1e-6,
        rtol=1e-5,
    )


def test_log_prob_bad_points():
    d = GaussianDistribution(numpy.zeros((2, 3), "f"), numpy.ones((2, 3), "f"))
    with pytest.raises(ValueError, match=r"GaussianDistribution.log_prob: x.shape \(3,\) != mean"):
        d.log_prob(numpy.zeros(3, "f"))
    with pytest.raises(TypeError, match=r"GaussianDistribution.log_prob: x.dtype \(float64\)"):
        d.log_prob(kusari.Variable(numpy.zeros((2, 3))))
    with pytest.raises(TypeError, match="GaussianDistribution.log_prob: x must be an array"):
        d.log_prob([[0.0] * 3] * 2)
    s = SquashedGaussianDistribution(numpy.zeros((2, 3), "f"), numpy.ones((2, 3), "f"))
    with pytest.raises(TypeError, match="SquashedGaussianDistribution.log_prob: x must be a flo"):
        s.log_prob(numpy.zeros((2, 3), numpy.int32))
    numpy.testing.assert_allclose(
        d.log_prob(numpy.zeros((2, 3))).array, d.log_prob(numpy.zeros((2, 3), "f")).array
    )
