import functools
import gzip
import hashlib
import http.server
import os
import shutil
import socket
import threading
import urllib.error

import numpy
import pytest

from kusari.configuration import using_config
from kusari.dataset import cached_download
from kusari.dataset import download as download_module
from kusari.datasets import TupleDataset, get_mnist
from kusari.datasets import mnist as mnist_module

N_TRAIN, N_TEST = 10, 5
NAMES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def _idx_bytes(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(numpy.uint8).tobytes()


def _write_gz(path, data):
    with gzip.open(path, "wb") as f:
        f.write(data)


def _md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


@pytest.fixture
def fake_mnist(tmp_path):
    """Write tiny MNIST-like gz files; return their folder and the raw arrays."""
    rng = numpy.random.RandomState(0)
    folder = tmp_path / "served"
    folder.mkdir()
    raw = {}
    for split, n in (("train", N_TRAIN), ("test", N_TEST)):
        images = rng.randint(0, 256, size=(n, 28, 28)).astype(numpy.uint8)
        labels = rng.randint(0, 10, size=n).astype(numpy.uint8)
        _write_gz(folder / NAMES[split][0], _idx_bytes(images, 2051))
        _write_gz(folder / NAMES[split][1], _idx_bytes(labels, 2049))
        raw[split] = (images, labels)
    return folder, raw


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """Return a function that serves a folder on 127.0.0.1 and gives its base URL."""
    servers = []

    def start(folder):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setattr(download_module, "_dataset_root", None)
    path = tmp_path / "root"
    monkeypatch.setenv("KUSARI_DATASET_ROOT", str(path))
    return path


def _dead_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def mirror(fake_mnist, serve, root, monkeypatch):
    folder, raw = fake_mnist
    monkeypatch.setattr(mnist_module, "_MD5", {
        name: _md5(folder / name) for names in NAMES.values() for name in names
    })
    monkeypatch.setenv("KUSARI_MNIST_URL", serve(folder))
    return raw


def _check_split(dataset, images, labels, shape, dtype, scale=1.0):
    assert isinstance(dataset, TupleDataset)
    assert len(dataset) == len(images)
    x, t = dataset[0]
    assert x.shape == shape and x.dtype == dtype
    assert t.dtype == numpy.int32
    xs = numpy.stack([dataset[i][0] for i in range(len(dataset))])
    ts = numpy.array([dataset[i][1] for i in range(len(dataset))])
    single = (1, 28, 28) if shape == (3, 28, 28) else shape
    expected = (images.astype(numpy.float64) * (scale / 255.0)).reshape((len(images), *single))
    expected = numpy.broadcast_to(expected, (len(images), *shape))
    numpy.testing.assert_allclose(xs, expected, rtol=1e-3 if dtype == numpy.float16 else 1e-6)
    numpy.testing.assert_array_equal(ts, labels)


def test_download_parse_and_cache(mirror, root, monkeypatch):
    train, test = get_mnist()
    _check_split(train, *mirror["train"], (784,), numpy.float32)
    _check_split(test, *mirror["test"], (784,), numpy.float32)
    assert sorted(os.listdir(root / "mnist")) == sorted(
        [*NAMES["train"], *NAMES["test"], "test.npz", "train.npz"]
    )
    with numpy.load(root / "mnist" / "train.npz") as npz:
        numpy.testing.assert_array_equal(npz["x"], mirror["train"][0].reshape(N_TRAIN, 784))
        numpy.testing.assert_array_equal(npz["y"], mirror["train"][1])

    monkeypatch.setenv("KUSARI_MNIST_URL", _dead_url())
    for name in (*NAMES["train"], *NAMES["test"]):
        os.remove(root / "mnist" / name)
    train2, test2 = get_mnist()
    _check_split(train2, *mirror["train"], (784,), numpy.float32)
    _check_split(test2, *mirror["test"], (784,), numpy.float32)


@pytest.mark.parametrize(("kwargs", "shape"), [
    ({"ndim": 2}, (28, 28)),
    ({"ndim": 3}, (1, 28, 28)),
    ({"ndim": 3, "rgb_format": True}, (3, 28, 28)),
])
def test_ndim_and_rgb(mirror, kwargs, shape):
    train, test = get_mnist(**kwargs)
    _check_split(train, *mirror["train"], shape, numpy.float32)
    _check_split(test, *mirror["test"], shape, numpy.float32)
    if kwargs.get("rgb_format"):
        x = train[0][0]
        numpy.testing.assert_array_equal(x[0], x[2])


def test_scale_dtype_and_labels(mirror):
    train, _ = get_mnist(scale=2.0, dtype=numpy.float64, label_dtype=numpy.int64)
    x, t = train[3]
    assert x.dtype == numpy.float64 and t.dtype == numpy.int64
    numpy.testing.assert_allclose(x, mirror["train"][0][3].ravel() * (2.0 / 255.0))
    assert float(numpy.max(numpy.stack([train[i][0] for i in range(N_TRAIN)]))) <= 2.0
    with using_config("dtype", numpy.dtype(numpy.float16)):
        train16, _ = get_mnist()
    _check_split(train16, *mirror["train"], (784,), numpy.float16)


def test_without_labels(mirror):
    train, test = get_mnist(withlabel=False, ndim=2)
    assert isinstance(train, numpy.ndarray) and train.shape == (N_TRAIN, 28, 28)
    numpy.testing.assert_allclose(test, mirror["test"][0] / 255.0, rtol=1e-6)


def test_invalid_ndim(root):
    with pytest.raises(ValueError, match="get_mnist: ndim must be 1, 2 or 3, got 4"):
        get_mnist(ndim=4)


def test_checksum_mismatch_deletes_file(fake_mnist, serve, root, monkeypatch):
    folder, _ = fake_mnist
    monkeypatch.setenv("KUSARI_MNIST_URL", serve(folder))
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte\.gz has MD5 .*deleted"):
        get_mnist()
    assert os.listdir(root / "mnist") == []


def test_no_network_message_and_manual_files(fake_mnist, root, monkeypatch):
    folder, raw = fake_mnist
    monkeypatch.setenv("KUSARI_MNIST_URL", _dead_url())
    with pytest.raises(RuntimeError) as info:
        get_mnist()
    message = str(info.value)
    assert "could not download train-images-idx3-ubyte.gz" in message
    assert str(root / "mnist") in message
    for name in (*NAMES["train"], *NAMES["test"]):
        assert name in message
    assert os.listdir(root / "mnist") == []

    monkeypatch.setattr(mnist_module, "_MD5", {
        name: _md5(folder / name) for names in NAMES.values() for name in names
    })
    for name in (*NAMES["train"], *NAMES["test"]):
        shutil.copy(folder / name, root / "mnist" / name)
    train, _ = get_mnist()
    _check_split(train, *raw["train"], (784,), numpy.float32)


def test_not_an_idx_file(tmp_path, serve, root, monkeypatch):
    folder = tmp_path / "bad"
    folder.mkdir()
    for name in (*NAMES["train"], *NAMES["test"]):
        _write_gz(folder / name, b"\x00\x00\x08\x01" + b"\x00" * 8)
    monkeypatch.setattr(mnist_module, "_MD5", {
        name: _md5(folder / name) for names in NAMES.values() for name in names
    })
    monkeypatch.setenv("KUSARI_MNIST_URL", serve(folder))
    with pytest.raises(RuntimeError, match="not an IDX file"):
        get_mnist()
    assert not (root / "mnist" / "train.npz").exists()


def test_cached_download(tmp_path, serve, root, monkeypatch):
    folder = tmp_path / "files"
    folder.mkdir()
    payload = numpy.random.RandomState(1).bytes(100_000)
    (folder / "blob.bin").write_bytes(payload)
    url = serve(folder) + "blob.bin"
    path = cached_download(url)
    assert path == os.path.join(str(root), "_dl_cache", hashlib.md5(url.encode()).hexdigest())
    with open(path, "rb") as f:
        assert f.read() == payload
    (folder / "blob.bin").write_bytes(b"changed")
    assert cached_download(url) == path
    with open(path, "rb") as f:
        assert f.read() == payload
    assert sorted(os.listdir(root / "_dl_cache")) == [os.path.basename(path)]


def test_cached_download_failure_leaves_nothing(root):
    with pytest.raises(urllib.error.URLError):
        cached_download(_dead_url() + "missing.bin")
    assert os.listdir(root / "_dl_cache") == []


def test_cached_download_http_error(tmp_path, serve, root):
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(urllib.error.HTTPError):
        cached_download(serve(folder) + "missing.bin")
    assert os.listdir(root / "_dl_cache") == []
