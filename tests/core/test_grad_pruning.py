"""kusari.grad runs backward only where a requested input lies upstream."""

import numpy as np

import kusari
import kusari.functions as F
from kusari import FunctionNode, Variable


class _RecordingMul(FunctionNode):
    """y = a * b, recording the input indexes each backward call is asked for."""

    calls: list

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        a, b = inputs
        return (a * b,)

    def backward(self, indexes, grad_outputs):
        self.calls.append(tuple(indexes))
        a, b = self.get_retained_inputs()
        (gy,) = grad_outputs
        grads = {0: gy * b, 1: gy * a}
        return tuple(grads[i] for i in indexes)


def _mul(a, b, calls):
    node = _RecordingMul()
    node.calls = calls
    return node.apply((a, b))[0]


def test_grad_skips_inputs_without_a_target_upstream():
    rng = np.random.default_rng(0)
    x = Variable(rng.standard_normal((3, 2)).astype(np.float32))
    w = Variable(rng.standard_normal((3, 2)).astype(np.float32))
    calls: list = []
    loss = F.sum(_mul(F.tanh(x), w, calls))
    (gx,) = kusari.grad([loss], [x])
    assert calls == [(0,)]
    expected = w.array * (1 - np.tanh(x.array) ** 2)
    np.testing.assert_allclose(gx.array, expected, rtol=1e-6)
    assert w.grad is None


def test_grad_keeps_every_path_to_each_target():
    rng = np.random.default_rng(1)
    x = Variable(rng.standard_normal((4,)).astype(np.float64))
    w = Variable(rng.standard_normal((4,)).astype(np.float64))
    calls: list = []
    h = _mul(x, w, calls)
    loss = F.sum(_mul(h, x, calls))
    gx, gw = kusari.grad([loss], [x, w])
    assert calls == [(0, 1), (0, 1)]
    np.testing.assert_allclose(gx.array, 2 * x.array * w.array)
    np.testing.assert_allclose(gw.array, x.array**2)


def test_grad_to_an_intermediate_variable_stops_there():
    x = Variable(np.array([0.5, -1.5], dtype=np.float32))
    calls: list = []
    h = F.exp(x)
    loss = F.sum(_mul(h, h, calls))
    (gh,) = kusari.grad([loss], [h])
    np.testing.assert_allclose(gh.array, 2 * np.exp(x.array), rtol=1e-6)
    assert x.grad is None


def test_backward_still_fills_every_leaf():
    x = Variable(np.array([2.0, 3.0]))
    w = Variable(np.array([4.0, 5.0]))
    calls: list = []
    F.sum(_mul(x, w, calls)).backward()
    assert calls == [(0, 1)]
    np.testing.assert_allclose(x.grad, w.array)
    np.testing.assert_allclose(w.grad, x.array)
