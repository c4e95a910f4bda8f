import numpy
import pytest

import kusari
import kusari.links as L
from kusari import initializers, serializers


def test_default_parameter():
    act = L.PReLU()
    assert act.W.shape == () and act.W.dtype == numpy.float32
    assert float(act.W.array) == 0.25
    assert [path for path, _ in act.namedparams()] == ["/W"]
    x = numpy.array([[-2.0, 1.0], [3.0, -4.0]], numpy.float32)
    numpy.testing.assert_array_equal(act(x).array, [[-0.5, 1.0], [3.0, -1.0]])


def test_per_channel_slopes_learn():
    act = L.PReLU((2,), init=0.1)
    numpy.testing.assert_allclose(act.W.array, [0.1, 0.1])
    x = numpy.full((3, 2, 2, 2), -1.0, numpy.float32)
    x[:, 1] = 2.0
    y = act(x)
    y.grad = numpy.ones(y.shape, numpy.float32)
    y.backward()
    # d sum(y) / dW[c] = sum of x over the negative entries of channel c
    numpy.testing.assert_allclose(act.W.grad, [-12.0, 0.0])


def test_initializer_argument():
    act = L.PReLU((3,), init=initializers.Constant(0.5))
    numpy.testing.assert_array_equal(act.W.array, numpy.full(3, 0.5, numpy.float32))


def test_npz_round_trip(tmp_path):
    act = L.PReLU((3,), init=0.3)
    act.W.array[...] = [0.1, 0.2, 0.3]
    path = tmp_path / "prelu.npz"
    serializers.save_npz(str(path), act)
    other = L.PReLU((3,))
    serializers.load_npz(str(path), other)
    numpy.testing.assert_array_equal(other.W.array, act.W.array)


def test_shape_mismatch_names_prelu():
    act = L.PReLU((3,))
    with pytest.raises(ValueError, match=r"prelu: x\.shape\[1:2\] \(4,\) != W\.shape \(3,\)"):
        act(kusari.Variable(numpy.zeros((2, 4), numpy.float32)))
