import numpy
import pytest

import kusari.functions as F
from kusari import FunctionNode, gradient_check


class WrongBackward(FunctionNode):
    def forward(self, inputs):
        return (inputs[0] * inputs[0],)

    def backward(self, indexes, gy):
        return (gy[0] * 3.0,)


def _wrong(x):
    return WrongBackward().apply((x,))[0]


def test_numerical_grad_matches_analytic():
    x = numpy.array([1.0, -2.0, 0.5])
    gy = numpy.array([1.0, 2.0, 3.0])
    (gx,) = gradient_check.numerical_grad(lambda: (x**3,), (x,), (gy,))
    numpy.testing.assert_allclose(gx, 3 * numpy.array([1.0, -2.0, 0.5]) ** 2 * gy, rtol=1e-5)


def test_numerical_grad_detects_kink():
    x = numpy.array([0.0])
    with pytest.raises(gradient_check.NondifferentiableError):
        gradient_check.numerical_grad(
            lambda: (numpy.abs(x),), (x,), (numpy.ones(1),), detect_nondifferentiable=True
        )


def test_check_backward_passes_and_fails():
    x = numpy.random.uniform(0.5, 1, (3, 2))
    gy = numpy.random.uniform(-1, 1, (3, 2))
    gradient_check.check_backward(F.exp, x, gy, dtype=numpy.float64, atol=1e-6, rtol=1e-5)
    with pytest.raises(AssertionError, match="gradients differ"):
        gradient_check.check_backward(_wrong, x, gy)


def test_check_backward_no_grads():
    x = numpy.random.uniform(0.5, 1, (3,))
    gradient_check.check_backward(
        lambda a, b: a * b, (x, x.copy()), numpy.ones(3), no_grads=[False, True]
    )


def test_check_double_backward_passes_and_fails():
    x = numpy.random.uniform(0.5, 1, (4,))
    gy = numpy.random.uniform(-1, 1, (4,))
    ggx = numpy.random.uniform(-1, 1, (4,))
    gradient_check.check_double_backward(lambda a: a**3, x, gy, ggx, atol=1e-5, rtol=1e-4)

    class NoDouble(FunctionNode):
        def forward(self, inputs):
            self.retain_inputs((0,))
            return (inputs[0] ** 3,)

        def backward(self, indexes, gy):
            (a,) = self.get_retained_inputs()
            from kusari import Variable

            return (gy[0] * Variable(3 * a.array**2, requires_grad=False),)

    with pytest.raises(AssertionError):
        gradient_check.check_double_backward(
            lambda a: NoDouble().apply((a,))[0], x, gy, ggx, atol=1e-5, rtol=1e-4
        )
