import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function
from kusari.utils.type_check import InvalidType

CASES = [
    ((3, 5), None), ((3, 5), 0), ((3, 5), -1), ((2, 3, 4), (0, 2)), ((2, 3, 4), 1),
    ((2, 0), 0),
]


def _distinct(shape, dtype, seed=0):
    """Values 0.1 apart (no ties, so finite differences stay on one side of each kink)."""
    n = int(numpy.prod(shape))
    perm = numpy.random.default_rng(seed).permutation(n)
    return ((perm - n / 2) * 0.1).reshape(shape).astype(dtype)


@pytest.mark.parametrize("fname", ["max", "min"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("shape", "axis"), CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_minmax(fname, dtype, shape, axis, keepdims):
    x = _distinct(shape, dtype)
    func = getattr(F, fname)
    ref = getattr(numpy, fname)
    check_function(lambda x: func(x, axis=axis, keepdims=keepdims), (x,),
                   lambda x: numpy.asarray(ref(x, axis=axis, keepdims=keepdims)))


@pytest.mark.parametrize(("fname", "x", "expected"), [
    ("max", [[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], [[0, 1, 1], [1, 0, 1]]),
    ("min", [[1.0, 1.0, 3.0], [2.0, 0.0, 0.0]], [[1, 1, 0], [0, 1, 1]]),
])
def test_minmax_ties_all_get_the_gradient(fname, x, expected):
    x = kusari.Variable(numpy.array(x, numpy.float32))
    y = getattr(F, fname)(x, axis=1)
    y.grad = numpy.array([2.0, 3.0], numpy.float32)
    y.backward()
    numpy.testing.assert_array_equal(x.grad, numpy.array(expected) * [[2.0], [3.0]])


@pytest.mark.parametrize("fname", ["max", "min"])
def test_minmax_bad_input(fname):
    func = getattr(F, fname)
    x = numpy.zeros((2, 3), numpy.float32)
    with pytest.raises(ValueError, match=f"{fname}: axis -3 is out of range"):
        func(x, axis=-3)
    with pytest.raises(TypeError, match=f"{fname}: axis must be None, an int or a tuple"):
        func(x, axis=0.5)
    with pytest.raises(InvalidType, match=rf"{fname}: cannot reduce x of shape \(0, 3\)"):
        func(numpy.zeros((0, 3), numpy.float32), axis=0)
    with pytest.raises(InvalidType, match=f"{fname}: x must be a float array.*int32"):
        func(numpy.zeros((2, 3), numpy.int32))
