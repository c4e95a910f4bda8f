import pickle

import numpy
import pytest

import kusari
import kusari.functions as F
from kusari import Parameter, Variable, initializers


def _arr(*shape, dtype=numpy.float32):
    return numpy.arange(numpy.prod(shape), dtype=dtype).reshape(shape) + 1


def test_array_aliases_and_attributes():
    a = _arr(2, 3)
    v = Variable(a, name="x")
    assert v.array is a and v.data is a
    assert v.shape == (2, 3) and v.ndim == 2 and v.size == 6 and v.dtype == numpy.float32
    assert len(v) == 2
    assert v.xp is numpy
    assert v.name == "x"
    assert v.requires_grad
    assert v.creator is None and v.creator_node is None
    numpy.testing.assert_array_equal(v.T.array, a.T)
    b = _arr(3, 2)
    v.array = b
    assert v.data is b


def test_rejects_non_arrays():
    with pytest.raises(TypeError, match="numpy.ndarray or cupy.ndarray, got list"):
        Variable([1.0, 2.0])
    with pytest.raises(TypeError, match="got float"):
        Variable(1.0)
    v = Variable(_arr(2))
    with pytest.raises(TypeError):
        v.array = 3


def test_grad_setter_checks_shape_and_dtype():
    v = Variable(_arr(2, 3))
    with pytest.raises(ValueError, match=r"shape \(3,\) != data shape \(2, 3\)"):
        v.grad = numpy.zeros(3, numpy.float32)
    with pytest.raises(TypeError, match="dtype float64 != data dtype float32"):
        v.grad = numpy.zeros((2, 3))
    g = numpy.ones((2, 3), numpy.float32)
    v.grad = g
    assert v.grad is g
    assert isinstance(v.grad_var, Variable) and v.grad_var.array is g


def test_comparison_and_truth_raise_pointing_to_array():
    v = Variable(_arr(2))
    for op in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
        with pytest.raises(TypeError, match=r"\.array"):
            getattr(v, op)(v)
    with pytest.raises(TypeError, match=r"\.array"):
        bool(v)
    assert hash(v) == hash(v)
    assert v in {v}


def test_repr_like_chainer():
    v = Variable(numpy.array([1, 2, 3], numpy.float32))
    assert repr(v) == "variable([1., 2., 3.])"
    assert repr(Variable(numpy.array([1.0], numpy.float32), name="x")) == "variable x([1.])"
    assert repr(Variable(None)) == "variable(None)"
    assert str(v) == "variable([1. 2. 3.])"


def test_backward_scalar_fills_ones_and_accumulates():
    x = Variable(numpy.array([1.0, 2.0, 3.0], numpy.float32))
    y = F.sum_to(x * x, ())
    y.backward()
    numpy.testing.assert_allclose(y.grad, 1.0)
    numpy.testing.assert_allclose(x.grad, 2 * x.array)
    y2 = F.sum_to(x * 3.0, ())
    y2.backward()
    numpy.testing.assert_allclose(x.grad, 2 * x.array + 3)
    x.cleargrad()
    assert x.grad is None


def test_backward_non_scalar_requires_grad():
    x = Variable(_arr(3))
    y = x * 2.0
    with pytest.raises(ValueError, match=r"backward: the output has shape \(3,\)"):
        y.backward()
    y.grad = numpy.array([1.0, 0.0, 2.0], numpy.float32)
    y.backward()
    numpy.testing.assert_allclose(x.grad, [2.0, 0.0, 4.0])


def test_backward_retain_grad():
    x = Variable(_arr(3))
    h = x * 2.0
    y = F.sum_to(h * h, ())
    y.backward()
    assert h.grad is None
    x.cleargrad()
    y.backward(retain_grad=True)
    numpy.testing.assert_allclose(h.grad, 2 * h.array)
    numpy.testing.assert_allclose(x.grad, 8 * x.array)


def test_backward_diamond_runs_each_node_once():
    calls = []

    class Count(kusari.FunctionNode):
        def forward(self, inputs):
            return inputs[0] * 1,

        def backward(self, indexes, gy):
            calls.append(1)
            return gy[0],

    x = Variable(_arr(3))
    h, = Count().apply((x,))
    a = h * 2.0
    b = h * 3.0
    y = F.sum_to(a + b, ())
    y.backward()
    assert len(calls) == 1
    numpy.testing.assert_allclose(x.grad, numpy.full(3, 5.0))


def test_shared_gradient_arrays_are_not_aliased_between_leaves():
    x0 = Variable(_arr(3))
    x1 = Variable(_arr(3))
    y = x0 + x1
    y.grad = numpy.ones(3, numpy.float32)
    y.backward()
    x0.grad *= 10
    numpy.testing.assert_allclose(x1.grad, 1.0)
    numpy.testing.assert_allclose(y.grad, 1.0)


def test_double_backprop_through_backward():
    x = Variable(numpy.array([0.5, 1.5], numpy.float64))
    y = F.sum_to(x**3, ())
    y.backward(enable_double_backprop=True)
    gx = x.grad_var
    numpy.testing.assert_allclose(gx.array, 3 * x.array**2)
    x.cleargrad()
    z = F.sum_to(gx * gx, ())
    z.backward()
    numpy.testing.assert_allclose(x.grad, 2 * 3 * x.array**2 * 6 * x.array)


def test_loss_scale_scales_gradient_and_marks_parameters():
    p = Parameter(numpy.array([1.0, 2.0], numpy.float32))
    y = F.sum_to(p * p, ())
    y.backward(loss_scale=8.0)
    numpy.testing.assert_allclose(p.grad, 8 * 2 * p.array)
    assert p._loss_scale == 8.0


def test_requires_grad_false_gets_no_grad():
    x = Variable(_arr(3), requires_grad=False)
    w = Variable(_arr(3))
    y = F.sum_to(x * w, ())
    y.backward()
    assert x.grad is None
    numpy.testing.assert_allclose(w.grad, x.array)


def test_no_backprop_mode_records_nothing():
    x = Variable(_arr(3))
    with kusari.no_backprop_mode():
        y = x * 2.0
    assert y.creator is None
    assert y.requires_grad
    with kusari.no_backprop_mode(), kusari.force_backprop_mode():
        z = x * 2.0
    assert z.creator is not None


def test_unchain_and_unchain_backward():
    x = Variable(_arr(3))
    h = x * 2.0
    y = h * 3.0
    h.unchain()
    assert h.creator is None
    y.grad = numpy.ones(3, numpy.float32)
    y.backward()
    assert x.grad is None
    numpy.testing.assert_allclose(h.grad, 3.0)

    a = Variable(_arr(3))
    b = a * 2.0
    c = b * 2.0
    c.unchain_backward()
    assert c.creator is None and b.creator is None


def test_zerograd_cleargrad_copydata_addgrad():
    v = Variable(_arr(2, 2))
    v.zerograd()
    numpy.testing.assert_array_equal(v.grad, numpy.zeros((2, 2), numpy.float32))
    w = Variable(_arr(2, 2) * 5, grad=numpy.ones((2, 2), numpy.float32))
    v.copydata(w)
    numpy.testing.assert_array_equal(v.array, w.array)
    v.addgrad(w)
    v.addgrad(w)
    numpy.testing.assert_array_equal(v.grad, numpy.full((2, 2), 2.0))


def test_to_device_cpu_and_item():
    v = Variable(numpy.array([4.0], numpy.float32), grad=numpy.array([1.0], numpy.float32))
    assert v.to_cpu() is v
    assert v.to_device("@numpy").device == kusari.get_device("@numpy")
    assert v.item() == 4.0


def test_to_gpu_without_cupy_raises_clear_error():
    if kusari.cuda.available:
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="CuPy"):
        Variable(_arr(2)).to_gpu()


def test_len_of_scalar_raises():
    with pytest.raises(TypeError, match="0-dimensional"):
        len(Variable(numpy.array(1.0, numpy.float32)))


def test_parameter_initializers_and_lazy_init():
    p = Parameter(initializers.Constant(3.0), (2, 3))
    numpy.testing.assert_array_equal(p.array, numpy.full((2, 3), 3.0, numpy.float32))
    q = Parameter(initializers.Constant(1.0))
    assert not q.is_initialized and q.array is None
    assert q.dtype == numpy.float32
    q.zerograd()
    q.initialize((4,))
    assert q.is_initialized and q.shape == (4,)
    numpy.testing.assert_array_equal(q.grad, numpy.zeros(4, numpy.float32))
    r = Parameter(2.0, (2,))
    numpy.testing.assert_array_equal(r.array, [2.0, 2.0])
    a = _arr(3)
    s = Parameter(a)
    assert s.array is a
    n = Parameter(shape=(2,))
    assert numpy.isnan(n.array).all()


def test_parameter_pickles():
    p = Parameter(_arr(2), name="W")
    p.grad = numpy.ones(2, numpy.float32)
    q = pickle.loads(pickle.dumps(p))
    assert isinstance(q, Parameter) and q.name == "W"
    numpy.testing.assert_array_equal(q.array, p.array)
    numpy.testing.assert_array_equal(q.grad, p.grad)


def test_parameter_update_uses_update_rule():
    class Rule:
        def update(self, param):
            param.array -= 1

    p = Parameter(_arr(2))
    p.update()
    numpy.testing.assert_array_equal(p.array, [1.0, 2.0])
    p.update_rule = Rule()
    p.update()
    numpy.testing.assert_array_equal(p.array, [0.0, 1.0])


def test_reshape_transpose_getitem_methods():
    v = Variable(_arr(2, 3))
    assert v.reshape(3, 2).shape == (3, 2)
    assert v.reshape((6,)).shape == (6,)
    assert v.transpose().shape == (3, 2)
    assert v.transpose(1, 0).shape == (3, 2)
    numpy.testing.assert_array_equal(v[1].array, v.array[1])
    numpy.testing.assert_array_equal(v[:, [0, 2]].array, v.array[:, [0, 2]])


def test_grad_function_leaves_grad_attributes_alone():
    x = Variable(numpy.array([1.0, 2.0], numpy.float64))
    h = x * x
    y = F.sum_to(h * 2.0, ())
    gx, gh = kusari.grad([y], [x, h])
    numpy.testing.assert_allclose(gx.array, 4 * x.array)
    numpy.testing.assert_allclose(gh.array, [2.0, 2.0])
    assert x.grad is None and h.grad is None
    (gx2,) = kusari.grad([y], [x], set_grad=True)
    assert x.grad_var is gx2
    unrelated = Variable(numpy.ones(2))
    assert kusari.grad([y], [unrelated]) == [None]


def test_grad_double_backprop_and_grad_inputs():
    x = Variable(numpy.array([2.0], numpy.float64))
    y = x**3
    (gx,) = kusari.grad([y], [x], enable_double_backprop=True)
    (ggx,) = kusari.grad([gx], [x])
    numpy.testing.assert_allclose(ggx.array, 6 * x.array)
    extra = Variable(numpy.array([1.0]))
    (g,) = kusari.grad([y], [x], grad_inputs=[extra])
    numpy.testing.assert_allclose(g.array, 3 * 4 + 1)


def test_grad_argument_errors():
    x = Variable(numpy.ones(2))
    y = x * 2.0
    with pytest.raises(TypeError, match="grad: inputs must be Variables"):
        kusari.grad([y], [numpy.ones(2)])
    with pytest.raises(ValueError, match="needs a grad_outputs entry"):
        kusari.grad([y], [x])
    with pytest.raises(ValueError, match=r"len\(grad_outputs\) \(2\) != len\(outputs\) \(1\)"):
        kusari.grad([y], [x], [None, None])


def test_backward_from_several_outputs():
    x = Variable(numpy.array([1.0, 2.0], numpy.float32))
    y = x * 2.0
    z = x * x
    kusari.backward([y, z], [numpy.ones(2, numpy.float32), numpy.full(2, 0.5, numpy.float32)])
    numpy.testing.assert_allclose(x.grad, 2.0 + x.array)
    with pytest.raises(ValueError, match="no output has a gradient"):
        kusari.backward([x * 2.0])
    with pytest.raises(ValueError, match=r"len\(grad_outputs\) \(1\) != len\(outputs\) \(2\)"):
        kusari.backward([y, z], [None])


def test_debug_and_dtype_helpers():
    assert kusari.get_dtype() == numpy.float32
    assert kusari.get_dtype(numpy.float16) == numpy.float16
    assert not kusari.is_debug()
    with kusari.using_config("debug", False):
        kusari.set_debug(True)
        assert kusari.is_debug()
    assert not kusari.is_debug()


def test_chainer_top_level_names_exist():
    for name in ("Variable", "Parameter", "FunctionNode", "Link", "Chain", "ChainList",
                 "Sequential", "Optimizer", "GradientMethod", "UpdateRule", "Reporter",
                 "report", "report_scope", "Initializer", "Serializer", "Deserializer",
                 "config", "global_config", "using_config", "no_backprop_mode",
                 "force_backprop_mode", "grad", "backward", "get_device", "cuda",
                 "functions", "links", "optimizers", "serializers", "datasets", "iterators",
                 "training", "initializers", "gradient_check", "dataset", "reporter"):
        assert hasattr(kusari, name), name
        assert name in kusari.__all__, name
