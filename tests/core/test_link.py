import copy
import functools
import pickle

import numpy
import pytest

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import Chain, ChainList, Link, Parameter, Sequential, Variable, initializers
from kusari.serializers import load_npz, save_npz


class Affine(Link):
    """A hand-written linear layer, so these tests depend on Link alone."""

    def __init__(self, n_in, n_out, seed=0):
        super().__init__()
        rng = numpy.random.RandomState(seed)
        with self.init_scope():
            self.W = Parameter(rng.randn(n_out, n_in).astype(numpy.float32))
            self.b = Parameter(0, (n_out,))

    def forward(self, x):
        return F.linear(x, self.W, self.b)


class Stats(Link):
    """A link with persistent values of every kind."""

    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.scale = Parameter(initializers.One(), (3,))
        self.add_persistent("mean", numpy.zeros(3, numpy.float32))
        self.count = 0
        self.register_persistent("count")


class MLP(Chain):
    def __init__(self, seed=0):
        super().__init__()
        with self.init_scope():
            # registered out of name order on purpose: traversals are sorted by name
            self.l2 = Affine(4, 2, seed + 1)
            self.l1 = Affine(3, 4, seed)

    def forward(self, x):
        return self.l2(F.relu(self.l1(x)))


class Model(Chain):
    def __init__(self, seed=0):
        super().__init__()
        with self.init_scope():
            self.predictor = MLP(seed)
            self.stats = Stats()
            self.bias = Parameter(initializers.Zero(), (2,))


def _param_arrays(link):
    return {path: param.array for path, param in link.namedparams()}


# -- registration -----------------------------------------------------------------------------
def test_init_scope_registers_parameters_only_inside():
    link = Link()
    assert not link.within_init_scope
    with link.init_scope():
        assert link.within_init_scope
        link.W = Parameter(0, (2, 3))
    assert not link.within_init_scope
    link.V = Parameter(0, (2,))  # outside the scope: a plain attribute
    assert [name for name, _ in link.namedparams()] == ["/W"]
    assert link.W.name == "W"
    del link.W
    assert list(link.params()) == []


def test_init_scope_without_base_init_says_so():
    class Broken(Link):
        def __init__(self):
            with self.init_scope():
                self.W = Parameter(0, (2,))

    with pytest.raises(RuntimeError, match=r"Broken.init_scope: .* call super\(\).__init__\(\)"):
        Broken()


def test_add_param_and_legacy_constructor():
    link = Link(x=(2, 3), y=((4,), numpy.float64), z=None)
    assert link.x.shape == (2, 3) and link.x.dtype == numpy.float32
    assert numpy.isnan(link.x.array).all()
    assert link.y.dtype == numpy.float64
    assert not link.z.is_initialized
    assert [name for name, _ in link.namedparams()] == ["/x", "/y", "/z"]
    assert [name for name, _ in link.namedparams(include_uninit=False)] == ["/x", "/y"]
    link.add_param("w", (2,), initializer=initializers.Constant(3.0))
    numpy.testing.assert_array_equal(link.w.array, [3.0, 3.0])
    with pytest.raises(AttributeError, match="add_param: cannot register a new parameter 'w'"):
        link.add_param("w", (2,))


def test_persistent_registration():
    link = Stats()
    assert link._persistent == ["count", "mean"]
    with pytest.raises(AttributeError, match="add_persistent: .* 'mean': the attribute exists"):
        link.add_persistent("mean", 1)
    with pytest.raises(AttributeError, match="register_persistent: .* 'missing'"):
        link.register_persistent("missing")
    # a parameter registered as persistent stops being a parameter
    link.register_persistent("scale")
    assert list(link.params()) == []


def test_call_dispatches_to_forward():
    link = Affine(3, 2)
    x = numpy.ones((5, 3), numpy.float32)
    numpy.testing.assert_allclose(link(x).array, x @ link.W.array.T, rtol=1e-6)


# -- chains: names and traversal order --------------------------------------------------------
def test_chain_names_and_traversal_order():
    model = Model()
    assert model.predictor.name == "predictor"
    assert model["predictor"] is model.predictor
    assert [path for path, _ in model.namedparams()] == [
        "/bias",
        "/predictor/l1/W",
        "/predictor/l1/b",
        "/predictor/l2/W",
        "/predictor/l2/b",
        "/stats/scale",
    ]
    assert [p for _, p in model.namedparams()] == list(model.params())
    assert [path for path, _ in model.namedlinks()] == [
        "/",
        "/predictor",
        "/predictor/l1",
        "/predictor/l2",
        "/stats",
    ]
    assert [path for path, _ in model.namedlinks(skipself=True)][0] == "/predictor"
    assert [link for _, link in model.namedlinks()] == list(model.links())
    assert list(model.links(skipself=True))[0] is model.predictor
    assert list(model.children()) == [model.predictor, model.stats]
    assert list(model.predictor.l1.children()) == []


def test_chain_registration_errors_and_add_link():
    chain = Chain(b=Affine(2, 2), a=Affine(2, 2))
    assert [path for path, _ in chain.namedlinks(skipself=True)] == ["/a", "/b"]
    with pytest.raises(AttributeError, match="'a': the attribute exists"):
        chain.add_link("a", Affine(2, 2))
    with pytest.raises(TypeError, match="add_link: expected a Link, got int"):
        chain.add_link("c", 3)
    with pytest.raises(AttributeError, match="cannot register a new link 'b'"), chain.init_scope():
        chain.b = Affine(2, 2)
    del chain.a
    assert [path for path, _ in chain.namedlinks(skipself=True)] == ["/b"]


def test_chain_list():
    chain_list = ChainList(Affine(3, 4), Affine(4, 2))
    assert len(chain_list) == 2
    assert [link.name for link in chain_list] == ["0", "1"]
    assert [path for path, _ in chain_list.namedparams()] == ["/0/W", "/0/b", "/1/W", "/1/b"]
    assert [path for path, _ in chain_list.namedlinks()] == ["/", "/0", "/1"]
    third = Affine(2, 2)
    chain_list.append(third)
    assert chain_list[2] is third and third.name == "2"
    first = Affine(3, 3)
    chain_list.insert(0, first)
    assert [link.name for link in chain_list] == ["0", "1", "2", "3"]
    del chain_list[0]
    assert first not in chain_list
    assert [link.name for link in chain_list] == ["0", "1", "2"]
    assert chain_list.pop() is third and len(chain_list) == 2
    with pytest.raises(TypeError, match="expected a Link, got function"):
        chain_list.append(F.relu)
    with pytest.raises(TypeError, match="use append"), chain_list.init_scope():
        chain_list.extra = Affine(2, 2)


# -- parameters and gradients -----------------------------------------------------------------
def test_copyparams_copies_arrays_and_persistents():
    src, dst = Model(seed=0), Model(seed=10)
    src.stats.mean[...] = [1, 2, 3]
    src.stats.count = 7
    arrays_before = _param_arrays(dst)
    dst.copyparams(src)
    for path, param in dst.namedparams():
        assert param.array is arrays_before[path]  # copied in place
        numpy.testing.assert_array_equal(param.array, dict(src.namedparams())[path].array)
    numpy.testing.assert_array_equal(dst.stats.mean, [1, 2, 3])
    assert dst.stats.count == 7
    other = Model(seed=20)
    other.copyparams(src, copy_persistent=False)
    numpy.testing.assert_array_equal(other.stats.mean, 0)
    assert other.stats.count == 0


def test_cleargrads_zerograds_addgrads():
    model = MLP()
    x = numpy.random.RandomState(1).randn(5, 3).astype(numpy.float32)
    F.sum(model(x)).backward()
    assert all(p.grad is not None for p in model.params())
    model.cleargrads()
    assert all(p.grad is None for p in model.params())
    model.zerograds()
    assert all((p.grad == 0).all() and p.grad.shape == p.shape for p in model.params())
    other = MLP()
    F.sum(other(x)).backward()
    model.addgrads(other)
    model.addgrads(other)
    for (_, p), (_, q) in zip(model.namedparams(), other.namedparams(), strict=True):
        numpy.testing.assert_allclose(p.grad, 2 * q.grad)


def test_count_params_warns_about_uninitialized():
    model = MLP()
    assert model.count_params() == 3 * 4 + 4 + 4 * 2 + 2
    link = Link(W=None, b=(3,))
    with pytest.warns(UserWarning, match="'/W' is not initialized"):
        assert link.count_params() == 3


def test_update_enabled_follows_update_rules():
    class Rule:
        enabled = True

    model = MLP()
    assert not model.update_enabled  # no optimizer yet
    for param in model.params():
        param.update_rule = Rule()
    assert model.update_enabled
    model.disable_update()
    assert not model.update_enabled
    assert all(not p.update_rule.enabled for p in model.params())
    model.l1.enable_update()
    assert model.update_enabled
    assert model.l1.W.update_rule.enabled and not model.l2.W.update_rule.enabled


# -- serialization ----------------------------------------------------------------------------
def test_save_load_npz_round_trip_with_exact_keys(tmp_path):
    src = Model(seed=0)
    src.stats.mean[...] = [1, 2, 3]
    src.stats.count = 5
    path = tmp_path / "model.npz"
    save_npz(path, src)
    with numpy.load(path) as npz:
        assert sorted(npz.files) == [
            "bias",
            "predictor/l1/W",
            "predictor/l1/b",
            "predictor/l2/W",
            "predictor/l2/b",
            "stats/count",
            "stats/mean",
            "stats/scale",
        ]
        numpy.testing.assert_array_equal(npz["predictor/l1/W"], src.predictor.l1.W.array)
    dst = Model(seed=3)
    arrays_before = _param_arrays(dst)
    load_npz(path, dst)
    for path_, param in dst.namedparams():
        assert param.array is arrays_before[path_]  # loaded in place
        numpy.testing.assert_array_equal(param.array, dict(src.namedparams())[path_].array)
    numpy.testing.assert_array_equal(dst.stats.mean, [1, 2, 3])
    assert dst.stats.count == 5 and type(dst.stats.count) is int


def test_loading_into_a_lazy_parameter_casts_and_skips_the_initializer(tmp_path):
    calls = []

    def initializer(array):
        calls.append(array.shape)
        array[...] = 0

    initializer.dtype = numpy.float16
    src = Chain()
    with src.init_scope():
        src.p = Parameter(numpy.arange(6, dtype=numpy.float32).reshape(2, 3) / 4)
    path = tmp_path / "p.npz"
    save_npz(path, src)
    dst = Chain()
    with dst.init_scope():
        dst.p = Parameter(initializer)
    dst.p.zerograd()
    load_npz(path, dst)
    assert calls == []
    assert dst.p.dtype == numpy.float16
    numpy.testing.assert_array_equal(dst.p.array, src.p.array.astype(numpy.float16))
    numpy.testing.assert_array_equal(dst.p.grad, numpy.zeros((2, 3), numpy.float16))
    assert not numpy.shares_memory(dst.p.array, src.p.array)


def test_lazy_linear_saves_none_and_loads_initialized_weights(tmp_path):
    lazy = Chain()
    with lazy.init_scope():
        lazy.l1 = L.Linear(None, 3)
    assert not lazy.l1.W.is_initialized
    empty_path = tmp_path / "empty.npz"
    save_npz(empty_path, lazy)
    with numpy.load(empty_path, allow_pickle=True) as npz:
        assert npz["l1/W"][()] is None
        numpy.testing.assert_array_equal(npz["l1/b"], numpy.zeros(3))

    trained = Chain()
    with trained.init_scope():
        trained.l1 = L.Linear(None, 3)
    x = numpy.random.RandomState(0).randn(2, 5).astype(numpy.float32)
    y = trained.l1(x)
    assert trained.l1.W.shape == (3, 5)
    path = tmp_path / "trained.npz"
    save_npz(path, trained)

    load_npz(path, lazy)
    assert lazy.l1.W.shape == (3, 5) and lazy.l1.W.dtype == numpy.float32
    numpy.testing.assert_array_equal(lazy.l1.W.array, trained.l1.W.array)
    numpy.testing.assert_array_equal(lazy.l1(x).array, y.array)
    # loading the empty file keeps initialized weights untouched
    before = lazy.l1.W.array.copy()
    load_npz(empty_path, lazy)
    numpy.testing.assert_array_equal(lazy.l1.W.array, before)


# -- copies -----------------------------------------------------------------------------------
def test_copy_modes():
    model = MLP()
    x = numpy.ones((1, 3), numpy.float32)
    F.sum(model(x)).backward()

    shared = model.copy()  # mode='share'
    assert shared is not model and shared.name is None
    assert shared.l1 is not model.l1 and shared.l1.name == "l1"
    assert shared.l1.W is not model.l1.W
    assert shared.l1.W.array is model.l1.W.array
    assert shared.l1.W.grad is None and model.l1.W.grad is not None
    model.l1.W.array[...] = 5
    assert (shared.l1.W.array == 5).all()

    copied = model.copy("copy")
    assert copied.l1.W.array is not model.l1.W.array
    numpy.testing.assert_array_equal(copied.l1.W.array, model.l1.W.array)
    assert [p for p, _ in copied.namedparams()] == [p for p, _ in model.namedparams()]

    lecun = Chain()
    with lecun.init_scope():
        lecun.l = L.Linear(20, 30)
    reinit = lecun.copy("init")
    assert not numpy.array_equal(reinit.l.W.array, lecun.l.W.array)
    assert reinit.l.W.shape == (30, 20)
    # copies keep the initializer: a copy of a copy re-initializes too
    again = lecun.copy("copy").copy("init")
    assert not numpy.array_equal(again.l.W.array, lecun.l.W.array)

    with pytest.raises(ValueError, match="copy: mode must be 'init', 'copy' or 'share', got 'x'"):
        model.copy("x")


def test_copy_of_lazy_link_stays_lazy():
    link = L.Linear(4)
    for mode in ("share", "copy", "init"):
        copied = link.copy(mode)
        assert not copied.W.is_initialized
        assert copied(numpy.ones((2, 6), numpy.float32)).shape == (2, 4)
        assert not link.W.is_initialized


def test_repeat_modes():
    block = Chain()
    with block.init_scope():
        block.l1 = L.Linear(3, 4)
    for mode in ("init", "copy", "share"):
        net = block.repeat(3, mode)
        assert isinstance(net, Sequential) and len(net) == 3
        assert [link.name for link in net] == ["0", "1", "2"]
        assert len({id(link) for link in net}) == 3
        w = [link.l1.W.array for link in net]
        if mode == "init":
            assert not numpy.array_equal(w[0], w[1])
        if mode == "copy":
            numpy.testing.assert_array_equal(w[0], block.l1.W.array)
            assert w[0] is not w[1] and w[0] is not block.l1.W.array
        if mode == "share":
            assert w[0] is block.l1.W.array and w[1] is block.l1.W.array
    assert len(block.repeat(0)) == 0
    with pytest.raises(ValueError, match="repeat: mode must be"):
        block.repeat(2, "deep")


def test_repeated_blocks_run_in_sequence():
    block = Sequential(Affine(3, 3), F.relu)
    net = block.repeat(2, "copy")
    x = numpy.random.RandomState(0).randn(4, 3).astype(numpy.float32)
    expected = block(block(x))
    numpy.testing.assert_allclose(net(x).array, expected.array, rtol=1e-6)
    assert [p for p, _ in net.namedparams()] == ["/0/0/W", "/0/0/b", "/1/0/W", "/1/0/b"]


def test_deepcopy_and_pickle():
    model = Model()
    model.stats.count = 2
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert clone.predictor.l1.W.array is not model.predictor.l1.W.array
        for (p, a), (q, b) in zip(clone.namedparams(), model.namedparams(), strict=True):
            assert p == q
            numpy.testing.assert_array_equal(a.array, b.array)
        assert clone.stats.count == 2
        assert clone.predictor.name == "predictor"


# -- devices ----------------------------------------------------------------------------------
def test_to_device_numpy():
    model = Model()
    assert model.to_device("@numpy") is model
    assert model.to_cpu() is model
    assert model.device == kusari.get_device("@numpy")
    assert model.xp is numpy
    assert all(link.device.xp is numpy for link in model.links())
    assert isinstance(model.stats.mean, numpy.ndarray)


@pytest.mark.gpu
def test_to_gpu_moves_params_persistents_and_lazy_params():
    import cupy

    model = Model()
    lazy = Chain()
    with lazy.init_scope():
        lazy.l = L.Linear(3)
    assert model.to_gpu() is model
    lazy.to_device("@cupy:0")
    assert all(isinstance(p.array, cupy.ndarray) for p in model.params())
    assert isinstance(model.stats.mean, cupy.ndarray) and model.xp is cupy
    y = lazy.l(cupy.ones((2, 4), cupy.float32))
    assert isinstance(lazy.l.W.array, cupy.ndarray) and y.shape == (2, 3)
    assert isinstance(model.copy("init").predictor.l1.W.array, cupy.ndarray)
    model.to_cpu()
    assert all(isinstance(p.array, numpy.ndarray) for p in model.params())


# -- Sequential -------------------------------------------------------------------------------
def test_sequential_forward_with_functions_and_links():
    l1, l2 = Affine(3, 4, 0), Affine(4, 2, 1)
    model = Sequential(l1, F.relu, l2)
    x = numpy.random.RandomState(0).randn(5, 3).astype(numpy.float32)
    h = numpy.maximum(x @ l1.W.array.T + l1.b.array, 0)
    numpy.testing.assert_allclose(model(x).array, h @ l2.W.array.T + l2.b.array, rtol=1e-5)
    assert len(model) == 3 and model[1] is F.relu and model[-1] is l2
    assert model[0:2] == [l1, F.relu]
    assert F.relu in model
    assert [link.name for link in model.children()] == ["0", "1"]
    assert [p for p, _ in model.namedparams()] == ["/0/W", "/0/b", "/1/W", "/1/b"]


def test_sequential_list_operations_rename_children():
    a, b, c = Affine(2, 2, 0), Affine(2, 2, 1), Affine(2, 2, 2)
    model = Sequential(a, F.relu)
    model.append(b)
    model.insert(0, c)
    assert list(model) == [c, a, F.relu, b]
    assert [link.name for link in model.children()] == ["0", "1", "2"]
    assert list(model.children()) == [c, a, b]
    del model[0]
    assert list(model.children()) == [a, b] and b.name == "1"
    model[0] = functools.partial(F.leaky_relu, slope=0.5)
    assert list(model.children()) == [b] and b.name == "0"
    assert model.pop() is b and list(model.children()) == []
    assert model.count_by_layer_type("relu") == 1
    model.remove_by_layer_type("relu")
    assert len(model) == 1
    with pytest.raises(ValueError, match="every layer must be callable, got int"):
        model.append(3)


def test_sequential_concat_flatten_copy_and_tuple_outputs():
    a, b = Affine(2, 2, 0), Affine(2, 2, 1)
    first, second = Sequential(a), Sequential(F.relu, b)
    both = first + second
    assert list(both) == [a, F.relu, b]
    first += second
    assert list(first) == [a, F.relu, b]
    with pytest.raises(ValueError, match="'\\+' needs another Sequential, got list"):
        both + [F.relu]
    nested = Sequential(a, Sequential(F.relu, b))
    assert list(nested.flatten()) == [a, F.relu, b]
    shared = nested.copy()
    assert shared[0] is not a and shared[0].W.array is a.W.array and shared[0].name == "0"
    assert shared[1][0] is F.relu

    split = Sequential(lambda x: (x, 2 * x), lambda x, y: x + y)
    numpy.testing.assert_array_equal(split(numpy.ones(2, numpy.float32)), [3.0, 3.0])
    with pytest.raises(RuntimeError, match="no layer"):
        Sequential()(numpy.ones(2, numpy.float32))


def test_sequential_serializes_links_by_link_order(tmp_path):
    model = Sequential(Affine(3, 4, 0), F.relu, Affine(4, 2, 1))
    path = tmp_path / "seq.npz"
    save_npz(path, model)
    with numpy.load(path) as npz:
        assert sorted(npz.files) == ["0/W", "0/b", "1/W", "1/b"]
    other = Sequential(Affine(3, 4, 5), F.relu, Affine(4, 2, 6))
    load_npz(path, other)
    numpy.testing.assert_array_equal(other[2].W.array, model[2].W.array)


def test_variable_is_accepted_by_links():
    model = Sequential(Affine(3, 2))
    x = Variable(numpy.ones((1, 3), numpy.float32))
    F.sum(model(x)).backward()
    assert x.grad.shape == (1, 3)
