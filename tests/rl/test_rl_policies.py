import copy

import numpy
import pytest
from scipy import special

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import serializers
from kusari_rl.distribution import (
    ContinuousDeterministicDistribution,
    GaussianDistribution,
    SoftmaxDistribution,
)
from kusari_rl.policies import (
    ContinuousDeterministicPolicy,
    FCBNDeterministicPolicy,
    FCDeterministicPolicy,
    FCGaussianPolicy,
    FCGaussianPolicyWithFixedCovariance,
    FCGaussianPolicyWithStateIndependentCovariance,
    FCSoftmaxPolicy,
    GaussianHeadWithStateIndependentCovariance,
    SoftmaxPolicy,
)
from kusari_rl.policy import Policy


@pytest.fixture(autouse=True)
def _seed():
    numpy.random.seed(0)


def _obs(b=5, n=3):
    return numpy.random.randn(b, n).astype(numpy.float32)


def _linear(layer, h):
    return h @ layer.W.array.T + layer.b.array


def _mlp_ref(layers, x, nonlinearity=lambda h: numpy.maximum(h, 0)):
    h = x
    for layer in layers[:-1]:
        h = nonlinearity(_linear(layer, h))
    return _linear(layers[-1], h)


def _softplus(x):
    return numpy.logaddexp(0, x)


def _save_load_roundtrip(tmp_path, make, x, read):
    """Save a policy, load into a fresh one, and compare what ``read`` takes from their outputs."""
    src = make()
    for p in src.params():
        p.array[...] = numpy.random.randn(*p.shape)
    path = tmp_path / "policy.npz"
    serializers.save_npz(str(path), src)
    dst = make()
    serializers.load_npz(str(path), dst)
    numpy.testing.assert_array_equal(read(dst(x)), read(src(x)))


# -- softmax -------------------------------------------------------------------------------------


def test_fc_softmax_policy_matches_reference():
    policy = FCSoftmaxPolicy(3, 4, n_hidden_layers=2, n_hidden_channels=8, beta=2.0, min_prob=0.01)
    x = _obs()
    d = policy(x)
    assert isinstance(d, SoftmaxDistribution) and isinstance(policy, Policy)
    logits = _mlp_ref([*policy.model.hidden_layers, policy.model.output], x)
    expected = special.softmax(2.0 * logits, axis=1) * (1 - 0.04) + 0.01
    numpy.testing.assert_allclose(d.all_prob.array, expected, rtol=1e-5)
    assert d.sample().shape == (5,)


def test_fc_softmax_policy_without_hidden_layers_and_custom_nonlinearity():
    policy = FCSoftmaxPolicy(3, 2, n_hidden_layers=1, n_hidden_channels=4, nonlinearity=F.tanh)
    x = _obs()
    logits = _mlp_ref([*policy.model.hidden_layers, policy.model.output], x, numpy.tanh)
    numpy.testing.assert_allclose(policy(x).logits.array, logits, rtol=1e-5, atol=1e-6)
    linear = FCSoftmaxPolicy(3, 2)
    numpy.testing.assert_allclose(
        linear(x).logits.array, _linear(linear.model.output, x), rtol=1e-5, atol=1e-6
    )


def test_fc_softmax_last_wscale_shrinks_initial_logits():
    small = FCSoftmaxPolicy(3, 2, 1, 64, last_wscale=1e-3)
    assert numpy.abs(small.model.output.W.array).max() < 1e-2


def test_softmax_policy_wraps_a_model_and_gradients_reach_it():
    model = L.Linear(3, 4)
    policy = SoftmaxPolicy(model, beta=0.5)
    d = policy(_obs())
    loss = -F.sum(d.log_prob(numpy.array([0, 1, 2, 3, 0])) + d.entropy)
    loss.backward()
    assert all(p.grad is not None and numpy.abs(p.grad).sum() > 0 for p in policy.params())


def test_softmax_policy_save_load(tmp_path):
    x = _obs()
    _save_load_roundtrip(
        tmp_path, lambda: FCSoftmaxPolicy(3, 4, 1, 8), x, lambda d: d.all_prob.array
    )


# -- Gaussian ------------------------------------------------------------------------------------


@pytest.mark.parametrize("var_type", ["spherical", "diagonal"])
def test_fc_gaussian_policy_matches_reference(var_type):
    low, high = numpy.array([-1.0, 0.0], numpy.float32), numpy.array([1.0, 4.0], numpy.float32)
    policy = FCGaussianPolicy(
        3,
        2,
        n_hidden_layers=2,
        n_hidden_channels=8,
        min_action=low,
        max_action=high,
        bound_mean=True,
        var_type=var_type,
        var_bias=0.5,
        min_var=0.1,
    )
    x = _obs()
    d = policy(x)
    assert isinstance(d, GaussianDistribution)
    h = numpy.maximum(_mlp_ref(policy.hidden_layers, x), 0)
    mean = low + (numpy.tanh(_linear(policy.mean_layer, h)) + 1) * (high - low) / 2
    var = numpy.broadcast_to(_softplus(_linear(policy.var_layer, h)), (5, 2)) + 0.1
    numpy.testing.assert_allclose(d.mean.array, mean, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(d.var.array, var, rtol=1e-5)
    numpy.testing.assert_array_equal(policy.var_layer.b.array, 0.5)
    assert policy.var_layer.W.shape == ({"spherical": 1, "diagonal": 2}[var_type], 8)


def test_fc_gaussian_policy_parameter_names_follow_chainerrl():
    policy = FCGaussianPolicy(3, 2, n_hidden_layers=1, n_hidden_channels=4)
    names = [name for name, _ in policy.namedparams()]
    assert names == ["/0/W", "/0/b", "/1/W", "/1/b", "/2/W", "/2/b"]
    assert policy[0] is policy.mean_layer and policy[2] is policy.hidden_layers[0]


def test_fc_gaussian_policy_without_hidden_layers_and_deepcopy():
    policy = FCGaussianPolicy(3, 2)
    x = _obs()
    numpy.testing.assert_allclose(
        policy(x).mean.array, _linear(policy.mean_layer, x), rtol=1e-5, atol=1e-6
    )
    twin = copy.deepcopy(policy)
    numpy.testing.assert_array_equal(twin(x).var.array, policy(x).var.array)
    assert twin.mean_layer is not policy.mean_layer


def test_state_independent_covariance_policy():
    policy = FCGaussianPolicyWithStateIndependentCovariance(
        3,
        2,
        n_hidden_layers=1,
        n_hidden_channels=8,
        var_type="diagonal",
        nonlinearity=F.tanh,
        var_func=F.exp,
        var_param_init=-1.0,
    )
    x = _obs()
    d = policy(x)
    mean = _mlp_ref(list(policy.hidden_layers), x, numpy.tanh)
    numpy.testing.assert_allclose(d.mean.array, mean, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(d.var.array, numpy.full((5, 2), numpy.exp(-1.0)), rtol=1e-6)
    names = [name for name, _ in policy.namedparams()]
    assert sorted(names) == [
        "/hidden_layers/0/W",
        "/hidden_layers/0/b",
        "/hidden_layers/1/W",
        "/hidden_layers/1/b",
        "/var_param",
    ]
    F.sum(d.log_prob(numpy.zeros((5, 2), numpy.float32))).backward()
    assert policy.var_param.grad is not None and policy.var_param.shape == (2,)


def test_state_independent_covariance_policy_bounded_mean_and_save_load(tmp_path):
    def make():
        return FCGaussianPolicyWithStateIndependentCovariance(
            3, 2, min_action=-2.0, max_action=2.0, bound_mean=True
        )

    policy = make()
    d = policy(_obs() * 100)
    assert numpy.abs(d.mean.array).max() <= 2.0
    numpy.testing.assert_allclose(d.var.array, numpy.log(2.0), rtol=1e-6)
    _save_load_roundtrip(tmp_path, make, _obs(), lambda d: numpy.stack([d.mean.array, d.var.array]))


@pytest.mark.parametrize("var", [0.3, numpy.array([0.3, 2.0])])
def test_fixed_covariance_policy(var):
    policy = FCGaussianPolicyWithFixedCovariance(3, 2, var, n_hidden_layers=1, n_hidden_channels=4)
    x = _obs()
    d = policy(x)
    numpy.testing.assert_allclose(d.mean.array, _mlp_ref(list(policy), x), rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(d.var.array, numpy.broadcast_to(var, (5, 2)), rtol=1e-6)
    assert d.var.dtype == numpy.float32
    assert [name for name, _ in policy.namedparams()] == ["/0/W", "/0/b", "/1/W", "/1/b"]


def test_gaussian_head_with_state_independent_covariance():
    head = GaussianHeadWithStateIndependentCovariance(3, var_type="diagonal", var_param_init=1.0)
    mean = kusari.Variable(numpy.random.randn(4, 3).astype(numpy.float32))
    d = head(mean)
    assert d.mean is mean
    numpy.testing.assert_allclose(d.var.array, numpy.full((4, 3), _softplus(1.0)), rtol=1e-6)
    F.sum(d.entropy).backward()
    assert head.var_param.grad.shape == (3,)
    spherical = GaussianHeadWithStateIndependentCovariance(3)
    assert spherical.var_param.shape == (1,) and spherical(mean).var.shape == (4, 3)


def test_gaussian_policy_save_load(tmp_path):
    x = _obs()
    _save_load_roundtrip(
        tmp_path,
        lambda: FCGaussianPolicy(3, 2, 1, 8, var_type="diagonal"),
        x,
        lambda d: numpy.stack([d.mean.array, d.var.array]),
    )


# -- deterministic -------------------------------------------------------------------------------


def test_fc_deterministic_policy_bounds_actions():
    low, high = numpy.array([-2.0, 0.0], numpy.float32), numpy.array([2.0, 1.0], numpy.float32)
    policy = FCDeterministicPolicy(3, 1, 8, 2, min_action=low, max_action=high)
    x = _obs()
    d = policy(x)
    assert isinstance(d, ContinuousDeterministicDistribution)
    raw = _mlp_ref([*policy.model.hidden_layers, policy.model.output], x)
    expected = (numpy.tanh(raw) + 1) * (high - low) / 2 + low
    numpy.testing.assert_allclose(d.sample().array, expected, rtol=1e-5, atol=1e-6)
    extreme = policy(x * 1000).most_probable.array
    assert (extreme >= low).all() and (extreme <= high).all()


def test_fc_deterministic_policy_unbounded_and_save_load(tmp_path):
    policy = FCDeterministicPolicy(3, 0, None, 2, bound_action=False, last_wscale=2.0)
    x = _obs()
    numpy.testing.assert_allclose(
        policy(x).sample().array, _linear(policy.model.output, x), rtol=1e-5, atol=1e-6
    )
    _save_load_roundtrip(
        tmp_path,
        lambda: FCDeterministicPolicy(3, 2, 4, 1, min_action=-1, max_action=1),
        x,
        lambda d: d.sample().array,
    )


def test_continuous_deterministic_policy_model_call_and_gradients():
    model = L.Linear(3, 2)
    policy = ContinuousDeterministicPolicy(
        model, model_call=lambda m, x: m(x) * 2.0, action_filter=F.tanh
    )
    x = _obs()
    a = policy(x).sample()
    numpy.testing.assert_allclose(a.array, numpy.tanh(2.0 * _linear(model, x)), rtol=1e-5)
    F.sum(a).backward()
    assert model.W.grad is not None


# -- bad input -----------------------------------------------------------------------------------


def test_bad_input_messages():
    with pytest.raises(ValueError, match="FCSoftmaxPolicy: n_hidden_channels must be a positive"):
        FCSoftmaxPolicy(3, 2, n_hidden_layers=2)
    with pytest.raises(ValueError, match="FCGaussianPolicy: n_hidden_layers must be >= 0, got -1"):
        FCGaussianPolicy(3, 2, n_hidden_layers=-1)
    with pytest.raises(ValueError, match="FCGaussianPolicy: var_type must be 'spherical' or"):
        FCGaussianPolicy(3, 2, var_type="full")
    with pytest.raises(ValueError, match="FCGaussianPolicy: bounding needs both min_action"):
        FCGaussianPolicy(3, 2, bound_mean=True, max_action=1.0)
    with pytest.raises(ValueError, match="FCDeterministicPolicy: max_action must be >= min_action"):
        FCDeterministicPolicy(3, 0, None, 1, min_action=1.0, max_action=-1.0)
    with pytest.raises(ValueError, match=r"FCDeterministicPolicy: min_action \(3,\) and"):
        FCDeterministicPolicy(3, 0, None, 2, min_action=numpy.zeros(3), max_action=1.0)
    with pytest.raises(ValueError, match="FCGaussianPolicyWithFixedCovariance: var must be pos"):
        FCGaussianPolicyWithFixedCovariance(3, 2, var=0.0)
    with pytest.raises(ValueError, match=r"FCGaussianPolicyWithFixedCovariance: var must be a sc"):
        FCGaussianPolicyWithFixedCovariance(3, 2, var=numpy.ones(3))
    with pytest.raises(ValueError, match="GaussianHeadWithStateIndependentCovariance: var_type"):
        GaussianHeadWithStateIndependentCovariance(2, var_type="Diagonal")
    with pytest.raises(TypeError, match="SoftmaxPolicy: model must be a kusari.Link"):
        SoftmaxPolicy(lambda x: x)
    with pytest.raises(TypeError, match="ContinuousDeterministicPolicy: model must be a kusari"):
        ContinuousDeterministicPolicy(F.tanh)


def test_fc_bn_deterministic_policy_bounds_actions_in_both_modes():
    policy = FCBNDeterministicPolicy(3, 2, 8, 2, min_action=-1.0, max_action=numpy.array([1, 3]))
    x = _obs(16) * 50
    train = policy(x).sample()
    assert train.shape == (16, 2) and isinstance(policy(x), ContinuousDeterministicDistribution)
    with kusari.using_config("train", False), kusari.no_backprop_mode():
        test = policy(x).sample().array
    for a in (train.array, test):
        assert (a >= -1.0).all() and (a <= numpy.array([1.0, 3.0])).all()
    F.sum(train).backward()
    assert all(p.grad is not None for p in policy.params())
