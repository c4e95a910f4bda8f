import fractions
import io
import os
import pickle
import zipfile

import numpy
import pytest

from kusari import serializer as serializer_module
from kusari import serializers
from kusari.serializers import npz as npz_module


class Layer:
    """A fake link: two arrays and scalars of every kind, plus an optional array (None)."""

    def __init__(self, seed):
        rng = numpy.random.RandomState(seed)
        self.W = rng.randn(3, 4).astype(numpy.float32)
        self.b = rng.randn(3).astype(numpy.float64)
        self.count = int(rng.randint(100))
        self.rate = float(rng.rand())
        self.flag = bool(seed % 2)
        self.f32 = numpy.float32(rng.rand())
        self.name = f"layer{seed}"
        self.state = None

    def serialize(self, serializer):
        self.W = serializer("W", self.W)
        self.b = serializer("b", self.b)
        self.count = serializer("count", self.count)
        self.rate = serializer("rate", self.rate)
        self.flag = serializer("flag", self.flag)
        self.f32 = serializer("f32", self.f32)
        self.name = serializer("name", self.name)
        self.state = serializer("state", self.state)


class Model:
    def __init__(self, seed):
        self.l1 = Layer(seed)
        self.l2 = Layer(seed + 1)
        self.epoch = seed

    def serialize(self, serializer):
        self.l1.serialize(serializer["predictor"]["l1"])
        self.l2.serialize(serializer["predictor/l2"])
        self.epoch = serializer("epoch", self.epoch)


class Snapshot:
    """A fake trainer: the model lives under 'updater/model:main/'."""

    def __init__(self, seed):
        self.model = Model(seed)

    def serialize(self, serializer):
        self.model.serialize(serializer["updater"]["model:main"])


LAYER_KEYS = ["W", "b", "count", "rate", "flag", "f32", "name", "state"]
MODEL_KEYS = sorted(
    [f"predictor/{layer}/{key}" for layer in ("l1", "l2") for key in LAYER_KEYS] + ["epoch"]
)


def _assert_layers_equal(got, want):
    numpy.testing.assert_array_equal(got.W, want.W)
    numpy.testing.assert_array_equal(got.b, want.b)
    for attr in ("count", "rate", "flag", "f32", "name"):
        assert getattr(got, attr) == getattr(want, attr)
        assert type(getattr(got, attr)) is type(getattr(want, attr))


def test_dictionary_serializer_keys_and_values():
    model = Model(0)
    s = serializers.DictionarySerializer()
    s.save(model)
    assert sorted(s.target) == MODEL_KEYS
    assert isinstance(s, serializer_module.Serializer)
    numpy.testing.assert_array_equal(s.target["predictor/l1/W"], model.l1.W)
    assert s.target["predictor/l1/count"].shape == ()
    assert s.target["predictor/l1/count"].dtype.kind == "i"
    assert s.target["predictor/l1/flag"].dtype == numpy.bool_
    assert s.target["predictor/l1/f32"].dtype == numpy.float32
    assert s.target["predictor/l1/name"][()] == "layer0"
    none = s.target["predictor/l1/state"]
    assert none.dtype == object and none.shape == () and none[()] is None


def test_dictionary_serializer_strips_slashes_and_returns_value():
    s = serializers.DictionarySerializer()
    child = s["/a/"]["b"]
    value = numpy.zeros(2)
    assert child("/x", value) is value
    assert list(s.target) == ["a/b/x"]


@pytest.mark.parametrize("compression", [True, False])
def test_round_trip_through_file(tmp_path, compression):
    path = tmp_path / "model.npz"
    src = Model(0)
    serializers.save_npz(str(path), src, compression=compression)
    dst = Model(10)
    dst.l1.state = numpy.ones(2)  # a stored None replaces it and leaves the array alone
    w_before = dst.l1.W
    serializers.load_npz(str(path), dst)
    assert dst.l1.W is w_before  # arrays are filled in place
    _assert_layers_equal(dst.l1, src.l1)
    _assert_layers_equal(dst.l2, src.l2)
    assert dst.epoch == 0
    assert dst.l1.state is None
    with numpy.load(path, allow_pickle=True) as f:
        assert sorted(f.files) == MODEL_KEYS
        numpy.testing.assert_array_equal(f["predictor/l2/b"], src.l2.b)
    with zipfile.ZipFile(path) as archive:
        kinds = {info.compress_type for info in archive.infolist()}
    assert kinds == {zipfile.ZIP_DEFLATED if compression else zipfile.ZIP_STORED}


def test_compression_shrinks_file(tmp_path):
    target = {"zeros": numpy.zeros((100, 100), numpy.float32)}
    serializers.save_npz(tmp_path / "c.npz", target, compression=True)
    serializers.save_npz(tmp_path / "u.npz", target, compression=False)
    assert os.path.getsize(tmp_path / "c.npz") < os.path.getsize(tmp_path / "u.npz") / 10


def test_round_trip_through_file_objects():
    buf = io.BytesIO()
    src = Model(3)
    serializers.save_npz(buf, src)
    assert not buf.closed
    buf.seek(0)
    dst = Model(4)
    serializers.load_npz(buf, dst)
    assert not buf.closed
    _assert_layers_equal(dst.l1, src.l1)


def test_save_npz_writes_a_dict_as_it_is(tmp_path):
    target = {"a/b": numpy.arange(3), "c": 2.5}
    serializers.save_npz(tmp_path / "d.npz", target)
    with numpy.load(tmp_path / "d.npz") as f:
        numpy.testing.assert_array_equal(f["a/b"], [0, 1, 2])
        assert f["c"][()] == 2.5


def test_file_written_by_numpy_savez_loads(tmp_path):
    # The layout Chainer writes: numpy.savez_compressed of the DictionarySerializer target.
    src = Model(5)
    s = serializers.DictionarySerializer()
    s.save(src)
    path = tmp_path / "chainer.npz"
    numpy.savez_compressed(path, **s.target)
    dst = Model(6)
    serializers.load_npz(path, dst)
    _assert_layers_equal(dst.l2, src.l2)
    assert dst.l2.state is None


def test_pickled_objects_other_than_none_are_refused(tmp_path):
    path = tmp_path / "evil.npz"
    numpy.savez(path, x=numpy.array(fractions.Fraction(1, 2), dtype=object))

    class Target:
        def serialize(self, serializer):
            serializer("x", None)

    with pytest.raises(pickle.UnpicklingError, match="refusing to unpickle fractions.Fraction"):
        serializers.load_npz(path, Target())
    # A trusted file can still be read with pickle enabled by the caller.
    with numpy.load(path, allow_pickle=True) as f:
        assert serializers.NpzDeserializer(f)("x", None)[()] == fractions.Fraction(1, 2)


def test_path_selects_sub_tree(tmp_path):
    path = tmp_path / "snapshot_iter_10"
    src = Snapshot(7)
    serializers.save_npz(path, src)
    with numpy.load(path) as f:
        assert "updater/model:main/predictor/l1/W" in f.files
    model = Model(8)
    serializers.load_npz(path, model, path="updater/model:main/")
    _assert_layers_equal(model.l1, src.model.l1)
    assert model.epoch == 7


def test_strict_missing_key(tmp_path):
    path = tmp_path / "partial.npz"
    serializers.save_npz(path, {"predictor/l1/W": numpy.zeros((3, 4), numpy.float32)})
    model = Model(0)
    with pytest.raises(KeyError, match="'predictor/l1/b' is not in the file"):
        serializers.load_npz(path, model)


def test_non_strict_skips_missing_keys(tmp_path):
    path = tmp_path / "partial.npz"
    serializers.save_npz(path, {"predictor/l1/W": numpy.full((3, 4), 2, numpy.float32)})
    model = Model(0)
    b_before = model.l1.b.copy()
    count_before = model.l1.count
    serializers.load_npz(path, model, strict=False)
    numpy.testing.assert_array_equal(model.l1.W, numpy.full((3, 4), 2))
    numpy.testing.assert_array_equal(model.l1.b, b_before)
    assert model.l1.count == count_before


def test_ignore_names(tmp_path):
    path = tmp_path / "model.npz"
    serializers.save_npz(path, Model(0))
    model = Model(1)
    w1, count1 = model.l1.W.copy(), model.l1.count
    epoch = model.epoch
    serializers.load_npz(
        path,
        model,
        ignore_names=["predictor/l1/W", lambda key: key.endswith("/count") or key == "epoch"],
    )
    numpy.testing.assert_array_equal(model.l1.W, w1)
    assert model.l1.count == count1 and model.epoch == epoch
    numpy.testing.assert_array_equal(model.l2.W, Model(0).l2.W)
    with pytest.raises(ValueError, match="ignore_names must be a string, a callable"):
        serializers.load_npz(path, model, ignore_names=[3])


def test_shape_mismatch(tmp_path):
    path = tmp_path / "w.npz"
    serializers.save_npz(path, {"W": numpy.zeros((4, 3), numpy.float32)})
    with numpy.load(path) as f:
        d = serializers.NpzDeserializer(f)
        with pytest.raises(ValueError, match=r"'W' has shape \(4, 3\) in the file.*\(3, 4\)"):
            d("W", numpy.zeros((3, 4), numpy.float32))
        with pytest.raises(ValueError, match="'W' holds an array of shape"):
            d("W", 0.0)


def test_scalar_types(tmp_path):
    path = tmp_path / "s.npz"
    serializers.save_npz(
        path, {"i": numpy.int64(3), "f": 0.25, "b": True, "big": 2**40, "s": "text"}
    )
    with numpy.load(path) as f:
        d = serializers.NpzDeserializer(f)
        assert isinstance(d, serializer_module.Deserializer)
        assert d("i", 0) == 3 and type(d("i", 0)) is int
        assert d("i", 0.0) == 3.0 and type(d("i", 0.0)) is float
        assert type(d("i", numpy.int64(0))) is numpy.int64
        assert type(d("f", numpy.float64(0))) is numpy.float64
        assert d("b", False) is True
        assert d("big", 0) == 2**40
        assert d("s", "") == "text"
        loaded = d("f", None)
        assert isinstance(loaded, numpy.ndarray) and loaded[()] == 0.25
        with pytest.raises(TypeError, match="cannot safely load 'f' of dtype float64 into"):
            d("f", 0)


def test_atomic_save_keeps_old_file_when_serialize_fails(tmp_path):
    path = tmp_path / "model.npz"
    serializers.save_npz(path, Model(0))
    old = path.read_bytes()

    class Failing:
        def serialize(self, serializer):
            serializer("first", numpy.zeros(3))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        serializers.save_npz(path, Failing())
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["model.npz"]


def test_atomic_save_keeps_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    serializers.save_npz(path, Model(0))
    old = path.read_bytes()

    def write_half_then_fail(file, target, compression):
        file.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(npz_module, "_write_npz", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        serializers.save_npz(path, Model(1))
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["model.npz"]


def test_save_npz_creates_file_with_umask_permissions(tmp_path):
    path = tmp_path / "m.npz"
    serializers.save_npz(path, Model(0))
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_load_npz_rejects_npy(tmp_path):
    path = tmp_path / "a.npy"
    numpy.save(path, numpy.zeros(2))
    with pytest.raises(ValueError, match="not an NPZ archive"):
        serializers.load_npz(path, Model(0))


@pytest.mark.gpu
def test_cupy_arrays_round_trip():
    import cupy

    src = Model(0)
    src.l1.W = cupy.asarray(src.l1.W)
    buf = io.BytesIO()
    serializers.save_npz(buf, src)
    buf.seek(0)
    dst = Model(1)
    dst.l1.W = cupy.zeros((3, 4), numpy.float32)
    w_before = dst.l1.W
    serializers.load_npz(buf, dst)
    assert dst.l1.W is w_before
    numpy.testing.assert_array_equal(cupy.asnumpy(dst.l1.W), cupy.asnumpy(src.l1.W))
