import os

import numpy
import pytest

from kusari import datasets
from kusari.dataset import (
    DatasetMixin,
    cache_or_load_file,
    get_dataset_directory,
    get_dataset_root,
    set_dataset_root,
)
from kusari.dataset import download as download_module


class _Squares(DatasetMixin):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def get_example(self, i):
        if not -self.n <= i < self.n:
            raise IndexError(i)
        return int(i) ** 2


def test_dataset_mixin_indexing():
    ds = _Squares(6)
    assert ds[3] == 9
    assert ds[1:5:2] == [1, 9]
    assert ds[::-2] == [25, 9, 1]
    assert ds[-3:] == [9, 16, 25]
    assert ds[[0, 5, 2]] == [0, 25, 4]
    assert ds[numpy.array([4, 1])] == [16, 1]


def test_dataset_mixin_abstract():
    ds = DatasetMixin()
    with pytest.raises(NotImplementedError):
        len(ds)
    with pytest.raises(NotImplementedError):
        ds[0]


def test_tuple_dataset():
    x = numpy.arange(12, dtype=numpy.float32).reshape(6, 2)
    t = numpy.arange(6, dtype=numpy.int32)
    ds = datasets.TupleDataset(x, t)
    assert len(ds) == 6
    xi, ti = ds[2]
    numpy.testing.assert_array_equal(xi, x[2])
    assert ti == 2
    batch = ds[1:4]
    assert len(batch) == 3
    for k, (xi, ti) in enumerate(batch, start=1):
        numpy.testing.assert_array_equal(xi, x[k])
        assert ti == k
    assert [b[1] for b in ds[[5, 0]]] == [5, 0]
    assert [b[1] for b in ds[numpy.array([3, 4])]] == [3, 4]


def test_tuple_dataset_errors():
    with pytest.raises(ValueError, match="no datasets"):
        datasets.TupleDataset()
    with pytest.raises(ValueError, match=r"len\(datasets\[1\]\) is 2"):
        datasets.TupleDataset(numpy.zeros(3), numpy.zeros(2))


def test_dict_dataset():
    x = numpy.arange(10).reshape(5, 2)
    t = numpy.array(list("abcde"))
    ds = datasets.DictDataset(x=x, t=t)
    assert len(ds) == 5
    ex = ds[3]
    numpy.testing.assert_array_equal(ex["x"], x[3])
    assert ex["t"] == "d"
    batch = ds[:2]
    assert [b["t"] for b in batch] == ["a", "b"]
    numpy.testing.assert_array_equal(batch[1]["x"], x[1])
    assert [b["t"] for b in ds[[4, 0]]] == ["e", "a"]
    with pytest.raises(ValueError, match="no datasets"):
        datasets.DictDataset()
    with pytest.raises(ValueError, match="length mismatch"):
        datasets.DictDataset(x=x, t=t[:3])


def test_sub_dataset_without_order():
    base = list(range(10))
    sub = datasets.SubDataset(base, 3, 7)
    assert len(sub) == 4
    assert sub[:] == [3, 4, 5, 6]
    assert sub[-1] == 6
    assert sub[-4] == 3
    with pytest.raises(IndexError, match="SubDataset"):
        sub[4]
    with pytest.raises(IndexError, match="SubDataset"):
        sub[-5]


def test_sub_dataset_with_order():
    base = list(range(10, 20))
    order = numpy.random.RandomState(1).permutation(10)
    sub = datasets.SubDataset(base, 2, 6, order)
    assert sub[:] == [base[j] for j in order[2:6]]
    assert sub[-1] == base[order[5]]


def test_sub_dataset_errors():
    with pytest.raises(ValueError, match="overruns"):
        datasets.SubDataset(list(range(3)), 0, 4)
    with pytest.raises(ValueError, match="overruns"):
        datasets.SubDataset(list(range(3)), -1, 2)
    with pytest.raises(ValueError, match=r"len\(order\) \(2\)"):
        datasets.SubDataset(list(range(3)), 0, 2, [0, 1])


def test_split_dataset():
    base = list(range(7))
    a, b = datasets.split_dataset(base, 3)
    assert a[:] == [0, 1, 2] and b[:] == [3, 4, 5, 6]
    order = [6, 5, 4, 3, 2, 1, 0]
    a, b = datasets.split_dataset(base, 2, order)
    assert a[:] == [6, 5] and b[:] == [4, 3, 2, 1, 0]
    a, b = datasets.split_dataset(base, numpy.int64(0))
    assert len(a) == 0 and len(b) == 7
    with pytest.raises(TypeError, match="split_at must be an int"):
        datasets.split_dataset(base, 2.0)
    with pytest.raises(ValueError, match="non-negative"):
        datasets.split_dataset(base, -1)
    with pytest.raises(ValueError, match="exceeds"):
        datasets.split_dataset(base, 8)


def test_split_dataset_random_is_seeded_partition():
    base = list(range(20))
    a, b = datasets.split_dataset_random(base, 8, seed=5)
    assert len(a) == 8 and len(b) == 12
    assert sorted(a[:] + b[:]) == base
    expected = numpy.random.RandomState(5).permutation(20)
    assert a[:] == list(expected[:8])
    a2, _ = datasets.split_dataset_random(base, 8, seed=5)
    assert a2[:] == a[:]


def test_split_dataset_n():
    base = list(range(11))
    subs = datasets.split_dataset_n(base, 3)
    assert [s[:] for s in subs] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    subs = datasets.split_dataset_n_random(base, 2, seed=0)
    order = numpy.random.RandomState(0).permutation(11)
    assert [s[:] for s in subs] == [list(order[:5]), list(order[5:10])]
    with pytest.raises(ValueError, match="split_dataset_n: n must be"):
        datasets.split_dataset_n(base, 0)


def test_cross_validation_folds_partition_the_dataset():
    base = list(range(10))
    splits = datasets.get_cross_validation_datasets(base, 3)
    assert len(splits) == 3
    tests = [sorted(test[:]) for _, test in splits]
    assert sorted(len(t) for t in tests) == [3, 3, 4]
    assert sorted(sum(tests, [])) == base
    for train, test in splits:
        assert sorted(train[:] + test[:]) == base
    random_splits = datasets.get_cross_validation_datasets_random(base, 3, seed=2)
    assert sorted(sum((test[:] for _, test in random_splits), [])) == base


def test_transform_dataset():
    ds = datasets.TransformDataset([1, 2, 3, 4], lambda v: (v, v * v))
    assert len(ds) == 4
    assert ds[2] == (3, 9)
    assert ds[1:3] == [(2, 4), (3, 9)]
    assert ds[[3, 0]] == [(4, 16), (1, 1)]


def test_concatenated_dataset():
    ds = datasets.ConcatenatedDataset([0, 1], [], numpy.array([2, 3, 4]))
    assert len(ds) == 5
    assert [int(v) for v in ds[:]] == [0, 1, 2, 3, 4]
    assert ds[3] == 3
    with pytest.raises(IndexError, match="out of range"):
        ds[5]
    with pytest.raises(IndexError, match="negative"):
        ds.get_example(-1)


def test_dataset_root_env_and_setter(tmp_path, monkeypatch):
    monkeypatch.setattr(download_module, "_dataset_root", None)
    monkeypatch.setenv("KUSARI_DATASET_ROOT", str(tmp_path / "env"))
    assert get_dataset_root() == str(tmp_path / "env")
    monkeypatch.delenv("KUSARI_DATASET_ROOT")
    assert get_dataset_root() == os.path.join(os.path.expanduser("~"), ".kusari", "dataset")
    monkeypatch.setenv("KUSARI_DATASET_ROOT", str(tmp_path / "env"))
    set_dataset_root(tmp_path / "set")
    assert get_dataset_root() == str(tmp_path / "set")
    path = get_dataset_directory("a/b")
    assert path == os.path.join(str(tmp_path / "set"), "a/b")
    assert os.path.isdir(path)
    other = get_dataset_directory("c", create_directory=False)
    assert not os.path.exists(other)


def test_cache_or_load_file(tmp_path):
    path = str(tmp_path / "sub" / "cache.npz")
    created = []

    def creator(p):
        created.append(p)
        numpy.savez(p, v=numpy.arange(4))
        return "created"

    def loader(p):
        with numpy.load(p) as f:
            return f["v"].tolist()

    assert cache_or_load_file(path, creator, loader) == "created"
    assert created[0] != path
    assert cache_or_load_file(path, creator, loader) == [0, 1, 2, 3]
    assert len(created) == 1
    assert os.listdir(tmp_path / "sub") == ["cache.npz"]


def test_cache_or_load_file_failing_creator_leaves_nothing(tmp_path):
    path = str(tmp_path / "cache.bin")

    def creator(p):
        with open(p, "wb") as f:
            f.write(b"partial")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        cache_or_load_file(path, creator, lambda p: None)
    assert os.listdir(tmp_path) == []
    with pytest.raises(FileNotFoundError, match="returned without writing"):
        cache_or_load_file(path, lambda p: 1, lambda p: None)
