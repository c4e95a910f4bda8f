import copy
import pickle
import warnings

import numpy
import pytest

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import optimizer_hooks, optimizers
from kusari.optimizer import GradientMethod, Hyperparameter, HyperparameterProxy, UpdateRule
from kusari.optimizers.momentum_sgd import MomentumSGDRule
from kusari.serializers import DictionarySerializer, NpzDeserializer, load_npz, save_npz


class MLP(kusari.Chain):
    def __init__(self, seed=0, n_in=3, n_hidden=5, n_out=2):
        super().__init__()
        rng = numpy.random.RandomState(seed)
        w1 = rng.uniform(-1, 1, (n_hidden, n_in)).astype(numpy.float32)
        w2 = rng.uniform(-1, 1, (n_out, n_hidden)).astype(numpy.float32)
        with self.init_scope():
            self.l1 = L.Linear(n_in, n_hidden, initialW=w1, initial_bias=0.1)
            self.l2 = L.Linear(n_hidden, n_out, initialW=w2, initial_bias=0)

    def forward(self, x, t):
        return F.mean_squared_error(self.l2(F.tanh(self.l1(x))), t)


def _data(seed=0, n=8):
    rng = numpy.random.RandomState(seed)
    x = rng.uniform(-1, 1, (n, 3)).astype(numpy.float32)
    t = numpy.stack([x[:, 0] * x[:, 1], numpy.sin(2 * x[:, 2])], axis=1).astype(numpy.float32)
    return x, t


def _params(link):
    return {name: p.array.copy() for name, p in link.namedparams()}


class _Recorder:
    """A hook that appends its name (and what it was called with) to a shared log."""

    def __init__(self, log, name, timing=None, per_param=False):
        self.log = log
        self.name = name
        if timing is not None:
            self.timing = timing
        self.call_for_each_param = per_param

    def __call__(self, *args):
        self.log.append((self.name, args))


# -- Hyperparameter ----------------------------------------------------------------------------
def test_hyperparameter_inherits_until_set_locally():
    parent = Hyperparameter()
    parent.lr = 0.1
    parent.momentum = 0.9
    child = Hyperparameter(parent)
    assert child.parent is parent
    assert child.lr == 0.1
    child.lr = 0.01
    assert (child.lr, parent.lr) == (0.01, 0.1)
    parent.momentum = 0.5
    assert child.momentum == 0.5
    assert child.get_dict() == {"lr": 0.01, "momentum": 0.5}
    assert parent.get_dict() == {"lr": 0.1, "momentum": 0.5}
    assert repr(child) == "Hyperparameter(lr=0.01, momentum=0.5)"
    del child.lr
    assert child.lr == 0.1


def test_hyperparameter_missing_entry_raises_attribute_error():
    with pytest.raises(AttributeError, match="'nope'"):
        _ = Hyperparameter(Hyperparameter()).nope
    assert not hasattr(Hyperparameter(), "lr")


def test_hyperparameter_copy_and_pickle():
    parent = Hyperparameter()
    parent.lr = 0.1
    child = Hyperparameter(parent)
    child.eps = 1e-3
    for clone in (copy.deepcopy(child), pickle.loads(pickle.dumps(child))):
        assert clone.get_dict() == {"lr": 0.1, "eps": 1e-3}


def test_hyperparameter_proxy():
    class Opt:
        lr = HyperparameterProxy("lr")

        def __init__(self):
            self.hyperparam = Hyperparameter()

    opt = Opt()
    opt.lr = 0.3
    assert opt.hyperparam.lr == 0.3
    assert opt.lr == 0.3
    assert isinstance(Opt.lr, HyperparameterProxy)


def test_rule_hyperparameter_inheritance_and_per_parameter_override():
    model = MLP()
    opt = optimizers.SGD(lr=0.1).setup(model)
    rule_w1 = model.l1.W.update_rule
    assert rule_w1.hyperparam.parent is opt.hyperparam
    assert rule_w1.hyperparam.lr == 0.1
    rule_w1.hyperparam.lr = 0.0  # freeze l1/W through its own lr
    before = _params(model)
    x, t = _data()
    opt.update(model, x, t)
    after = _params(model)
    numpy.testing.assert_array_equal(after["/l1/W"], before["/l1/W"])
    assert not numpy.array_equal(after["/l2/W"], before["/l2/W"])
    # an optimizer-wide change reaches every rule that did not override it
    opt.lr = 0.0
    opt.update(model, x, t)
    for name, value in _params(model).items():
        numpy.testing.assert_array_equal(value, after[name])
    del rule_w1.hyperparam.lr
    opt.lr = 0.1
    opt.update(model, x, t)
    assert not numpy.array_equal(model.l1.W.array, after["/l1/W"])


def test_replacing_a_rule_hyperparameter_object_is_seen():
    param = kusari.Parameter(numpy.zeros(2, numpy.float32))
    param.update_rule = optimizers.sgd.SGDRule(lr=1.0)
    param.grad = numpy.ones(2, numpy.float32)
    param.update()
    param.update_rule.hyperparam = Hyperparameter()
    param.update_rule.hyperparam.lr = 0.5
    param.grad = numpy.ones(2, numpy.float32)
    param.update()
    numpy.testing.assert_allclose(param.array, -1.5)


# -- UpdateRule ---------------------------------------------------------------------------------
def _param_with_grad(value=1.0, grad=1.0, dtype=numpy.float32):
    param = kusari.Parameter(numpy.full(3, value, dtype))
    param.grad = numpy.full(3, grad, dtype)
    return param


def test_update_rule_skips_without_grad_or_when_disabled():
    rule = MomentumSGDRule(lr=0.1)
    param = kusari.Parameter(numpy.ones(3, numpy.float32))
    rule.update(param)
    assert (rule.t, rule.state) == (0, None)
    param.grad = numpy.ones(3, numpy.float32)
    rule.enabled = False
    rule.update(param)
    assert rule.t == 0
    numpy.testing.assert_array_equal(param.array, 1.0)
    rule.enabled = True
    rule.update(param)
    assert rule.t == 1
    numpy.testing.assert_allclose(param.array, 0.9)


def test_update_rule_hooks_order_and_arguments():
    log = []
    rule = MomentumSGDRule(lr=0.1)
    rule.add_hook(_Recorder(log, "post", timing="post"))
    rule.add_hook(_Recorder(log, "pre"))
    rule.add_hook(_Recorder(log, "explicit"), name="other", timing="pre")
    param = _param_with_grad()
    rule.update(param)
    assert [entry[0] for entry in log] == ["pre", "explicit", "post"]
    assert log[0][1] == (rule, param)
    rule.remove_hook("pre")
    rule.remove_hook("post")
    with pytest.raises(KeyError, match="pre"):
        rule.remove_hook("pre")
    with pytest.raises(ValueError, match="already exists"):
        rule.add_hook(_Recorder(log, "other"))
    with pytest.raises(TypeError, match="callable"):
        rule.add_hook(3)
    with pytest.raises(ValueError, match="timing"):
        rule.add_hook(_Recorder(log, "x"), timing="later")


def test_update_rule_divides_loss_scaled_gradient():
    param = _param_with_grad(grad=8.0)
    param._loss_scale = 4.0
    rule = optimizers.sgd.SGDRule(lr=0.5)
    rule.update(param)
    numpy.testing.assert_allclose(param.array, 0.0)
    assert param._loss_scale is None


def test_update_rule_custom_cpu_gpu_pair():
    class HalveRule(UpdateRule):
        def update_core_cpu(self, param):
            param.array[...] *= 0.5

    param = _param_with_grad(value=4.0)
    HalveRule().update(param)
    numpy.testing.assert_allclose(param.array, 2.0)
    with pytest.raises(NotImplementedError, match="update_core"):
        UpdateRule().update(_param_with_grad())


def test_update_rule_state_moves_with_deserialized_values():
    rule = MomentumSGDRule(lr=0.1)
    s = DictionarySerializer()
    source = MomentumSGDRule(lr=0.1)
    source.update(_param_with_grad())
    source.serialize(s)
    assert sorted(s.target) == ["t", "v"]
    rule.serialize(NpzDeserializer(s.target))
    assert rule.t == 1
    numpy.testing.assert_allclose(rule.state["v"], -0.1)
    param = _param_with_grad()
    rule.update(param)
    numpy.testing.assert_allclose(rule.state["v"], 0.9 * -0.1 - 0.1)


def test_update_rule_loads_snapshot_taken_before_first_update():
    saved = DictionarySerializer()
    MomentumSGDRule().serialize(saved)
    assert sorted(saved.target) == ["t"]
    rule = MomentumSGDRule()
    rule.serialize(NpzDeserializer(saved.target))
    assert rule.state is None
    rule.update(_param_with_grad())
    assert sorted(rule.state) == ["v"]


def test_update_rule_missing_state_entry():
    saved = {"t": numpy.asarray(3)}
    with pytest.raises(KeyError, match="'v'"):
        MomentumSGDRule().serialize(NpzDeserializer(saved))
    disabled = MomentumSGDRule()
    disabled.enabled = False
    disabled.serialize(NpzDeserializer(saved))
    assert (disabled.t, disabled.state) == (3, None)


def test_update_rule_pickle_resolves_hyperparameters_again():
    param = _param_with_grad()
    opt = optimizers.SGD(lr=0.5)
    param.update_rule = opt.create_update_rule()
    param.update()
    clone = pickle.loads(pickle.dumps(param.update_rule))
    clone.hyperparam.lr = 0.25
    p2 = _param_with_grad()
    clone.update(p2)
    numpy.testing.assert_allclose(p2.array, 0.75)


# -- Optimizer ----------------------------------------------------------------------------------
def test_setup_returns_self_and_creates_rules():
    model = MLP()
    opt = optimizers.MomentumSGD()
    assert opt.setup(model) is opt
    assert opt.target is model
    assert (opt.t, opt.epoch) == (0, 0)
    rules = [p.update_rule for p in model.params()]
    assert all(isinstance(r, MomentumSGDRule) for r in rules)
    assert len({id(r) for r in rules}) == 4


def test_setup_rejects_non_link():
    with pytest.raises(TypeError, match="must be a Link, got list"):
        optimizers.SGD().setup([])


def test_update_before_setup_raises():
    with pytest.raises(RuntimeError, match="setup"):
        optimizers.SGD().update()


def test_base_classes_are_abstract():
    with pytest.raises(NotImplementedError):
        kusari.Optimizer().update()
    with pytest.raises(NotImplementedError):
        GradientMethod().setup(MLP())


def test_update_with_lossfun_equals_manual_backward_and_update():
    x, t = _data()
    a, b = MLP(), MLP()
    opt_a = optimizers.MomentumSGD(lr=0.1).setup(a)
    opt_b = optimizers.MomentumSGD(lr=0.1).setup(b)
    for p in a.params():  # stale gradients are cleared by update(lossfun)
        p.grad = numpy.full_like(p.array, 100.0)
    for _ in range(3):
        opt_a.update(a, x, t)
        b.cleargrads()
        b(x, t).backward()
        opt_b.update()
    assert opt_a.t == opt_b.t == 3
    for (name, pa), (_, pb) in zip(a.namedparams(), b.namedparams(), strict=True):
        numpy.testing.assert_array_equal(pa.array, pb.array, err_msg=name)


def test_update_with_kwargs_lossfun():
    model = MLP()
    opt = optimizers.SGD(lr=0.1).setup(model)
    x, t = _data()
    before = model(x, t).array
    opt.update(lambda *, x, t: model(x, t), x=x, t=t)
    assert model(x, t).array < before


def test_cleared_gradients_become_zeros_and_momentum_continues():
    param_value = numpy.ones(3, numpy.float32)
    link = kusari.Link()
    with link.init_scope():
        link.w = kusari.Parameter(param_value.copy())
    opt = optimizers.MomentumSGD(lr=0.1, momentum=0.5).setup(link)
    link.w.grad = numpy.ones(3, numpy.float32)
    opt.update()
    link.w.cleargrad()
    opt.update()
    numpy.testing.assert_array_equal(link.w.grad, 0.0)
    numpy.testing.assert_allclose(link.w.array, 1 - 0.1 - 0.05)
    assert link.w.update_rule.t == 2


def test_parameter_added_after_setup_gets_a_rule():
    link = kusari.Link()
    with link.init_scope():
        link.a = kusari.Parameter(numpy.ones(2, numpy.float32))
    opt = optimizers.SGD(lr=0.5).setup(link)
    with link.init_scope():
        link.b = kusari.Parameter(numpy.ones(2, numpy.float32))
    link.a.grad = numpy.ones(2, numpy.float32)
    link.b.grad = numpy.ones(2, numpy.float32)
    opt.update()
    assert isinstance(link.b.update_rule, optimizers.sgd.SGDRule)
    numpy.testing.assert_allclose(link.b.array, 0.5)


def test_uninitialized_parameter_is_skipped_then_updated():
    link = L.Linear(None, 2)
    opt = optimizers.SGD(lr=0.1).setup(link)
    opt.update()  # nothing initialized yet
    assert link.W.array is None
    x = numpy.ones((1, 3), numpy.float32)
    opt.update(lambda: F.sum(link(x)))
    assert link.W.update_rule.t == 1
    assert link.W.array.shape == (2, 3)


def test_disabled_link_is_not_updated():
    model = MLP()
    opt = optimizers.SGD(lr=0.1).setup(model)
    model.l1.disable_update()
    before = _params(model)
    opt.update(model, *_data())
    after = _params(model)
    numpy.testing.assert_array_equal(after["/l1/W"], before["/l1/W"])
    assert not numpy.array_equal(after["/l2/W"], before["/l2/W"])


def test_optimizer_hooks_timing_and_per_param_calls():
    model = MLP()
    opt = optimizers.SGD(lr=0.1).setup(model)
    log = []
    seen = []

    def check_unchanged(optimizer):
        seen.append(numpy.array_equal(optimizer.target.l1.W.array, w0))

    w0 = model.l1.W.array.copy()
    opt.add_hook(_Recorder(log, "post", timing="post"))
    opt.add_hook(_Recorder(log, "per_param", timing="pre", per_param=True))
    opt.add_hook(check_unchanged, timing="pre")
    opt.add_hook(_Recorder(log, "pre", timing="pre"))
    opt.update(model, *_data())
    names = [entry[0] for entry in log]
    assert names == ["per_param"] * 4 + ["pre", "post"]
    rule, param = log[0][1]
    assert rule is param.update_rule
    assert log[4][1] == (opt,)
    assert seen == [True]
    opt.remove_hook("post")
    opt.remove_hook("check_unchanged")
    with pytest.raises(KeyError, match="post"):
        opt.remove_hook("post")


def test_optimizer_add_hook_errors():
    opt = optimizers.SGD()
    with pytest.raises(RuntimeError, match="setup"):
        opt.add_hook(_Recorder([], "a", timing="pre"))
    opt.setup(MLP())
    opt.add_hook(_Recorder([], "a", timing="pre"))
    with pytest.raises(KeyError, match="already exists"):
        opt.add_hook(_Recorder([], "a", timing="post"))
    with pytest.raises(TypeError, match="callable"):
        opt.add_hook("a")
    with pytest.raises(ValueError, match="timing"):
        opt.add_hook(_Recorder([], "b"), timing="sometime")
    with pytest.warns(UserWarning, match="timing"):
        opt.add_hook(_Recorder([], "c"))
    assert "c" in opt._pre_update_hooks
    with pytest.raises(ValueError, match="timing"):
        opt.call_hooks("later")


def test_call_hooks_public():
    model = MLP()
    opt = optimizers.SGD().setup(model)
    log = []
    opt.add_hook(_Recorder(log, "p", timing="post"))
    opt.call_hooks("post")
    assert log == [("p", (opt,))]


def test_new_epoch():
    opt = optimizers.SGD().setup(MLP())
    opt.new_epoch()
    assert opt.epoch == 1
    with pytest.raises(RuntimeError, match="use_auto_new_epoch"):
        opt.new_epoch(auto=True)
    opt.use_auto_new_epoch = True
    opt.new_epoch(auto=True)
    assert opt.epoch == 2
    with pytest.raises(RuntimeError, match="updater"):
        opt.new_epoch()


# -- serialization and resume -------------------------------------------------------------------
def test_serialize_keys():
    model = MLP()
    opt = optimizers.Adam().setup(model)
    opt.update(model, *_data())
    opt.new_epoch()
    s = DictionarySerializer()
    s.save(opt)
    expected = {"t", "epoch"}
    for name in ("l1/W", "l1/b", "l2/W", "l2/b"):
        expected |= {f"{name}/t", f"{name}/m", f"{name}/v"}
    assert set(s.target) == expected
    assert int(s.target["t"]) == 1
    assert int(s.target["epoch"]) == 1
    numpy.testing.assert_array_equal(s.target["l1/W/m"], model.l1.W.update_rule.state["m"])


@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.SGD(lr=0.1),
        lambda: optimizers.MomentumSGD(lr=0.1),
        lambda: optimizers.Adam(alpha=0.01, amsgrad=True),
        lambda: optimizers.AdaBound(alpha=0.01, final_lr=0.05),
    ],
)
def test_resume_from_npz_continues_identically(tmp_path, make):
    x, t = _data()
    model = MLP()
    opt = make().setup(model)
    opt.add_hook(optimizer_hooks.WeightDecay(1e-3))
    for _ in range(3):
        opt.update(model, x, t)
    save_npz(tmp_path / "model.npz", model)
    save_npz(tmp_path / "opt.npz", opt)
    for _ in range(4):
        opt.update(model, x, t)

    resumed = MLP(seed=99)
    opt2 = make().setup(resumed)
    opt2.add_hook(optimizer_hooks.WeightDecay(1e-3))
    load_npz(tmp_path / "model.npz", resumed)
    load_npz(tmp_path / "opt.npz", opt2)
    assert opt2.t == 3
    for _ in range(4):
        opt2.update(resumed, x, t)
    assert opt2.t == opt.t == 7
    for (name, a), (_, b) in zip(model.namedparams(), resumed.namedparams(), strict=True):
        numpy.testing.assert_array_equal(a.array, b.array, err_msg=name)


def test_resume_float16_with_fp32_update_is_identical():
    rng = numpy.random.RandomState(0)
    grads = [rng.uniform(-1, 1, (4,)).astype(numpy.float16) for _ in range(6)]

    def make_link():
        link = kusari.Link()
        with link.init_scope():
            link.w = kusari.Parameter(numpy.linspace(-1, 1, 4).astype(numpy.float16))
        return link

    def step(opt, link, g):
        link.w.grad = g.copy()
        opt.update()

    link = make_link()
    opt = optimizers.Adam(alpha=1e-3)
    opt.use_fp32_update()
    opt.setup(link)
    for g in grads[:3]:
        step(opt, link, g)
    saved_model, saved_opt = DictionarySerializer(), DictionarySerializer()
    saved_model.save(link)
    saved_opt.save(opt)
    assert "w/fp32_param" in saved_opt.target
    # the serializer keeps references to the live arrays; freeze them as a file would
    model_snapshot = {k: v.copy() for k, v in saved_model.target.items()}
    opt_snapshot = {k: v.copy() for k, v in saved_opt.target.items()}
    for g in grads[3:]:
        step(opt, link, g)

    link2 = make_link()
    opt2 = optimizers.Adam(alpha=1e-3)
    opt2.setup(link2)
    opt2.use_fp32_update()
    NpzDeserializer(model_snapshot).load(link2)
    NpzDeserializer(opt_snapshot).load(opt2)
    for g in grads[3:]:
        step(opt2, link2, g)
    numpy.testing.assert_array_equal(link.w.array, link2.w.array)
    numpy.testing.assert_array_equal(
        link.w.update_rule._fp32_param.array, link2.w.update_rule._fp32_param.array
    )


def test_chainer_snapshot_without_master_copy_recreates_it():
    link = kusari.Link()
    with link.init_scope():
        link.w = kusari.Parameter(numpy.full(2, 0.5, numpy.float16))
    opt = optimizers.SGD(lr=0.1)
    opt.use_fp32_update()
    opt.setup(link)
    link.w.grad = numpy.ones(2, numpy.float16)
    opt.update()
    chainer_snapshot = {"t": numpy.asarray(1), "epoch": numpy.asarray(0), "w/t": numpy.asarray(1)}
    NpzDeserializer(chainer_snapshot).load(opt)
    assert link.w.update_rule._fp32_param is None
    link.w.array[...] = 1.0
    link.w.grad = numpy.ones(2, numpy.float16)
    opt.update()
    numpy.testing.assert_allclose(link.w.array, 0.9, rtol=1e-3)


# -- loss scaling -------------------------------------------------------------------------------
def test_static_loss_scaling_gives_the_unscaled_result():
    x, t = _data()
    a, b = MLP(), MLP()
    opt_a = optimizers.MomentumSGD(lr=0.1).setup(a)
    opt_b = optimizers.MomentumSGD(lr=0.1).setup(b)
    opt_b.loss_scaling(scale=64.0)
    for _ in range(3):
        opt_a.update(a, x, t)
        opt_b.update(b, x, t)
    for (name, pa), (_, pb) in zip(a.namedparams(), b.namedparams(), strict=True):
        numpy.testing.assert_allclose(pa.array, pb.array, rtol=1e-6, atol=1e-7, err_msg=name)


def test_dynamic_loss_scaling_skips_non_finite_steps():
    link = kusari.Link()
    with link.init_scope():
        link.w = kusari.Parameter(numpy.ones(2, numpy.float32))
    opt = optimizers.SGD(lr=0.1).setup(link)
    opt.loss_scaling(interval=2)
    assert opt._loss_scale == 1.0
    link.w.grad = numpy.ones(2, numpy.float32)
    opt.update()
    assert opt._loss_scale == 2.0  # doubles until the first overflow
    link.w.grad = numpy.array([numpy.inf, 1.0], numpy.float32)
    with pytest.warns(UserWarning, match="non-finite"):
        opt.update()
    numpy.testing.assert_allclose(link.w.array, 0.9)  # the step was skipped
    assert not opt.is_safe_to_update()
    assert opt._loss_scale == 1.0
    link.w.grad = numpy.ones(2, numpy.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.update()
    assert opt._loss_scale == pytest.approx(2**0.5)


def test_switching_to_static_scaling_after_an_overflow_updates_again():
    link = kusari.Link()
    with link.init_scope():
        link.w = kusari.Parameter(numpy.ones(2, numpy.float32))
    opt = optimizers.SGD(lr=0.1).setup(link)
    opt.loss_scaling()
    link.w.grad = numpy.array([numpy.nan, 1.0], numpy.float32)
    with pytest.warns(UserWarning, match="non-finite"):
        opt.update()
    opt.set_loss_scale(1.0)
    link.w.grad = numpy.ones(2, numpy.float32)
    opt.update()
    numpy.testing.assert_allclose(link.w.array, 0.9)


def test_loss_scaling_rejects_bad_values():
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match="interval"):
        opt.loss_scaling(interval=0)
    with pytest.raises(ValueError, match="scale"):
        opt.set_loss_scale(-1.0)
    opt.set_loss_scale(8.0)
    assert (opt._loss_scale, opt._loss_scaling_is_dynamic) == (8.0, False)


# -- learning -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.SGD(lr=0.5),
        lambda: optimizers.MomentumSGD(lr=0.1),
        lambda: optimizers.Adam(alpha=0.05),
        lambda: optimizers.AdamW(alpha=0.05, weight_decay_rate=1e-4),
        lambda: optimizers.AMSGrad(alpha=0.05),
        lambda: optimizers.AdaBound(alpha=0.05, final_lr=0.1),
        lambda: optimizers.AMSBound(alpha=0.05, final_lr=0.1),
    ],
)
def test_model_learns(make):
    x, t = _data(n=32)
    model = MLP(n_hidden=16)
    opt = make().setup(model)
    opt.add_hook(optimizer_hooks.GradientClipping(10.0))
    first = float(model(x, t).array)
    for _ in range(150):
        opt.update(model, x, t)
    last = float(model(x, t).array)
    assert last < 0.3 * first
