import numpy
import pytest

import kusari
import kusari.links as L
from kusari import initializers
from kusari.serializers import load_npz, save_npz

EPS = 2e-5


def _randn(*shape, dtype=numpy.float32, seed=0):
    return (numpy.random.RandomState(seed).randn(*shape) * 2 + 1).astype(dtype)


def _normalize(x, mean, var, gamma, beta, eps=EPS, axes=(0, 2, 3)):
    shape = [1 if i in axes else s for i, s in enumerate(x.shape)]
    return gamma.reshape(shape) * (x - mean.reshape(shape)) / numpy.sqrt(
        var.reshape(shape) + eps
    ) + beta.reshape(shape)


def test_training_normalizes_with_batch_stats_and_updates_running_averages():
    bn = L.BatchNormalization(3, initial_gamma=initializers.Normal(1.0), initial_beta=0.5)
    assert bn.avg_mean.shape == (3,) and bn.avg_var.shape == (3,)
    numpy.testing.assert_array_equal(bn.avg_mean, 0)
    numpy.testing.assert_array_equal(bn.avg_var, 1)
    expected_mean = numpy.zeros(3)
    expected_var = numpy.ones(3)
    for seed in (0, 1):
        x = _randn(5, 3, 2, 2, seed=seed)
        y = bn(x)
        mean = x.mean(axis=(0, 2, 3))
        var = x.var(axis=(0, 2, 3))
        m = x.size // 3
        expected = _normalize(x, mean, var, bn.gamma.array, bn.beta.array)
        numpy.testing.assert_allclose(y.array, expected, rtol=1e-4, atol=1e-4)
        # Chainer's update: the variance entering the average is the unbiased one
        expected_mean = 0.9 * expected_mean + 0.1 * mean
        expected_var = 0.9 * expected_var + 0.1 * var * m / (m - 1)
        numpy.testing.assert_allclose(bn.avg_mean, expected_mean, rtol=1e-5, atol=1e-6)
        numpy.testing.assert_allclose(bn.avg_var, expected_var, rtol=1e-5, atol=1e-6)
    assert bn.N == 0


def test_test_mode_uses_running_averages_and_keeps_them():
    bn = L.BatchNormalization(
        3, initial_avg_mean=numpy.array([0.5, -1.0, 2.0]), initial_avg_var=4.0, initial_beta=1.0
    )
    numpy.testing.assert_array_equal(bn.avg_var, [4.0, 4.0, 4.0])
    x = _randn(4, 3, 2, 2)
    with kusari.using_config("train", False):
        y = bn(x)
    expected = _normalize(x, bn.avg_mean, bn.avg_var, bn.gamma.array, bn.beta.array)
    numpy.testing.assert_allclose(y.array, expected, rtol=1e-5, atol=1e-5)
    numpy.testing.assert_array_equal(bn.avg_mean, numpy.array([0.5, -1.0, 2.0], numpy.float32))
    numpy.testing.assert_array_equal(bn.avg_var, [4.0, 4.0, 4.0])


def test_custom_decay_and_eps():
    bn = L.BatchNormalization(2, decay=0.5, eps=1e-3)
    x = _randn(6, 2)
    y = bn(x)
    mean, var = x.mean(axis=0), x.var(axis=0)
    numpy.testing.assert_allclose(
        y.array, (x - mean) / numpy.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4
    )
    numpy.testing.assert_allclose(bn.avg_mean, 0.5 * mean, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(bn.avg_var, 0.5 + 0.5 * var * 6 / 5, rtol=1e-5)


def test_finetune_accumulates_population_statistics():
    bn = L.BatchNormalization(3)
    xs = [_randn(4, 3, seed=s) for s in range(3)]
    for x in xs:
        bn(x, finetune=True)
    assert bn.N == 3
    means = [x.mean(axis=0) for x in xs]
    unbiased = [x.var(axis=0) * 4 / 3 for x in xs]
    numpy.testing.assert_allclose(bn.avg_mean, numpy.mean(means, axis=0), rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(bn.avg_var, numpy.mean(unbiased, axis=0), rtol=1e-5)
    bn.start_finetuning()
    assert bn.N == 0
    bn(xs[0], finetune=True)
    numpy.testing.assert_allclose(bn.avg_mean, means[0], rtol=1e-5, atol=1e-6)


def test_parameter_gradients():
    bn = L.BatchNormalization(3, dtype=numpy.float64, initial_gamma=initializers.Normal(1.0))
    x = _randn(4, 3, 2, dtype=numpy.float64)
    y = bn(x)
    gy = _randn(*x.shape, dtype=numpy.float64, seed=1)
    y.grad = gy
    y.backward()
    mean = x.mean(axis=(0, 2), keepdims=True)
    xhat = (x - mean) / numpy.sqrt(x.var(axis=(0, 2), keepdims=True) + EPS)
    numpy.testing.assert_allclose(bn.beta.grad, gy.sum(axis=(0, 2)), rtol=1e-10)
    numpy.testing.assert_allclose(bn.gamma.grad, (gy * xhat).sum(axis=(0, 2)), rtol=1e-8)


@pytest.mark.parametrize(
    ("shape", "axis", "param_shape", "axes"),
    [
        ((6, 4), 0, (4,), (0,)),
        ((3, 2, 4, 5), (0, 2, 3), (2,), (0, 2, 3)),
        ((3, 2, 4), (0, 1), (4,), (0, 1)),
        ((3, 2, 4), (0, -1), (2,), (0, 2)),
    ],
)
def test_lazy_initialization_from_axis(shape, axis, param_shape, axes):
    bn = L.BatchNormalization(axis=axis)
    assert bn.avg_mean is None and not bn.gamma.is_initialized
    x = _randn(*shape)
    y = bn(x)
    assert bn.gamma.shape == param_shape and bn.avg_mean.shape == param_shape
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    expected = _normalize(
        x, mean, var, numpy.ones(param_shape), numpy.zeros(param_shape), axes=axes
    )
    numpy.testing.assert_allclose(y.array, expected, rtol=1e-4, atol=1e-4)


def test_without_gamma_and_beta():
    bn = L.BatchNormalization(3, use_gamma=False, use_beta=False)
    assert bn.gamma is None and bn.beta is None
    assert list(bn.params()) == []
    x = _randn(5, 3)
    y = bn(x)
    numpy.testing.assert_allclose(
        y.array, (x - x.mean(0)) / numpy.sqrt(x.var(0) + EPS), rtol=1e-4, atol=1e-4
    )


@pytest.mark.parametrize("dtype", [numpy.float16, numpy.float32, numpy.float64])
def test_dtype_of_parameters_statistics_and_output(dtype):
    bn = L.BatchNormalization(3, dtype=dtype)
    assert bn.gamma.dtype == dtype and bn.beta.dtype == dtype
    assert bn.avg_mean.dtype == dtype and bn.avg_var.dtype == dtype
    with kusari.using_config("dtype", numpy.dtype(dtype)):
        lazy = L.BatchNormalization(axis=0)
    x = _randn(8, 3, dtype=dtype)
    for link in (bn, lazy):
        y = link(x)
        assert y.dtype == dtype and link.gamma.dtype == dtype and link.avg_var.dtype == dtype
        tol = 1e-2 if dtype == numpy.float16 else 1e-4
        x64 = x.astype(numpy.float64)
        numpy.testing.assert_allclose(
            y.array, (x64 - x64.mean(0)) / numpy.sqrt(x64.var(0) + EPS), rtol=tol, atol=tol
        )
        with kusari.using_config("train", False):
            assert link(x).dtype == dtype


def test_serialization_round_trip_and_lazy_load(tmp_path):
    src = L.BatchNormalization(3, initial_gamma=2.0)
    src(_randn(4, 3, 2, 2))
    src(_randn(4, 3, 2, 2, seed=1), finetune=True)
    path = tmp_path / "bn.npz"
    save_npz(path, src)
    with numpy.load(path) as npz:
        assert sorted(npz.files) == ["N", "avg_mean", "avg_var", "beta", "gamma"]
    for dst in (L.BatchNormalization(3), L.BatchNormalization(axis=(0, 2, 3))):
        load_npz(path, dst)
        assert dst.N == 1
        numpy.testing.assert_array_equal(dst.avg_mean, src.avg_mean)
        numpy.testing.assert_array_equal(dst.avg_var, src.avg_var)
        numpy.testing.assert_array_equal(dst.gamma.array, src.gamma.array)
        x = _randn(2, 3, 2, 2, seed=2)
        with kusari.using_config("train", False):
            numpy.testing.assert_array_equal(dst(x).array, src(x).array)


def test_size_or_axis_is_required():
    with pytest.raises(ValueError, match="BatchNormalization: size or axis is required"):
        L.BatchNormalization()
