import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _u(shape, dtype, seed):
    return numpy.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


def _ref(a, b, transa, transb):
    a = a.astype(numpy.float64)
    b = b.astype(numpy.float64)
    if transa and a.ndim > 1:
        a = numpy.swapaxes(a, -1, -2)
    if transb and b.ndim > 1:
        b = numpy.swapaxes(b, -1, -2)
    return numpy.matmul(a, b)


_TOL16 = {"atol": 1e-2, "rtol": 1e-2}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("transa", [False, True])
@pytest.mark.parametrize("transb", [False, True])
@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [
        ((2, 3), (3, 4)),
        ((4, 3, 2), (4, 2, 5)),
        ((2, 1, 3, 2), (5, 2, 3)),
        ((3, 2), (2, 2, 4)),
        ((1, 3), (3, 1)),
        ((0, 3), (3, 2)),
    ],
)
def test_matmul(dtype, transa, transb, a_shape, b_shape):
    if transa:
        a_shape = a_shape[:-2] + (a_shape[-1], a_shape[-2])
    if transb:
        b_shape = b_shape[:-2] + (b_shape[-1], b_shape[-2])
    a, b = _u(a_shape, dtype, 0), _u(b_shape, dtype, 1)
    check_function(
        lambda x, y: F.matmul(x, y, transa=transa, transb=transb),
        (a, b),
        lambda x, y: _ref(x, y, transa, transb).astype(dtype),
        forward_tol=_TOL16 if dtype == numpy.float16 else None,
    )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("trans", [False, True])
@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [((3,), (3, 4)), ((2, 3), (3,)), ((2, 4, 3), (3,)), ((3,), (2, 3, 4)), ((4,), (4,))],
)
def test_matmul_1d(dtype, trans, a_shape, b_shape):
    # transa/transb do nothing to a 1-D operand (Chainer v7)
    a, b = _u(a_shape, dtype, 0), _u(b_shape, dtype, 1)
    transa = trans and len(a_shape) == 1
    transb = trans and len(b_shape) == 1
    expected_shape = numpy.matmul(a, b).shape
    y = F.matmul(a, b, transa=transa, transb=transb)
    assert y.shape == expected_shape
    if y.shape == ():
        check_function(
            lambda x, z: F.matmul(x, z, transa=transa, transb=transb),
            (a, b), lambda x, z: numpy.asarray(numpy.matmul(x, z)),
            forward_tol=_TOL16 if dtype == numpy.float16 else None,
        )
        return
    check_function(
        lambda x, z: F.matmul(x, z, transa=transa, transb=transb),
        (a, b),
        lambda x, z: _ref(x, z, False, False).astype(dtype),
        forward_tol=_TOL16 if dtype == numpy.float16 else None,
    )


def test_matmul_gradient_sums_over_broadcast_batch():
    a = kusari.Variable(_u((1, 2, 3), numpy.float64, 0))
    b = kusari.Variable(_u((4, 3, 2), numpy.float64, 1))
    y = F.matmul(a, b)
    assert y.shape == (4, 2, 2)
    gy = numpy.ones((4, 2, 2))
    y.grad = gy
    y.backward()
    numpy.testing.assert_allclose(a.grad, (gy @ numpy.swapaxes(b.array, -1, -2)).sum(0,
                                                                                  keepdims=True))
    numpy.testing.assert_allclose(b.grad, numpy.swapaxes(a.array, -1, -2) @ gy)


def test_matmul_contracted_dims_mismatch():
    with pytest.raises(InvalidType, match=r"matmul: a.shape\[-1\] \(3\) != b.shape\[-2\] \(4\)"):
        F.matmul(numpy.zeros((2, 3), "f"), numpy.zeros((4, 2), "f"))


def test_matmul_contracted_dims_mismatch_transposed():
    with pytest.raises(InvalidType, match=r"matmul: a.shape\[-2\] \(2\) != b.shape\[-1\] \(3\)"):
        F.matmul(numpy.zeros((2, 3), "f"), numpy.zeros((2, 3), "f"), transa=True, transb=True)


def test_matmul_dtype_mismatch():
    with pytest.raises(InvalidType, match=r"matmul: b.dtype \(float64\) != a.dtype \(float32\)"):
        F.matmul(numpy.zeros((2, 3), "f"), numpy.zeros((3, 2), "d"))


def test_matmul_0d():
    with pytest.raises(InvalidType, match=r"matmul: a.ndim must be >= 2, got 0"):
        F.matmul(numpy.zeros((), "f"), numpy.zeros((3, 2), "f"))
