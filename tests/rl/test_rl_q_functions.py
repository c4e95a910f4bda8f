import gymnasium
import numpy
import pytest

import kusari
import kusari.functions as F
from kusari import gradient_check, serializers
from kusari_rl.action_value import (
    DiscreteActionValue,
    DistributionalDiscreteActionValue,
    QuadraticActionValue,
)
from kusari_rl.q_function import StateActionQFunction, StateQFunction
from kusari_rl.q_functions import (
    DistributionalDuelingDQN,
    DistributionalFCStateQFunctionWithDiscreteAction,
    DuelingDQN,
    FCBNLateActionSAQFunction,
    FCBNQuadraticStateQFunction,
    FCBNSAQFunction,
    FCLateActionSAQFunction,
    FCQuadraticStateQFunction,
    FCSAQFunction,
    FCStateQFunctionWithDiscreteAction,
    SingleModelStateActionQFunction,
    SingleModelStateQFunctionWithDiscreteAction,
)


def _obs(batch, n, seed=0):
    return numpy.random.RandomState(seed).uniform(-1, 1, (batch, n)).astype(numpy.float32)


def _mlp_reference(mlp, x, nonlinearity=lambda h: numpy.maximum(h, 0)):
    h = x
    if mlp.hidden_sizes:
        for layer in mlp.hidden_layers:
            h = nonlinearity(h @ layer.W.array.T + layer.b.array)
    return h @ mlp.output.W.array.T + mlp.output.b.array


def _round_trip(tmp_path, src, dst):
    path = tmp_path / "model.npz"
    serializers.save_npz(str(path), src)
    serializers.load_npz(str(path), dst)


# -- discrete ----------------------------------------------------------------------------------


def test_fc_discrete_q_function_matches_numpy():
    q_func = FCStateQFunctionWithDiscreteAction(4, 3, 8, 2)
    assert isinstance(q_func, StateQFunction)
    x = _obs(5, 4)
    av = q_func(x)
    assert isinstance(av, DiscreteActionValue)
    numpy.testing.assert_allclose(av.q_values.array, _mlp_reference(q_func.model, x), rtol=1e-5)
    assert [layer.W.shape for layer in q_func.model.hidden_layers] == [(8, 4), (8, 8)]
    assert q_func.model.output.W.shape == (3, 8)


def test_fc_discrete_q_function_nonlinearity_and_no_hidden_layer():
    q_func = FCStateQFunctionWithDiscreteAction(4, 2, 8, 1, nonlinearity=F.tanh)
    x = _obs(3, 4)
    numpy.testing.assert_allclose(
        q_func(x).q_values.array, _mlp_reference(q_func.model, x, numpy.tanh), rtol=1e-5
    )
    linear = FCStateQFunctionWithDiscreteAction(4, 2, 8, 0)
    numpy.testing.assert_allclose(
        linear(x).q_values.array, _mlp_reference(linear.model, x), rtol=1e-5
    )


def test_fc_discrete_last_wscale_scales_the_output_weights():
    numpy.random.seed(0)
    small = FCStateQFunctionWithDiscreteAction(400, 50, 400, 1, last_wscale=1e-2)
    numpy.random.seed(0)
    big = FCStateQFunctionWithDiscreteAction(400, 50, 400, 1)
    numpy.testing.assert_allclose(
        small.model.output.W.array, big.model.output.W.array * 1e-2, rtol=1e-5
    )
    assert big.model.output.W.array.std() == pytest.approx(1 / numpy.sqrt(400), rel=0.05)


def test_fc_discrete_gradient_reaches_the_parameters():
    q_func = FCStateQFunctionWithDiscreteAction(4, 3, 8, 1)
    av = q_func(_obs(5, 4))
    F.sum(av.evaluate_actions(numpy.array([0, 1, 2, 0, 1]))).backward()
    assert all(p.grad is not None and numpy.any(p.grad != 0) for p in q_func.params())


def test_fc_discrete_save_load_round_trip(tmp_path):
    src = FCStateQFunctionWithDiscreteAction(4, 3, 8, 2)
    dst = FCStateQFunctionWithDiscreteAction(4, 3, 8, 2)
    _round_trip(tmp_path, src, dst)
    x = _obs(5, 4)
    numpy.testing.assert_array_equal(src(x).q_values.array, dst(x).q_values.array)


def test_single_model_discrete_q_function_wraps_any_link():
    model = kusari.links.Linear(4, 2)
    av = SingleModelStateQFunctionWithDiscreteAction(model)(_obs(3, 4))
    numpy.testing.assert_allclose(av.q_values.array, model(_obs(3, 4)).array)


def test_mlp_bad_hidden_sizes():
    with pytest.raises(ValueError, match="MLP: hidden sizes must be positive ints, got"):
        FCStateQFunctionWithDiscreteAction(4, 2, 0, 2)


# -- distributional ----------------------------------------------------------------------------


def test_distributional_fc_q_function():
    q_func = DistributionalFCStateQFunctionWithDiscreteAction(4, 3, 7, -2.0, 3.0, 8, 2)
    x = _obs(5, 4)
    av = q_func(x)
    assert isinstance(av, DistributionalDiscreteActionValue)
    z = numpy.linspace(-2, 3, 7, dtype=numpy.float32)
    numpy.testing.assert_array_equal(q_func.z_values, z)
    logits = _mlp_reference(q_func.model[0], x).reshape(5, 3, 7)
    e = numpy.exp(logits - logits.max(axis=2, keepdims=True))
    p = e / e.sum(axis=2, keepdims=True)
    numpy.testing.assert_allclose(av.q_dist.array, p, rtol=1e-5)
    numpy.testing.assert_allclose(av.q_values.array, (p * z).sum(axis=2), rtol=1e-5, atol=1e-6)


def test_distributional_fc_round_trip_includes_z_values(tmp_path):
    src = DistributionalFCStateQFunctionWithDiscreteAction(4, 2, 5, -1.0, 1.0, 8, 1)
    dst = DistributionalFCStateQFunctionWithDiscreteAction(4, 2, 5, -1.0, 1.0, 8, 1)
    dst.z_values[...] = 0
    _round_trip(tmp_path, src, dst)
    numpy.testing.assert_array_equal(dst.z_values, src.z_values)
    x = _obs(3, 4)
    numpy.testing.assert_array_equal(src(x).q_values.array, dst(x).q_values.array)


def test_distributional_copy_keeps_working():
    q_func = DistributionalFCStateQFunctionWithDiscreteAction(4, 2, 5, -1.0, 1.0, 8, 1)
    target = q_func.copy("copy")
    x = _obs(3, 4)
    numpy.testing.assert_array_equal(q_func(x).q_dist.array, target(x).q_dist.array)


@pytest.mark.parametrize(
    ("n_atoms", "v_min", "v_max", "match"),
    [(1, -1.0, 1.0, "n_atoms must be >= 2, got 1"), (5, 1.0, 1.0, "v_min must be < v_max")],
)
def test_distributional_bad_atoms(n_atoms, v_min, v_max, match):
    owner = "DistributionalFCStateQFunctionWithDiscreteAction"
    with pytest.raises(ValueError, match=f"{owner}: {match}"):
        DistributionalFCStateQFunctionWithDiscreteAction(4, 2, n_atoms, v_min, v_max, 8, 1)
    with pytest.raises(ValueError, match=f"DistributionalDuelingDQN: {match}"):
        DistributionalDuelingDQN(2, n_atoms, v_min, v_max)


# -- dueling -----------------------------------------------------------------------------------


def _images(batch=2, channels=4):
    return numpy.random.RandomState(0).uniform(0, 1, (batch, channels, 84, 84)).astype("f")


def test_dueling_dqn_combines_the_streams():
    q_func = DuelingDQN(3, n_input_channels=2)
    x = _images(channels=2)
    av = q_func(x)
    assert av.q_values.shape == (2, 3)
    h = q_func._features(x)
    v = q_func.v_stream(h).array
    a = q_func.a_stream(h).array
    numpy.testing.assert_allclose(
        av.q_values.array, v + a - a.mean(axis=1, keepdims=True), rtol=1e-5, atol=1e-6
    )
    assert q_func.conv_layers[0].b.array[0] == pytest.approx(0.1)


def test_distributional_dueling_dqn():
    q_func = DistributionalDuelingDQN(3, 5, -1.0, 1.0)
    av = q_func(_images())
    assert av.q_dist.shape == (2, 3, 5)
    numpy.testing.assert_allclose(av.q_dist.array.sum(axis=2), numpy.ones((2, 3)), rtol=1e-5)


# -- quadratic (NAF) ---------------------------------------------------------------------------


def _box(n):
    return gymnasium.spaces.Box(-numpy.ones(n, "f") * 0.5, numpy.ones(n, "f"), dtype=numpy.float32)


def _naf_reference(q_func, x, a):
    h = x
    for layer in q_func.hidden_layers:
        h = numpy.maximum(h @ layer.W.array.T + layer.b.array, 0)

    def lin(link):
        return h @ link.W.array.T + link.b.array

    low, high = q_func.action_space.low, q_func.action_space.high
    mu = numpy.tanh(lin(q_func.mu)) * (high - low) / 2 + (high + low) / 2
    n = mu.shape[1]
    tril = numpy.zeros((x.shape[0], n, n), numpy.float32)
    rows, cols = numpy.tril_indices(n, -1)
    if n > 1:
        tril[:, rows, cols] = lin(q_func.mat_non_diag)
    tril[:, numpy.arange(n), numpy.arange(n)] = numpy.exp(lin(q_func.mat_diag))
    mat = tril @ tril.transpose(0, 2, 1)
    d = a - mu
    return mu, mat, lin(q_func.v)[:, 0] - 0.5 * numpy.einsum("bi,bij,bj->b", d, mat, d)


@pytest.mark.parametrize("n_dim_action", [1, 3])
def test_fc_quadratic_q_function_matches_numpy(n_dim_action):
    q_func = FCQuadraticStateQFunction(4, n_dim_action, 8, 2, _box(n_dim_action))
    x = _obs(5, 4)
    a = _obs(5, n_dim_action, seed=1)
    av = q_func(x)
    assert isinstance(av, QuadraticActionValue)
    mu, mat, q = _naf_reference(q_func, x, a)
    numpy.testing.assert_allclose(av.mu.array, mu, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(av.mat.array, mat, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(av.evaluate_actions(a).array, q, rtol=1e-4, atol=1e-5)
    assert numpy.all(av.greedy_actions.array >= -0.5) and numpy.all(av.greedy_actions.array <= 1)


def test_fc_quadratic_gradient_through_the_model():
    q_func = FCQuadraticStateQFunction(3, 2, 6, 1, _box(2), scale_mu=False)
    x = _obs(4, 3)
    a = _obs(4, 2, seed=1)
    params = [q_func.mu.W, q_func.mat_diag.W, q_func.mat_non_diag.b, q_func.v.b]
    gradient_check.check_backward(
        lambda s: q_func(s).evaluate_actions(a),
        x,
        _obs(4, 1, seed=2)[:, 0],
        params=params,
        eps=1e-2,
        atol=1e-3,
        rtol=1e-2,
    )


def test_fc_quadratic_bad_inputs():
    with pytest.raises(ValueError, match="FCQuadraticStateQFunction: n_hidden_layers must be >= 1"):
        FCQuadraticStateQFunction(4, 2, 8, 0, _box(2))
    with pytest.raises(TypeError, match="FCQuadraticStateQFunction: action_space must be"):
        FCQuadraticStateQFunction(4, 2, 8, 1, None)


def test_fc_bn_quadratic_q_function_shapes():
    q_func = FCBNQuadraticStateQFunction(4, 2, 8, 2, _box(2))
    av = q_func(_obs(5, 4))
    assert av.mu.shape == (5, 2) and av.mat.shape == (5, 2, 2) and av.max.shape == (5,)


# -- state-action ------------------------------------------------------------------------------


def test_fc_sa_q_function_matches_numpy():
    q_func = FCSAQFunction(3, 2, 8, 2)
    assert isinstance(q_func, StateActionQFunction)
    s, a = _obs(5, 3), _obs(5, 2, seed=1)
    y = q_func(s, a)
    assert y.shape == (5, 1)
    numpy.testing.assert_allclose(y.array, _mlp_reference(q_func, numpy.hstack([s, a])), rtol=1e-5)
    assert FCSAQFunction(3, 2, 8, 0)(s, a).shape == (5, 1)


def test_fc_sa_q_function_gradient_with_respect_to_the_action():
    q_func = FCSAQFunction(3, 2, 8, 1, nonlinearity=F.tanh)
    s = _obs(4, 3)
    gradient_check.check_backward(
        lambda a: q_func(s, a),
        _obs(4, 2, seed=1),
        _obs(4, 1, seed=2),
        eps=1e-2,
        atol=1e-3,
        rtol=1e-2,
    )


def test_fc_sa_q_function_round_trip(tmp_path):
    src, dst = FCSAQFunction(3, 2, 8, 2), FCSAQFunction(3, 2, 8, 2)
    _round_trip(tmp_path, src, dst)
    s, a = _obs(5, 3), _obs(5, 2, seed=1)
    numpy.testing.assert_array_equal(src(s, a).array, dst(s, a).array)


def test_fc_sa_q_function_bad_inputs():
    with pytest.raises(ValueError, match="FCSAQFunction: n_hidden_layers must be >= 0, got -1"):
        FCSAQFunction(3, 2, 8, -1)
    with pytest.raises(ValueError, match="concat"):
        FCSAQFunction(3, 2, 8, 1)(_obs(5, 3), _obs(4, 2))


def test_late_action_sa_q_functions():
    s, a = _obs(5, 3), _obs(5, 2, seed=1)
    late = FCLateActionSAQFunction(3, 2, 8, 2)
    h = numpy.maximum(s @ late.obs_mlp.output.W.array.T + late.obs_mlp.output.b.array, 0)
    numpy.testing.assert_allclose(
        late(s, a).array, _mlp_reference(late.mlp, numpy.hstack([h, a])), rtol=1e-5
    )
    assert late.output is late.mlp.output
    assert FCBNLateActionSAQFunction(3, 2, 8, 2)(s, a).shape == (5, 1)
    with pytest.raises(ValueError, match="FCLateActionSAQFunction: n_hidden_layers must be >= 1"):
        FCLateActionSAQFunction(3, 2, 8, 0)


def test_bn_sa_q_function_train_and_test_mode():
    q_func = FCBNSAQFunction(3, 2, 8, 2)
    s, a = _obs(5, 3), _obs(5, 2, seed=1)
    assert q_func(s, a).shape == (5, 1)
    with kusari.using_config("train", False):
        assert q_func(s[:1], a[:1]).shape == (1, 1)
    with pytest.raises(ValueError, match="MLPBN: batch normalization needs more than one"):
        q_func(s[:1], a[:1])


def test_single_model_state_action_q_function():
    inner = FCSAQFunction(3, 2, 8, 1)
    wrapped = SingleModelStateActionQFunction(inner)
    s, a = _obs(5, 3), _obs(5, 2, seed=1)
    numpy.testing.assert_array_equal(wrapped(s, a).array, inner(s, a).array)
