import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function


def _normalize_ref(x, eps, axis):
    x64 = x.astype(numpy.float64)
    norm = numpy.sqrt((x64 * x64).sum(axis=axis, keepdims=True)) + eps
    return (x64 / norm).astype(x.dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    "shape, axis", [((2, 3, 4, 5), 1), ((3, 7), 1), ((3, 7), 0), ((2, 5, 3), -1), ((0, 4), 1)]
)
def test_normalize(dtype, shape, axis):
    x = numpy.random.default_rng(0).uniform(-1, 1, shape).astype(dtype)
    check_function(
        lambda x: F.normalize(x, eps=1e-3, axis=axis),
        (x,),
        lambda x: _normalize_ref(x, 1e-3, axis),
        double_backward=True,
    )


def test_normalize_zero_slice_has_finite_gradients():
    # The first pixel of the first image is zero in every channel (a ReLU output often is).
    x = numpy.random.default_rng(1).uniform(0.5, 1, (2, 3, 2, 2)).astype(numpy.float32)
    x[0, :, 0, 0] = 0
    v = kusari.Variable(x)
    y = F.normalize(v, eps=1e-5)
    gy = numpy.random.default_rng(2).standard_normal(x.shape).astype(numpy.float32)
    y.grad = gy
    y.backward()
    numpy.testing.assert_array_equal(y.array[0, :, 0, 0], numpy.zeros(3))
    # d(x / (|x| + eps)) / dx at x = 0 is the identity over eps.
    numpy.testing.assert_allclose(v.grad[0, :, 0, 0], gy[0, :, 0, 0] / 1e-5, rtol=1e-6)
    assert numpy.isfinite(v.grad).all()
    numpy.testing.assert_allclose(y.array, _normalize_ref(x, 1e-5, 1), rtol=1e-6)


def test_normalize_zero_slice_double_backward_is_finite():
    x = kusari.Variable(numpy.zeros((1, 3, 1, 1), numpy.float64))
    y = F.normalize(x)
    (gx,) = kusari.grad([F.sum(y * y)], [x], enable_double_backprop=True)
    F.sum(gx * gx).backward()
    assert numpy.isfinite(gx.array).all() and numpy.isfinite(x.grad).all()


def test_normalize_rejects_int_input_and_bad_axis():
    with pytest.raises(TypeError, match="normalize: expected a float array, got dtype int32"):
        F.normalize(numpy.ones((2, 3), numpy.int32))
    with pytest.raises(ValueError, match=r"normalize: axis 2 is out of range .* \(2, 3\)"):
        F.normalize(numpy.ones((2, 3), numpy.float32), axis=2)
