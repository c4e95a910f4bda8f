import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    "shapes",
    [
        [(3,), (2,)],
        [(2, 3), (2, 1), (2, 2)],
        [(2, 1, 4), (2, 3, 4)],
        [(4,)],
        [(2, 0), (2, 2)],
    ],
)
def test_hstack(dtype, shapes):
    rng = numpy.random.default_rng(0)
    xs = [rng.uniform(-1, 1, s).astype(dtype) for s in shapes]
    check_function(lambda *vs: F.hstack(vs), xs, lambda *a: numpy.hstack(a))


def test_hstack_0d_inputs():
    xs = [numpy.array(v, numpy.float32) for v in (1, 2, 3)]
    y = F.hstack(xs)
    numpy.testing.assert_array_equal(y.array, numpy.hstack(xs))


def test_hstack_mixes_0d_and_1d():
    xs = [numpy.array([1, 2], numpy.float32), numpy.array(3, numpy.float32)]
    numpy.testing.assert_array_equal(F.hstack(xs).array, numpy.hstack(xs))


def test_hstack_shape_mismatch():
    with pytest.raises(InvalidType, match=r"hstack: xs\[1\].shape \(3, 1\) and xs\[0\].shape "
                       r"\(2, 3\) differ outside axis 1"):
        F.hstack([numpy.zeros((2, 3), "f"), numpy.zeros((3, 1), "f")])


def test_hstack_ndim_mismatch():
    with pytest.raises(InvalidType, match=r"hstack: xs\[1\].ndim \(2\) != xs\[0\].ndim \(1\)"):
        F.hstack([numpy.zeros(3, "f"), numpy.zeros((3, 1), "f")])


def test_hstack_empty():
    with pytest.raises(InvalidType, match="hstack: expected at least 1 input, got 0"):
        F.hstack([])
