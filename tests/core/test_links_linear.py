import numpy
import pytest

import kusari
import kusari.functions as F
import kusari.links as L
from kusari import initializers


def _randn(*shape, dtype=numpy.float32, seed=0):
    return numpy.random.RandomState(seed).randn(*shape).astype(dtype)


def test_forward_and_backward_match_numpy():
    layer = L.Linear(3, 2, initial_bias=initializers.Normal(1.0))
    x = kusari.Variable(_randn(4, 3))
    W, b = layer.W.array, layer.b.array
    y = layer(x)
    numpy.testing.assert_allclose(y.array, x.array @ W.T + b, rtol=1e-5, atol=1e-6)
    gy = _randn(4, 2, seed=1)
    y.grad = gy
    y.backward()
    numpy.testing.assert_allclose(layer.W.grad, gy.T @ x.array, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(layer.b.grad, gy.sum(axis=0), rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(x.grad, gy @ W, rtol=1e-5, atol=1e-6)
    assert [path for path, _ in layer.namedparams()] == ["/W", "/b"]


def test_default_initialization_is_lecun_normal_and_zero_bias():
    layer = L.Linear(400, 300)
    assert layer.W.shape == (300, 400) and layer.W.dtype == numpy.float32
    assert layer.b.shape == (300,)
    numpy.testing.assert_array_equal(layer.b.array, 0)
    assert abs(layer.W.array.mean()) < 0.005
    numpy.testing.assert_allclose(layer.W.array.std(), numpy.sqrt(1 / 400), rtol=0.02)


@pytest.mark.parametrize("args", [(5,), (None, 5)])
def test_lazy_initialization_from_first_input(args):
    layer = L.Linear(*args)
    assert layer.in_size is None and layer.out_size == 5
    assert not layer.W.is_initialized and layer.b.shape == (5,)
    x = _randn(2, 3, 4)
    y = layer(x)
    assert layer.W.shape == (5, 12)
    numpy.testing.assert_allclose(y.array, x.reshape(2, 12) @ layer.W.array.T, atol=1e-5)


def test_lazy_initialization_with_n_batch_axes():
    layer = L.Linear(5)
    x = _randn(2, 3, 4)
    y = layer(x, n_batch_axes=2)
    assert layer.W.shape == (5, 4) and y.shape == (2, 3, 5)
    numpy.testing.assert_allclose(y.array, x @ layer.W.array.T, atol=1e-5)


def test_nobias_and_initializers():
    W = _randn(2, 3)
    layer = L.Linear(3, 2, nobias=True, initialW=W)
    assert layer.b is None
    assert [path for path, _ in layer.namedparams()] == ["/W"]
    numpy.testing.assert_array_equal(layer.W.array, W)
    x = _randn(4, 3)
    numpy.testing.assert_allclose(layer(x).array, x @ W.T, rtol=1e-6)
    constant = L.Linear(3, 2, initialW=0.5, initial_bias=initializers.Constant(2.0))
    numpy.testing.assert_array_equal(constant.W.array, numpy.full((2, 3), 0.5, numpy.float32))
    numpy.testing.assert_array_equal(constant.b.array, [2.0, 2.0])


@pytest.mark.parametrize("dtype", [numpy.float16, numpy.float64])
def test_dtype_follows_config(dtype):
    with kusari.using_config("dtype", numpy.dtype(dtype)):
        layer = L.Linear(3, 2)
        lazy = L.Linear(2)
        x = _randn(4, 3, dtype=dtype)
        y = lazy(x)
    assert layer.W.dtype == dtype and layer.b.dtype == dtype
    assert lazy.W.dtype == dtype and y.dtype == dtype


def test_bad_input_names_linear():
    layer = L.Linear(3, 2)
    with pytest.raises(ValueError, match=r"linear: x.shape\[1\] \(4\) != W.shape\[1\] \(3\)"):
        layer(_randn(5, 4))
    with pytest.raises(ValueError, match="Linear: out_size is required"):
        L.Linear(None)


def test_trains_a_regression():
    rng = numpy.random.RandomState(0)
    x = rng.randn(32, 3).astype(numpy.float32)
    t = x @ numpy.array([[1.0], [-2.0], [0.5]], numpy.float32) + 0.3
    layer = L.Linear(3, 1)
    for _ in range(200):
        layer.cleargrads()
        loss = F.mean_squared_error(layer(x), t)
        loss.backward()
        for param in layer.params():
            param.array -= 0.1 * param.grad
    numpy.testing.assert_allclose(layer.W.array, [[1.0, -2.0, 0.5]], atol=1e-3)
    numpy.testing.assert_allclose(layer.b.array, [0.3], atol=1e-3)
