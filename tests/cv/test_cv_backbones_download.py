"""A named pretrained model end to end: download from a local server, cache, partial load."""

import functools
import hashlib
import http.server
import importlib
import os
import threading

import numpy
import pytest

from kusari_cv.links.model.ssd import SSD300, SSD512

FILE_NAME = "ssd_vgg16_imagenet_converted_2017_06_09.npz"


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def dataset_root(tmp_path, monkeypatch):
    root = tmp_path / "root"
    monkeypatch.setenv("KUSARI_DATASET_ROOT", str(root))
    monkeypatch.setattr(importlib.import_module("kusari.dataset.download"), "_dataset_root", None)
    return root


@pytest.fixture
def weights(tmp_path):
    """A small stand-in for ChainerCV's ImageNet VGG16 file: a few extractor entries."""
    rng = numpy.random.default_rng(0)
    arrays = {
        "extractor/conv1_1/W": rng.standard_normal((64, 3, 3, 3)).astype(numpy.float32),
        "extractor/conv1_1/b": rng.standard_normal(64).astype(numpy.float32),
        "extractor/conv7/b": rng.standard_normal(1024).astype(numpy.float32),
        # Entries the model does not have are ignored (Caffe's fc8 is in the original file).
        "fc8/W": rng.standard_normal((10, 4)).astype(numpy.float32),
    }
    served = tmp_path / "served"
    served.mkdir()
    numpy.savez(served / FILE_NAME, **arrays)
    return served, arrays


@pytest.fixture
def server(weights):
    served, _ = weights
    handler = type("Handler", (_CountingHandler,), {"requests": []})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(served))
    )
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()

    def stop():
        if thread.is_alive():
            httpd.shutdown()
            httpd.server_close()
            thread.join()

    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.requests, stop
    stop()


def test_imagenet_download_cache_and_partial_load(dataset_root, weights, server, monkeypatch):
    served, arrays = weights
    base_url, requests, stop = server
    digest = hashlib.sha256((served / FILE_NAME).read_bytes()).hexdigest()
    entry = SSD300._models["imagenet"]
    monkeypatch.setitem(entry, "url", f"{base_url}/{FILE_NAME}")
    monkeypatch.setitem(entry, "sha256", digest)

    first = SSD300(n_fg_class=3, pretrained_model="imagenet")
    assert requests == [f"/{FILE_NAME}"]
    assert os.path.isfile(dataset_root / "models" / FILE_NAME)
    extractor = first.extractor
    numpy.testing.assert_array_equal(extractor.conv1_1.W.array, arrays["extractor/conv1_1/W"])
    numpy.testing.assert_array_equal(extractor.conv1_1.b.array, arrays["extractor/conv1_1/b"])
    numpy.testing.assert_array_equal(extractor.conv7.b.array, arrays["extractor/conv7/b"])
    # Only the extractor's VGG16 part comes from the file; the rest keeps its initialization.
    numpy.testing.assert_array_equal(extractor.norm4.scale.array, numpy.full(512, 20))
    assert first.multibox.conf[0].W.array is None
    assert first.n_fg_class == 3

    stop()
    second = SSD300(n_fg_class=3, pretrained_model="imagenet")
    assert requests == [f"/{FILE_NAME}"]
    numpy.testing.assert_array_equal(second.extractor.conv1_1.W.array, extractor.conv1_1.W.array)
    numpy.testing.assert_array_equal(second.extractor.conv7.b.array, extractor.conv7.b.array)

    # SSD512 names the same file: the cached copy serves it.
    ssd512 = SSD512(n_fg_class=1, pretrained_model="imagenet")
    numpy.testing.assert_array_equal(ssd512.extractor.conv1_1.W.array, extractor.conv1_1.W.array)


def test_download_failure_and_bad_checksum(dataset_root, server, monkeypatch):
    base_url, requests, _ = server
    entry = SSD300._models["imagenet"]
    monkeypatch.setitem(entry, "url", f"{base_url}/missing/{FILE_NAME}")
    with pytest.raises(OSError, match="missing"):
        SSD300(n_fg_class=3, pretrained_model="imagenet")
    monkeypatch.setitem(entry, "url", f"{base_url}/{FILE_NAME}")
    monkeypatch.setitem(entry, "sha256", "0" * 64)
    with pytest.raises(ValueError, match="(?i)sha-?256"):
        SSD300(n_fg_class=3, pretrained_model="imagenet")
    assert not os.path.exists(dataset_root / "models" / FILE_NAME)
    # 'imagenet' fixes no class count, so it must be given.
    monkeypatch.setitem(entry, "sha256", None)
    with pytest.raises(ValueError, match="n_fg_class"):
        SSD300(pretrained_model="imagenet")


def test_named_models_table_and_arguments():
    assert SSD300._models["voc0712"]["url"] == (
        "https://chainercv-models.preferred.jp/ssd300_voc0712_converted_2017_06_06.npz"
    )
    assert SSD512._models["voc0712"]["url"] == (
        "https://chainercv-models.preferred.jp/ssd512_voc0712_converted_2017_06_06.npz"
    )
    assert SSD300._models["imagenet"]["url"] == (
        "https://chainercv-models.preferred.jp/ssd_vgg16_imagenet_converted_2017_06_09.npz"
    )
    assert SSD300._models["voc0712"]["param"] == {"n_fg_class": 20}
    with pytest.raises(ValueError, match="n_fg_class=20"):
        SSD512(n_fg_class=4, pretrained_model="voc0712")
