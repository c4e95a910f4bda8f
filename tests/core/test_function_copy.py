import numpy
import pytest

import kusari
import kusari.functions as F
from kusari import backend
from kusari.testing import FLOAT_DTYPES, check_function


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("dst", [-1, "@numpy", backend.CpuDevice(), numpy])
def test_copy_cpu(dtype, dst):
    x = numpy.random.default_rng(0).uniform(-1, 1, (3, 4)).astype(dtype)
    check_function(lambda v: F.copy(v, dst), (x,), lambda a: a)


def test_copy_does_not_share_memory():
    x = numpy.ones((2, 3), numpy.float32)
    y = F.copy(x, -1)
    assert not numpy.shares_memory(y.array, x)
    assert y.device == backend.CpuDevice()


def test_copy_gradient():
    x = kusari.Variable(numpy.ones((2, 3), numpy.float32))
    y = F.copy(x, "@numpy")
    y.grad = numpy.full((2, 3), 2, numpy.float32)
    y.backward()
    numpy.testing.assert_array_equal(x.grad, numpy.full((2, 3), 2, numpy.float32))


def test_copy_bad_device():
    with pytest.raises(ValueError, match="get_device: expected '@numpy', '@cupy:N', an int"):
        F.copy(numpy.ones(2, "f"), "@tpu")


@pytest.mark.gpu
def test_copy_to_gpu_and_back():
    import cupy

    x = kusari.Variable(numpy.arange(6, dtype=numpy.float32).reshape(2, 3))
    y = F.copy(x, 0)
    assert isinstance(y.array, cupy.ndarray)
    cupy.testing.assert_array_equal(y.array, cupy.asarray(x.array))
    z = F.copy(y * 2, -1)
    assert isinstance(z.array, numpy.ndarray)
    z.grad = numpy.ones((2, 3), numpy.float32)
    z.backward()
    assert isinstance(x.grad, numpy.ndarray)
    numpy.testing.assert_array_equal(x.grad, numpy.full((2, 3), 2, numpy.float32))
