import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _away_from(x, points, margin=0.05):
    """Move elements within ``margin`` of any of ``points`` away from it (kinks of clip)."""
    x = x.copy()
    for p in points:
        near = numpy.abs(x - p) < margin
        x[near] = p + numpy.where(x[near] >= p, margin, -margin) * 2
    return x


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (), (0, 2)])
@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (None, 0.25), (-0.25, None), (-3.0, 3.0)])
def test_clip(dtype, shape, bounds):
    x_min, x_max = bounds
    x = numpy.random.default_rng(0).uniform(-1, 1, shape)
    x = _away_from(x, [b for b in bounds if b is not None]).astype(dtype)

    def expected(x):
        return numpy.clip(x.astype(numpy.float64), x_min, x_max).astype(x.dtype)

    check_function(lambda x: F.clip(x, x_min, x_max), (x,), expected)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_clip_gradient_is_one_at_the_edges(dtype):
    x = kusari.Variable(numpy.array([-2.0, -1.0, 0.0, 1.0, 2.0], dtype))
    y = F.clip(x, -1.0, 1.0)
    assert y.dtype == dtype
    y.grad = numpy.full(5, 3.0, dtype)
    y.backward()
    numpy.testing.assert_array_equal(x.grad, numpy.array([0, 3, 3, 3, 0], dtype))


def test_clip_numpy_scalar_bounds_keep_dtype():
    x = numpy.array([-2.0, 0.5, 2.0], numpy.float32)
    y = F.clip(x, numpy.float64(-1), numpy.int64(1))
    assert y.dtype == numpy.float32
    numpy.testing.assert_array_equal(y.array, [-1.0, 0.5, 1.0])


def test_clip_double_backward_masks_again():
    x = kusari.Variable(numpy.array([-2.0, 0.3, 2.0]))
    y = F.clip(x, -1.0, 1.0)
    gy = kusari.Variable(numpy.array([1.0, 2.0, 3.0]))
    gx, = kusari.grad([y], [x], [gy], enable_double_backprop=True)
    ggy, = kusari.grad([gx], [gy], [numpy.array([5.0, 6.0, 7.0])])
    numpy.testing.assert_array_equal(ggy.array, [0.0, 6.0, 0.0])


def test_clip_rejects_int_input():
    with pytest.raises(InvalidType, match="clip: x must be a float array.*int32"):
        F.clip(numpy.ones(3, numpy.int32), 0.0, 1.0)


def test_clip_both_bounds_none():
    with pytest.raises(ValueError, match="clip: x_min and x_max cannot both be None"):
        F.clip(numpy.ones(3, "f"), None, None)


@pytest.mark.parametrize("bounds", [(1.0, 1.0), (2.0, -1.0)])
def test_clip_min_not_less_than_max(bounds):
    with pytest.raises(ValueError, match=rf"clip: x_min \({bounds[0]}\) must be less than "
                       rf"x_max \({bounds[1]}\)"):
        F.clip(numpy.ones(3, "f"), *bounds)


@pytest.mark.parametrize("bad", [numpy.zeros(3), "1", True])
def test_clip_bound_type(bad):
    with pytest.raises(TypeError, match="clip: x_max must be a real number or None, got"):
        F.clip(numpy.ones(3, "f"), -1.0, bad)


def test_clip_nan_bound():
    with pytest.raises(ValueError, match="clip: x_min must not be NaN"):
        F.clip(numpy.ones(3, "f"), float("nan"), 1.0)
