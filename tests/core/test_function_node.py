import gc

import numpy
import pytest

import kusari
import kusari.functions as F
from kusari import FunctionNode, Variable
from kusari.utils import type_check


class Square(FunctionNode):
    def forward(self, inputs):
        self.retain_outputs((0,))
        self.retain_inputs((0,))
        (x,) = inputs
        return (x * x,)

    def backward(self, indexes, grad_outputs):
        (x,) = self.get_retained_inputs()
        return (2.0 * x * grad_outputs[0],)


class TwoOut(FunctionNode):
    def forward(self, inputs):
        (x,) = inputs
        return x * 2, x * 3

    def backward(self, indexes, grad_outputs):
        g0, g1 = grad_outputs
        total = None
        for g, c in ((g0, 2.0), (g1, 3.0)):
            if g is not None:
                total = g * c if total is None else total + g * c
        return (total,)


def test_apply_records_graph_and_ranks():
    x = Variable(numpy.array([1.0, 2.0]))
    node = Square()
    (y,) = node.apply((x,))
    assert y.creator is node and node.inputs == (x,)
    assert node.rank == 0 and y.rank == 1
    (z,) = Square().apply((y,))
    assert z.rank == 2 and z.creator.rank == 1


def test_apply_accepts_arrays_as_constants():
    (y,) = Square().apply((numpy.array([3.0]),))
    assert not y.requires_grad and y.creator is None
    numpy.testing.assert_array_equal(y.array, [9.0])


def test_retained_output_is_recreated_when_caller_dropped_it():
    x = Variable(numpy.array([1.5]))
    node = Square()
    (y,) = node.apply((x,))
    del y
    gc.collect()
    (y2,) = node.get_retained_outputs()
    assert y2.creator is node
    numpy.testing.assert_array_equal(y2.array, [2.25])
    assert node.get_retained_outputs()[0] is y2


def test_backward_gets_none_for_outputs_without_grad():
    x = Variable(numpy.array([1.0, 2.0]))
    a, b = TwoOut().apply((x,))
    y = F.sum_to(b, ())
    y.backward()
    numpy.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_forward_must_return_tuple():
    class Bad(FunctionNode):
        def forward(self, inputs):
            return inputs[0]

    with pytest.raises(TypeError, match="Bad.forward must return a tuple"):
        Bad().apply((numpy.ones(2),))


def test_backward_with_wrong_number_of_grads():
    class Bad(FunctionNode):
        def forward(self, inputs):
            return (inputs[0] + inputs[1],)

        def backward(self, indexes, gy):
            return gy[0], gy[0], gy[0]

    y, = Bad().apply((Variable(numpy.ones(2)), Variable(numpy.ones(2))))
    y.grad = numpy.ones(2)
    with pytest.raises(ValueError, match="Bad.backward returned 3 gradients"):
        y.backward()


def test_default_forward_dispatches_to_forward_cpu():
    class Legacy(FunctionNode):
        def forward_cpu(self, inputs):
            return (inputs[0] + 1,)

    (y,) = Legacy().apply((numpy.zeros(2),))
    numpy.testing.assert_array_equal(y.array, [1.0, 1.0])


def test_chainer_style_type_check_dsl():
    class Checked(FunctionNode):
        def check_type_forward(self, in_types):
            type_check.argname(in_types, ("x",))
            x_type = in_types[0]
            type_check.expect(in_types.size() == 1, x_type.dtype.kind == "f", x_type.ndim == 2)

        def forward(self, inputs):
            return (inputs[0],)

    Checked().apply((numpy.ones((2, 2)),))
    with pytest.raises(type_check.InvalidType, match=r"Checked \(forward\): Expect: condition #2"):
        Checked().apply((numpy.ones(2),))
    with pytest.raises(TypeError):
        Checked().apply((numpy.ones(2, numpy.int32),))
    with kusari.using_config("type_check", False):
        Checked().apply((numpy.ones(2),))


def test_invalid_type_is_type_and_value_error():
    err = type_check.InvalidType("linear: x.shape[1] (3) != W.shape[1] (4)")
    assert isinstance(err, TypeError) and isinstance(err, ValueError)


def test_debug_mode_checks_gradient_shapes():
    class WrongGrad(FunctionNode):
        def forward(self, inputs):
            return (inputs[0] * 1,)

        def backward(self, indexes, gy):
            return (F.sum_to(gy[0], (1,)),)

    x = Variable(numpy.ones(3))
    (y,) = WrongGrad().apply((x,))
    y.grad = numpy.ones(3)
    with kusari.using_config("debug", True), pytest.raises(ValueError, match="WrongGrad.backward"):
        y.backward()


def test_unchain_node_releases_inputs():
    x = Variable(numpy.ones(2))
    node = Square()
    (y,) = node.apply((x,))
    node.unchain()
    assert node.inputs is None and y.creator is None
