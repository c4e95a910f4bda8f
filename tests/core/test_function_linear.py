import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _uniform(shape, dtype, seed):
    return numpy.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


def _linear_ref(x, W, b=None, n_batch_axes=1):
    batch = x.shape[:n_batch_axes]
    x2 = x.astype(numpy.float64).reshape(int(numpy.prod(batch)), W.shape[1])
    y = x2 @ W.astype(numpy.float64).T
    if b is not None:
        y = y + b
    return y.reshape(batch + (W.shape[0],)).astype(x.dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("nobias", [False, True])
@pytest.mark.parametrize(("x_shape", "n_batch_axes"), [
    ((3, 4), 1),
    ((2, 2, 2), 1),
    ((2, 3, 4), 2),
    ((0, 4), 1),
    ((0, 2, 3), 1),
    ((2, 0, 3), 2),
])
def test_linear(dtype, nobias, x_shape, n_batch_axes):
    in_size = int(numpy.prod(x_shape[n_batch_axes:]))
    x = _uniform(x_shape, dtype, 0)
    W = _uniform((5, in_size), dtype, 1)
    b = _uniform((5,), dtype, 2)
    inputs = (x, W) if nobias else (x, W, b)
    check_function(
        lambda *a: F.linear(*a, n_batch_axes=n_batch_axes),
        inputs,
        lambda *a: _linear_ref(*a, n_batch_axes=n_batch_axes),
    )


def test_linear_one_grad_node_and_only_requested_grads():
    x = kusari.Variable(_uniform((2, 3), numpy.float32, 0), requires_grad=False)
    W = kusari.Variable(_uniform((4, 3), numpy.float32, 1))
    b = kusari.Variable(_uniform((4,), numpy.float32, 2))
    y = F.linear(x, W, b)
    gy = _uniform((2, 4), numpy.float32, 3)
    gW, gb = kusari.grad([y], [W, b], [kusari.Variable(gy)], enable_double_backprop=True)
    assert type(gW.creator).__name__ == "LinearGrad"
    assert gW.creator is gb.creator
    assert len(gW.creator.outputs) == 2
    numpy.testing.assert_allclose(gW.array, gy.T @ x.array, rtol=1e-5)
    numpy.testing.assert_allclose(gb.array, gy.sum(0), rtol=1e-5)
    assert x.grad is None


def test_linear_keeps_dtype_and_input_untouched():
    x = _uniform((2, 3), numpy.float16, 0)
    x_copy = x.copy()
    y = F.linear(x, _uniform((4, 3), numpy.float16, 1), _uniform((4,), numpy.float16, 2))
    assert y.dtype == numpy.float16
    numpy.testing.assert_array_equal(x, x_copy)


def test_linear_shape_mismatch_message():
    x = numpy.zeros((2, 3), numpy.float32)
    W = numpy.zeros((5, 4), numpy.float32)
    with pytest.raises(InvalidType, match=r"linear: x\.shape\[1\] \(3\) != W\.shape\[1\] \(4\)"):
        F.linear(x, W)


def test_linear_bias_mismatch_message():
    x = numpy.zeros((2, 3), numpy.float32)
    W = numpy.zeros((5, 3), numpy.float32)
    b = numpy.zeros((4,), numpy.float32)
    with pytest.raises(ValueError, match=r"linear: b\.shape\[0\] \(4\) != W\.shape\[0\] \(5\)"):
        F.linear(x, W, b)


def test_linear_dtype_mismatch_message():
    x = numpy.zeros((2, 3), numpy.float32)
    W = numpy.zeros((5, 3), numpy.float64)
    with pytest.raises(TypeError, match=r"linear: W\.dtype \(float64\) != x\.dtype \(float32\)"):
        F.linear(x, W)


def test_linear_int_input_message():
    with pytest.raises(TypeError, match="linear: x must be a float array"):
        F.linear(numpy.zeros((2, 3), numpy.int32), numpy.zeros((5, 3), numpy.int32))


def test_linear_bad_n_batch_axes():
    x = numpy.zeros((2, 3), numpy.float32)
    with pytest.raises(ValueError, match=r"linear: n_batch_axes must be > 0, got 0"):
        F.linear(x, numpy.zeros((5, 3), numpy.float32), n_batch_axes=0)


def test_linear_1d_x_message():
    with pytest.raises(InvalidType, match=r"linear: x\.ndim must be 2, got 1"):
        F.linear(numpy.zeros(3, numpy.float32), numpy.zeros((5, 3), numpy.float32))
