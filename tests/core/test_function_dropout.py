import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


def _uniform(shape, dtype, seed):
    return numpy.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


def _mask(shape, dtype, ratio, seed):
    keep = numpy.random.default_rng(seed).uniform(size=shape) >= ratio
    return (keep / (1 - ratio)).astype(dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4), (0, 3)])
def test_dropout_with_given_mask(dtype, shape):
    x = _uniform(shape, dtype, 0)
    mask = _mask(shape, dtype, 0.4, 1)
    # the finite difference runs in float64, so the mask follows the input's dtype
    check_function(
        lambda v: F.dropout(v, 0.4, mask=mask.astype(v.dtype)), (x,), lambda a: a * mask
    )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_dropout_random_mask_values_and_scale(dtype):
    x = numpy.ones((50, 40), dtype)
    numpy.random.seed(3)
    y, mask = F.dropout(x, 0.25, return_mask=True)
    assert y.dtype == dtype
    assert mask.dtype == dtype and mask.shape == x.shape
    scale = dtype(1 / 0.75)
    assert set(numpy.unique(mask).tolist()) == {0.0, float(scale)}
    numpy.testing.assert_array_equal(y.array, x * mask)
    dropped = float((mask == 0).mean())
    assert 0.2 < dropped < 0.3


def test_dropout_matches_numpy_random_rand():
    numpy.random.seed(7)
    expected = (numpy.random.rand(4, 6) >= 0.3) / numpy.float32(0.7)
    numpy.random.seed(7)
    y = F.dropout(numpy.ones((4, 6), numpy.float32), 0.3)
    numpy.testing.assert_allclose(y.array, expected, rtol=1e-6)


def test_dropout_reproducible_with_seed():
    x = _uniform((5, 7), numpy.float32, 0)
    numpy.random.seed(11)
    a = F.dropout(x).array
    numpy.random.seed(11)
    b = F.dropout(x).array
    numpy.testing.assert_array_equal(a, b)


def test_dropout_backward_uses_forward_mask():
    x = kusari.Variable(_uniform((3, 4), numpy.float32, 0))
    y, mask = F.dropout(x, 0.5, return_mask=True)
    y.grad = numpy.ones_like(y.array)
    y.backward()
    numpy.testing.assert_array_equal(x.grad, mask)


def test_dropout_returned_mask_can_be_reused():
    x = _uniform((3, 4), numpy.float64, 0)
    y1, mask = F.dropout(x, 0.5, return_mask=True)
    y2 = F.dropout(x, 0.5, mask=mask)
    numpy.testing.assert_array_equal(y1.array, y2.array)


def test_dropout_is_identity_outside_training():
    x = kusari.Variable(_uniform((3, 4), numpy.float32, 0))
    with kusari.using_config("train", False):
        y = F.dropout(x, 0.9)
        y2, mask = F.dropout(x.array, 0.9, return_mask=True)
    assert y is x
    assert mask is None
    numpy.testing.assert_array_equal(y2.array, x.array)


def test_dropout_ratio_zero_keeps_everything():
    x = _uniform((3, 4), numpy.float32, 0)
    numpy.testing.assert_array_equal(F.dropout(x, 0.0).array, x)


@pytest.mark.parametrize("ratio", [1.0, -0.1, 1.5])
def test_dropout_bad_ratio(ratio):
    x = numpy.zeros((2, 2), numpy.float32)
    with pytest.raises(ValueError, match=r"dropout: ratio must be in \[0, 1\), got "):
        F.dropout(x, ratio)


def test_dropout_bad_mask_and_dtype_messages():
    x = numpy.zeros((2, 3), numpy.float32)
    with pytest.raises(InvalidType, match=r"dropout: mask\.shape must be \(2, 3\), got \(3, 2\)"):
        F.dropout(x, mask=numpy.ones((3, 2), numpy.float32))
    with pytest.raises(InvalidType, match=r"dropout: mask\.dtype must be float32, got float64"):
        F.dropout(x, mask=numpy.ones((2, 3), numpy.float64))
    with pytest.raises(InvalidType, match=r"dropout: x must be a float array"):
        F.dropout(x.astype(numpy.int32))
