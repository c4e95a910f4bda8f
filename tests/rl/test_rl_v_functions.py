import numpy
import pytest

import kusari.functions as F
from kusari import serializers
from kusari_rl.v_function import VFunction
from kusari_rl.v_functions import FCVFunction, SingleModelVFunction


def _obs(batch, n, seed=0):
    return numpy.random.RandomState(seed).uniform(-1, 1, (batch, n)).astype(numpy.float32)


def _reference(mlp, x, nonlinearity):
    h = x
    if mlp.hidden_sizes:
        for layer in mlp.hidden_layers:
            h = nonlinearity(h @ layer.W.array.T + layer.b.array)
    return h @ mlp.output.W.array.T + mlp.output.b.array


@pytest.mark.parametrize("n_hidden_layers", [0, 1, 3])
def test_fc_v_function_matches_numpy(n_hidden_layers):
    v = FCVFunction(4, n_hidden_layers=n_hidden_layers, n_hidden_channels=8)
    assert isinstance(v, VFunction) and isinstance(v, SingleModelVFunction)
    x = _obs(5, 4)
    y = v(x)
    assert y.shape == (5, 1)
    numpy.testing.assert_allclose(
        y.array, _reference(v.model, x, lambda h: numpy.maximum(h, 0)), rtol=1e-5
    )


def test_fc_v_function_nonlinearity_and_last_wscale():
    numpy.random.seed(1)
    v = FCVFunction(4, 1, 8, nonlinearity=F.tanh, last_wscale=1e-3)
    numpy.random.seed(1)
    plain = FCVFunction(4, 1, 8, nonlinearity=F.tanh)
    numpy.testing.assert_allclose(
        v.model.output.W.array, plain.model.output.W.array * 1e-3, rtol=1e-5
    )
    x = _obs(3, 4)
    numpy.testing.assert_allclose(v(x).array, _reference(v.model, x, numpy.tanh), rtol=1e-5)


def test_fc_v_function_round_trip(tmp_path):
    src, dst = FCVFunction(4, 2, 8), FCVFunction(4, 2, 8)
    serializers.save_npz(str(tmp_path / "v.npz"), src)
    serializers.load_npz(str(tmp_path / "v.npz"), dst)
    x = _obs(5, 4)
    numpy.testing.assert_array_equal(src(x).array, dst(x).array)


def test_fc_v_function_bad_arguments():
    with pytest.raises(ValueError, match="FCVFunction: n_hidden_channels is needed"):
        FCVFunction(4, n_hidden_layers=2)
    with pytest.raises(ValueError, match="FCVFunction: n_hidden_layers must be >= 0, got -1"):
        FCVFunction(4, n_hidden_layers=-1)
