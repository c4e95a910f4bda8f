import numpy
import pytest

import kusari
import kusari.functions as F
from kusari import gradient_check
from kusari_rl.action_value import (
    ActionValue,
    DiscreteActionValue,
    DistributionalDiscreteActionValue,
    QuadraticActionValue,
    QuantileDiscreteActionValue,
    SingleActionValue,
)


def _rand(*shape, seed=0):
    return numpy.random.RandomState(seed).uniform(-1, 1, shape).astype(numpy.float32)


def _softmax(x, axis):
    e = numpy.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# -- DiscreteActionValue ---------------------------------------------------------------------


def test_discrete_greedy_max_and_evaluate_match_numpy():
    q = _rand(5, 3)
    av = DiscreteActionValue(kusari.Variable(q))
    greedy = av.greedy_actions
    assert isinstance(greedy, kusari.Variable)
    assert greedy.array.dtype == numpy.int32
    assert greedy.creator is None and not greedy.requires_grad
    numpy.testing.assert_array_equal(greedy.array, q.argmax(axis=1))
    numpy.testing.assert_allclose(av.max.array, q.max(axis=1))
    actions = numpy.array([0, 2, 1, 1, 0])
    numpy.testing.assert_allclose(av.evaluate_actions(actions).array, q[numpy.arange(5), actions])
    numpy.testing.assert_allclose(
        av.compute_advantage(actions).array, q[numpy.arange(5), actions] - q.max(axis=1)
    )
    other = numpy.array([2, 2, 0, 1, 1])
    numpy.testing.assert_allclose(
        av.compute_double_advantage(actions, other).array,
        q[numpy.arange(5), actions] - q[numpy.arange(5), other],
    )
    beta = 2.0
    expected = (_softmax(beta * q, 1) * q).sum(axis=1)
    numpy.testing.assert_allclose(av.compute_expectation(beta).array, expected, rtol=1e-5)
    assert av.n_actions == 3
    assert av.params == (av.q_values,)
    assert isinstance(av, ActionValue)


def test_discrete_accepts_an_array_and_a_variable_of_actions():
    q = _rand(2, 4)
    av = DiscreteActionValue(q)
    actions = kusari.Variable(numpy.array([3, 1], numpy.int32))
    numpy.testing.assert_allclose(av.evaluate_actions(actions).array, q[[0, 1], [3, 1]])


def test_discrete_greedy_and_max_are_cached():
    av = DiscreteActionValue(kusari.Variable(_rand(3, 2)))
    assert av.greedy_actions is av.greedy_actions
    assert av.max is av.max


def test_discrete_gradients_of_evaluate_actions_and_max():
    q = _rand(4, 3)
    actions = numpy.array([0, 2, 1, 2])
    gy = _rand(4, seed=1)
    gradient_check.check_backward(
        lambda x: DiscreteActionValue(x).evaluate_actions(actions), q, gy, eps=1e-2
    )
    gradient_check.check_backward(lambda x: DiscreteActionValue(x).max, q, gy, eps=1e-2)
    gradient_check.check_backward(
        lambda x: DiscreteActionValue(x).compute_expectation(1.5), q, gy, eps=1e-2, rtol=1e-3
    )


def test_discrete_max_builds_a_graph_even_under_no_backprop_mode():
    x = kusari.Variable(_rand(3, 2))
    av = DiscreteActionValue(x * 1)
    with kusari.no_backprop_mode():
        m = av.max
    F.sum(m).backward()
    expected = numpy.zeros((3, 2), numpy.float32)
    expected[numpy.arange(3), x.array.argmax(axis=1)] = 1
    numpy.testing.assert_array_equal(x.grad, expected)


def test_discrete_getitem():
    q = _rand(4, 3)
    sub = DiscreteActionValue(kusari.Variable(q))[1:3]
    assert isinstance(sub, DiscreteActionValue)
    numpy.testing.assert_array_equal(sub.q_values.array, q[1:3])
    numpy.testing.assert_array_equal(sub.greedy_actions.array, q[1:3].argmax(axis=1))


def test_discrete_repr_uses_the_formatter():
    av = DiscreteActionValue(
        kusari.Variable(numpy.array([[1, 2]], numpy.float32)),
        q_values_formatter=lambda x: "Q!",
    )
    assert repr(av) == "DiscreteActionValue greedy_actions:[1] q_values:Q!"


def test_discrete_bad_inputs():
    with pytest.raises(TypeError, match="DiscreteActionValue: q_values must be a Variable"):
        DiscreteActionValue([[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"DiscreteActionValue: q_values must have shape"):
        DiscreteActionValue(numpy.zeros(3, numpy.float32))
    av = DiscreteActionValue(numpy.zeros((2, 3), numpy.float32))
    with pytest.raises(ValueError, match="select_item"):
        av.evaluate_actions(numpy.array([0, 3]))


# -- DistributionalDiscreteActionValue ---------------------------------------------------------


def _dist(batch=3, n_actions=2, n_atoms=5):
    logits = _rand(batch, n_actions, n_atoms)
    z = numpy.linspace(-1, 1, n_atoms, dtype=numpy.float32)
    return _softmax(logits, 2).astype(numpy.float32), z


def test_distributional_values_match_numpy():
    p, z = _dist()
    av = DistributionalDiscreteActionValue(kusari.Variable(p), z)
    q = (p * z).sum(axis=2)
    numpy.testing.assert_allclose(av.q_values.array, q, rtol=1e-6)
    numpy.testing.assert_array_equal(av.greedy_actions.array, q.argmax(axis=1))
    numpy.testing.assert_allclose(av.max.array, q.max(axis=1), rtol=1e-6)
    actions = numpy.array([1, 0, 1])
    numpy.testing.assert_allclose(av.evaluate_actions(actions).array, q[numpy.arange(3), actions])
    numpy.testing.assert_array_equal(
        av.evaluate_actions_as_distribution(actions).array, p[numpy.arange(3), actions]
    )
    numpy.testing.assert_array_equal(
        av.max_as_distribution.array, p[numpy.arange(3), q.argmax(axis=1)]
    )
    assert av.n_actions == 2
    assert av.params == (av.q_dist,)
    sub = av[:2]
    numpy.testing.assert_array_equal(sub.q_dist.array, p[:2])
    assert sub.z_values is z


def test_distributional_gradients():
    p, z = _dist()
    actions = numpy.array([1, 0, 1])
    gradient_check.check_backward(
        lambda x: DistributionalDiscreteActionValue(x, z).evaluate_actions_as_distribution(actions),
        p,
        _rand(3, 5, seed=1),
        eps=1e-2,
    )
    gradient_check.check_backward(
        lambda x: DistributionalDiscreteActionValue(x, z).max, p, _rand(3, seed=2), eps=1e-3
    )


def test_distributional_bad_inputs():
    p, z = _dist()
    with pytest.raises(ValueError, match=r"q_dist must have shape \(B, n_actions, n_atoms\)"):
        DistributionalDiscreteActionValue(p[0], z)
    with pytest.raises(ValueError, match=r"z_values must have shape \(n_atoms,\) = \(5,\)"):
        DistributionalDiscreteActionValue(p, z[:4])
    with pytest.raises(TypeError, match="z_values must be an array"):
        DistributionalDiscreteActionValue(p, kusari.Variable(z))


# -- QuantileDiscreteActionValue ---------------------------------------------------------------


def test_quantile_values_match_numpy():
    quantiles = _rand(3, 4, 2)
    av = QuantileDiscreteActionValue(kusari.Variable(quantiles))
    q = quantiles.mean(axis=1)
    numpy.testing.assert_allclose(av.q_values.array, q, rtol=1e-6)
    numpy.testing.assert_array_equal(av.greedy_actions.array, q.argmax(axis=1))
    numpy.testing.assert_allclose(av.max.array, q.max(axis=1), rtol=1e-6)
    actions = numpy.array([1, 0, 0])
    numpy.testing.assert_array_equal(
        av.evaluate_actions_as_quantiles(actions).array, quantiles[numpy.arange(3), :, actions]
    )
    assert av.n_actions == 2
    assert av.params == (av.quantiles,)
    numpy.testing.assert_array_equal(av[1:].quantiles.array, quantiles[1:])
    assert isinstance(av, DiscreteActionValue)


def test_quantile_gradients():
    quantiles = _rand(3, 4, 2)
    actions = numpy.array([1, 0, 0])
    gradient_check.check_backward(
        lambda x: QuantileDiscreteActionValue(x).evaluate_actions_as_quantiles(actions),
        quantiles,
        _rand(3, 4, seed=1),
        eps=1e-2,
    )
    gradient_check.check_backward(
        lambda x: QuantileDiscreteActionValue(x).evaluate_actions(actions),
        quantiles,
        _rand(3, seed=1),
        eps=1e-2,
    )


def test_quantile_bad_input():
    with pytest.raises(ValueError, match="QuantileDiscreteActionValue: quantiles must have shape"):
        QuantileDiscreteActionValue(_rand(3, 4))


# -- QuadraticActionValue ----------------------------------------------------------------------


def _quadratic(batch=3, n=2):
    mu = _rand(batch, n)
    L = _rand(batch, n, n, seed=1)
    mat = L @ L.transpose(0, 2, 1) + numpy.eye(n, dtype=numpy.float32)
    v = _rand(batch, 1, seed=2)
    return mu, mat.astype(numpy.float32), v


def _q_reference(mu, mat, v, a):
    d = a - mu
    return -0.5 * numpy.einsum("bi,bij,bj->b", d, mat, d) + v[:, 0]


def test_quadratic_values_match_numpy():
    mu, mat, v = _quadratic()
    av = QuadraticActionValue(kusari.Variable(mu), kusari.Variable(mat), kusari.Variable(v))
    a = _rand(3, 2, seed=5)
    numpy.testing.assert_allclose(
        av.evaluate_actions(a).array, _q_reference(mu, mat, v, a), rtol=1e-5
    )
    numpy.testing.assert_array_equal(av.greedy_actions.array, mu)
    numpy.testing.assert_allclose(av.max.array, v[:, 0])
    numpy.testing.assert_allclose(
        av.compute_advantage(a).array, _q_reference(mu, mat, v, a) - v[:, 0], rtol=1e-5, atol=1e-6
    )
    assert av.params == (av.mu, av.mat, av.v)


def test_quadratic_bounds_clip_greedy_actions_and_max():
    mu, mat, v = _quadratic()
    mu[0] = [2.0, -2.0]
    low, high = numpy.array([-1, -0.5], "f"), numpy.array([1, 0.5], "f")
    av = QuadraticActionValue(mu, mat, v, min_action=low, max_action=high)
    clipped = numpy.clip(mu, low, high)
    numpy.testing.assert_array_equal(av.greedy_actions.array, clipped)
    numpy.testing.assert_allclose(
        av.max.array, _q_reference(mu, mat, v, clipped), rtol=1e-5, atol=1e-6
    )
    sub = av[1:]
    numpy.testing.assert_array_equal(sub.max_action, high)
    numpy.testing.assert_allclose(sub.max.array, av.max.array[1:], rtol=1e-6)


def test_quadratic_gradients():
    mu, mat, v = _quadratic()
    a = _rand(3, 2, seed=5)
    gy = _rand(3, seed=6)
    gradient_check.check_backward(
        lambda m, p, vv: QuadraticActionValue(m, p, vv).evaluate_actions(a),
        (mu, mat, v),
        gy,
        eps=1e-2,
        rtol=1e-3,
    )
    low, high = -0.5 * numpy.ones(2, "f"), 0.5 * numpy.ones(2, "f")
    mu_inside = numpy.array([[0.9, 0.1], [-0.2, -0.9], [0.3, 0.2]], "f")
    gradient_check.check_backward(
        lambda m, p, vv: QuadraticActionValue(m, p, vv, low, high).max,
        (mu_inside, mat, v),
        gy,
        eps=1e-2,
        rtol=1e-3,
    )


def test_quadratic_bad_inputs():
    mu, mat, v = _quadratic()
    with pytest.raises(ValueError, match=r"QuadraticActionValue: mat must have shape \(3, 2, 2\)"):
        QuadraticActionValue(mu, mat[:, :1], v)
    with pytest.raises(ValueError, match=r"QuadraticActionValue: v must have shape \(3, 1\)"):
        QuadraticActionValue(mu, mat, v[:2])
    av = QuadraticActionValue(mu, mat, v)
    with pytest.raises(ValueError, match=r"evaluate_actions: actions must have shape \(3, 2\)"):
        av.evaluate_actions(numpy.zeros((3, 3), "f"))


# -- SingleActionValue -------------------------------------------------------------------------


def test_single_action_value_calls_evaluator_and_maximizer():
    w = kusari.Variable(numpy.array([2.0], numpy.float32))
    greedy = numpy.array([[1.0], [3.0]], numpy.float32)
    av = SingleActionValue(lambda a: F.sum(a * F.broadcast_to(w, a.shape), axis=1), lambda: greedy)
    a = numpy.array([[0.5], [1.0]], numpy.float32)
    numpy.testing.assert_allclose(av.evaluate_actions(a).array, [1.0, 2.0])
    assert av.greedy_actions is greedy
    numpy.testing.assert_allclose(av.max.array, [2.0, 6.0])
    numpy.testing.assert_allclose(av.compute_advantage(a).array, [-1.0, -4.0])
    numpy.testing.assert_allclose(av.compute_double_advantage(a, greedy).array, [-1.0, -4.0])
    with pytest.warns(UserWarning, match="no parameters until an action is evaluated"):
        assert av.params == ()


def test_single_action_value_without_maximizer_and_indexing():
    av = SingleActionValue(lambda a: a)
    with pytest.raises(ValueError, match="SingleActionValue.greedy_actions: no maximizer"):
        av.greedy_actions  # noqa: B018
    with pytest.raises(NotImplementedError, match="indexing is not supported"):
        av[0]
    assert repr(av) == "SingleActionValue"
