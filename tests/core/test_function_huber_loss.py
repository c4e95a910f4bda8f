import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _huber_reference(x, t, delta, reduce):
    a = x.astype(numpy.float64) - t.astype(numpy.float64)
    y = numpy.where(numpy.abs(a) <= delta, 0.5 * a * a, delta * (numpy.abs(a) - 0.5 * delta))
    if reduce == "sum_along_second_axis":
        y = y.sum(axis=1)
    return y.astype(x.dtype)


def _inputs(shape, dtype, delta, seed=0):
    """x, t with |x - t| at least 0.05 away from delta (where the 2nd derivative jumps)."""
    rng = numpy.random.default_rng(seed)
    t = rng.uniform(-1, 1, shape)
    a = rng.uniform(-2.5 * delta, 2.5 * delta, shape)
    near = numpy.abs(numpy.abs(a) - delta) < 0.05
    a[near] *= 1.5
    return numpy.asarray(t + a, dtype), numpy.asarray(t, dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4), (5, 1), (0, 3)])
@pytest.mark.parametrize("reduce", ["sum_along_second_axis", "no"])
@pytest.mark.parametrize("delta", [1.0, 0.5])
def test_huber_loss(dtype, shape, reduce, delta):
    x, t = _inputs(shape, dtype, delta)
    check_function(
        lambda x, t: F.huber_loss(x, t, delta, reduce=reduce), (x, t),
        lambda x, t: _huber_reference(x, t, delta, reduce),
    )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3,), ()])
def test_huber_loss_no_reduction_any_shape(dtype, shape):
    x, t = _inputs(shape, dtype, 1.0, seed=1)
    check_function(
        lambda x, t: F.huber_loss(x, t, 1.0, reduce="no"), (x, t),
        lambda x, t: _huber_reference(x, t, 1.0, "no"),
    )


def test_huber_loss_gradient_with_constant_target():
    x = kusari.Variable(numpy.array([[0.5, 3.0, -2.0]], "f"))
    t = numpy.zeros((1, 3), "f")
    loss = F.huber_loss(x, t, delta=1.0)
    numpy.testing.assert_allclose(loss.array, [0.125 + 2.5 + 1.5])
    loss.grad = numpy.array([2.0], "f")
    loss.backward()
    numpy.testing.assert_array_equal(x.grad, [[1.0, 2.0, -2.0]])


def test_huber_loss_chainer_example():
    x = numpy.array([[-2.0, 3.0, 0.5], [5.0, 2.0, -0.5]], "f")
    t = numpy.array([[-2.0, 3.0, 0.0], [10.0, 2.0, -0.5]], "f")
    numpy.testing.assert_array_equal(
        F.huber_loss(x, t, delta=1.0, reduce="no").array, [[0, 0, 0.125], [4.5, 0, 0]]
    )
    numpy.testing.assert_array_equal(F.huber_loss(x, t, delta=1.0).array, [0.125, 4.5])


def test_huber_loss_bad_reduce():
    x = numpy.zeros((2, 3), "f")
    with pytest.raises(ValueError, match="huber_loss: reduce must be 'sum_along_second_axis' "
                       "or 'no', got 'mean'"):
        F.huber_loss(x, x, 1.0, reduce="mean")


@pytest.mark.parametrize("delta", [0.0, -1.0])
def test_huber_loss_delta_not_positive(delta):
    x = numpy.zeros((2, 3), "f")
    with pytest.raises(ValueError, match=f"huber_loss: delta must be positive, got {delta}"):
        F.huber_loss(x, x, delta)


def test_huber_loss_delta_not_a_number():
    x = numpy.zeros((2, 3), "f")
    with pytest.raises(TypeError, match="huber_loss: delta must be a real number, got str"):
        F.huber_loss(x, x, "1")


def test_huber_loss_shape_mismatch():
    with pytest.raises(InvalidType, match=r"huber_loss: x.shape \(\(2, 3\)\) != t.shape "
                       r"\(\(3, 2\)\)"):
        F.huber_loss(numpy.zeros((2, 3), "f"), numpy.zeros((3, 2), "f"), 1.0)


def test_huber_loss_dtype_mismatch():
    with pytest.raises(InvalidType, match=r"huber_loss: t.dtype \(float64\) != x.dtype"):
        F.huber_loss(numpy.zeros((2, 3), "f"), numpy.zeros((2, 3), "d"), 1.0)


def test_huber_loss_int_input():
    with pytest.raises(InvalidType, match="huber_loss: x must be a float array.*int64"):
        F.huber_loss(numpy.zeros((2, 3), "i8"), numpy.zeros((2, 3), "i8"), 1.0)


def test_huber_loss_1d_needs_reduce_no():
    with pytest.raises(InvalidType, match=r"huber_loss: x.ndim must be >= 2 with "
                       r"reduce='sum_along_second_axis', got 1 \(shape \(3,\)\)"):
        F.huber_loss(numpy.zeros(3, "f"), numpy.zeros(3, "f"), 1.0)


@pytest.mark.parametrize("reduce", ["sum_along_second_axis", "no"])
def test_huber_loss_constant_target_double_backward(reduce):
    x, t = _inputs((3, 4), numpy.float64, 1.0, seed=2)
    check_function(
        lambda x: F.huber_loss(x, t, 1.0, reduce=reduce), (x,),
        lambda x: _huber_reference(x, t, 1.0, reduce),
    )
