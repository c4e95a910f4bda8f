import numpy
import pytest

import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    "shapes",
    [
        [(3,), (3,)],
        [(2, 3), (1, 3), (3, 3)],
        [(2, 1, 4), (1, 1, 4)],
        [(4,)],
        [(0, 2), (2, 2)],
    ],
)
def test_vstack(dtype, shapes):
    rng = numpy.random.default_rng(0)
    xs = [rng.uniform(-1, 1, s).astype(dtype) for s in shapes]
    check_function(lambda *vs: F.vstack(vs), xs, lambda *a: numpy.vstack(a))


def test_vstack_0d_and_1d_become_rows():
    xs = [numpy.array(1, numpy.float32), numpy.array(2, numpy.float32)]
    numpy.testing.assert_array_equal(F.vstack(xs).array, numpy.vstack(xs))
    rows = [numpy.array([1, 2], numpy.float32), numpy.array([[3, 4]], numpy.float32)]
    numpy.testing.assert_array_equal(F.vstack(rows).array, numpy.vstack(rows))


def test_vstack_shape_mismatch():
    with pytest.raises(InvalidType, match=r"vstack: xs\[1\].shape \(1, 2\) and xs\[0\].shape "
                       r"\(1, 3\) differ outside axis 0"):
        F.vstack([numpy.zeros(3, "f"), numpy.zeros(2, "f")])


def test_vstack_dtype_mismatch():
    with pytest.raises(InvalidType, match=r"vstack: xs\[1\].dtype \(float64\) != xs\[0\].dtype "
                       r"\(float32\)"):
        F.vstack([numpy.zeros((1, 3), "f"), numpy.zeros((1, 3), "d")])


def test_vstack_single_array_is_refused():
    with pytest.raises(TypeError, match="vstack: xs must be a list or tuple"):
        F.vstack(numpy.zeros((2, 3), "f"))
