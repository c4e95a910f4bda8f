import io
import threading

import numpy
import pytest

import kusari
from kusari import backend, config, global_config, using_config
from kusari.backends import cuda


def test_defaults_like_chainer():
    assert config.train is True
    assert config.enable_backprop is True
    assert config.type_check is True
    assert config.dtype == numpy.float32
    assert config.debug is False


def test_using_config_restores_and_is_thread_local():
    seen = []
    with using_config("train", False):
        assert config.train is False
        t = threading.Thread(target=lambda: seen.append(config.train))
        t.start()
        t.join()
    assert config.train is True
    assert seen == [True]


def test_using_config_restores_after_exception():
    with pytest.raises(RuntimeError), using_config("train", False):
        raise RuntimeError
    assert config.train is True


def test_global_config_change_is_seen():
    old = global_config.type_check
    try:
        global_config.type_check = False
        assert config.type_check is False
        with using_config("type_check", True):
            assert config.type_check is True
    finally:
        global_config.type_check = old


def test_unknown_entry_raises_attribute_error():
    with pytest.raises(AttributeError, match="no entry 'nope'"):
        config.nope  # noqa: B018


def test_show_lists_entries():
    buf = io.StringIO()
    config.show(buf)
    assert "enable_backprop" in buf.getvalue() and "train" in buf.getvalue()


@pytest.mark.parametrize("spec", ["@numpy", -1, "-1", None, numpy])
def test_get_device_cpu(spec):
    dev = kusari.get_device(spec)
    assert dev.xp is numpy and dev.name == "@numpy"
    assert dev == backend.CpuDevice()


@pytest.mark.parametrize("spec", ["@foo", "cuda:0", 1.5, object()])
def test_get_device_rejects(spec):
    with pytest.raises(ValueError, match="get_device: expected"):
        kusari.get_device(spec)


def test_gpu_spec_without_cupy_raises():
    if cuda.available:
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="CuPy"):
        kusari.get_device("@cupy:0")


def test_device_send_nested():
    dev = kusari.get_device("@numpy")
    a = numpy.ones(2)
    out = dev.send({"a": (a, [a, None])})
    assert out["a"][0] is a and out["a"][1][0] is a and out["a"][1][1] is None


def test_get_array_module_and_from_array():
    a = numpy.ones(2)
    assert backend.get_array_module(a) is numpy
    assert backend.get_array_module(kusari.Variable(a)) is numpy
    assert backend.get_device_from_array(a).name == "@numpy"
    assert cuda.get_array_module(a) is numpy
    numpy.testing.assert_array_equal(cuda.to_cpu([a])[0], a)


def test_copyto():
    dst = numpy.zeros(3)
    backend.copyto(dst, numpy.arange(3.0))
    numpy.testing.assert_array_equal(dst, [0.0, 1.0, 2.0])


@pytest.mark.gpu
def test_gpu_roundtrip():
    import cupy

    dev = kusari.get_device("@cupy:0")
    a = dev.send(numpy.arange(3.0))
    assert isinstance(a, cupy.ndarray)
    v = kusari.Variable(a)
    assert v.xp is cupy
    v.to_cpu()
    numpy.testing.assert_array_equal(v.array, numpy.arange(3.0))
