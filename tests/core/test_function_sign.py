import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES


@pytest.mark.parametrize("dtype", [*FLOAT_DTYPES, numpy.int32])
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (), (0, 2)])
def test_sign(dtype, shape):
    x = numpy.asarray(numpy.random.default_rng(0).integers(-2, 3, shape), dtype)
    y = F.sign(x)
    assert isinstance(y, kusari.Variable)
    assert y.dtype == dtype
    assert y.shape == shape
    numpy.testing.assert_array_equal(y.array, numpy.where(x > 0, 1, numpy.where(x < 0, -1, 0)))


def test_sign_cuts_the_graph():
    x = kusari.Variable(numpy.array([-2.0, 0.0, 3.0]))
    y = F.sign(x)
    assert not y.requires_grad
    assert y.creator is None
    z = x * y
    z.grad = numpy.ones(3)
    z.backward()
    numpy.testing.assert_array_equal(x.grad, [-1.0, 0.0, 1.0])


def test_sign_rejects_non_array():
    with pytest.raises(TypeError, match="sign: x must be a Variable or an array, got list"):
        F.sign([1.0, -1.0])
