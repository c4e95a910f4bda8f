import numpy
import pytest

import kusari
import kusari.functions as F
from kusari.testing import FLOAT_DTYPES, check_function


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    ("shape", "pad_width"),
    [
        ((2, 3), 1),
        ((2, 3), (1, 2)),
        ((2, 3), ((0, 1), (2, 0))),
        ((2, 3, 4), ((1, 1), (0, 0), (2, 1))),
        ((3,), [[2, 0]]),
        ((2, 0), 1),
        ((2, 3), 0),
    ],
)
def test_pad(dtype, shape, pad_width):
    x = numpy.random.default_rng(0).uniform(-1, 1, shape).astype(dtype)
    check_function(
        lambda v: F.pad(v, pad_width, "constant"), (x,),
        lambda a: numpy.pad(a, pad_width, mode="constant"),
    )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("constant_values", [1.5, ((1, 2), (3, 4))])
def test_pad_constant_values(dtype, constant_values):
    x = numpy.random.default_rng(0).uniform(-1, 1, (2, 3)).astype(dtype)
    check_function(
        lambda v: F.pad(v, ((1, 2), (2, 1)), "constant", constant_values=constant_values),
        (x,),
        lambda a: numpy.pad(a, ((1, 2), (2, 1)), mode="constant",
                            constant_values=constant_values),
    )


def test_pad_default_mode_is_constant():
    x = numpy.ones((2, 2), numpy.float32)
    numpy.testing.assert_array_equal(F.pad(x, 1).array, numpy.pad(x, 1))


def test_pad_gradient_is_center():
    x = kusari.Variable(numpy.zeros((2, 2), numpy.float32))
    y = F.pad(x, ((1, 0), (0, 2)))
    gy = numpy.arange(12, dtype=numpy.float32).reshape(3, 4)
    y.grad = gy
    y.backward()
    numpy.testing.assert_array_equal(x.grad, gy[1:, :2])


def test_pad_other_mode():
    with pytest.raises(ValueError, match="pad: only mode='constant' is supported, got 'reflect'"):
        F.pad(numpy.zeros((2, 2), "f"), 1, "reflect")


def test_pad_unknown_keyword():
    with pytest.raises(TypeError, match=r"pad: unexpected keyword arguments \['stat_length'\]"):
        F.pad(numpy.zeros((2, 2), "f"), 1, stat_length=2)


def test_pad_negative_width():
    with pytest.raises(ValueError, match=r"pad: pad_width must not be negative, got \(1, -1\)"):
        F.pad(numpy.zeros((2, 2), "f"), (1, -1))


def test_pad_float_width():
    with pytest.raises(TypeError, match="pad: pad_width must hold ints, got 1.5"):
        F.pad(numpy.zeros((2, 2), "f"), 1.5)


def test_pad_width_does_not_fit_rank():
    with pytest.raises(ValueError, match=r"pad: pad_width \(\(1, 1\), \(1, 1\), \(1, 1\)\) does "
                       "not fit x.ndim 2"):
        F.pad(numpy.zeros((2, 2), "f"), ((1, 1), (1, 1), (1, 1)))
