import functools
import hashlib
import http.server
import importlib
import io
import os
import socket
import tarfile
import threading
import zipfile

import pytest

from kusari_cv.utils import cached_download, download_model, extractall

PAYLOAD = bytes(range(256)) * 300  # 76800 bytes: several read chunks
PAYLOAD_SHA256 = hashlib.sha256(PAYLOAD).hexdigest()


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
def server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "data.bin").write_bytes(PAYLOAD)
    (served / "weights.npz").write_bytes(PAYLOAD[:1000])
    handler = type("Handler", (_CountingHandler,), {"requests": []})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(served))
    )
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.requests
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _cache_path(root, url):
    return os.path.join(root, "_dl_cache", hashlib.md5(url.encode()).hexdigest())


def _cache_listing(root):
    return sorted(os.listdir(os.path.join(root, "_dl_cache")))


def test_cached_download_stores_under_url_hash_and_second_call_uses_cache(dataset_root, server):
    base, requests = server
    url = f"{base}/data.bin"
    path = cached_download(url)
    assert path == _cache_path(dataset_root, url)
    with open(path, "rb") as f:
        assert f.read() == PAYLOAD
    assert cached_download(url, sha256=PAYLOAD_SHA256) == path
    assert requests == ["/data.bin"]
    assert _cache_listing(dataset_root) == [os.path.basename(path)]


def test_cached_download_shows_progress_bar(dataset_root, server, capsys):
    url = f"{server[0]}/data.bin"
    cached_download(url)
    err = capsys.readouterr().err
    assert f"Downloading {url}" in err
    assert "76.8k" in err  # tqdm's byte total with unit_scale


def test_cached_download_accepts_good_checksum(dataset_root, server):
    path = cached_download(f"{server[0]}/data.bin", sha256=PAYLOAD_SHA256.upper())
    assert os.path.getsize(path) == len(PAYLOAD)


def test_cached_download_bad_checksum_raises_and_leaves_no_file(dataset_root, server):
    url = f"{server[0]}/data.bin"
    with pytest.raises(ValueError, match="SHA-256") as excinfo:
        cached_download(url, sha256="0" * 64)
    assert url in str(excinfo.value)
    assert _cache_listing(dataset_root) == []


def test_cached_download_checks_a_cached_file_and_keeps_it(dataset_root, server):
    url = f"{server[0]}/data.bin"
    path = _cache_path(dataset_root, url)
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as f:
        f.write(b"placed by hand")
    with pytest.raises(ValueError, match="delete the file"):
        cached_download(url, sha256=PAYLOAD_SHA256)
    assert os.path.exists(path)
    assert server[1] == []


def test_cached_download_http_error_names_url_and_path(dataset_root, server):
    url = f"{server[0]}/missing.bin"
    with pytest.raises(OSError) as excinfo:
        cached_download(url)
    message = str(excinfo.value)
    assert url in message
    assert _cache_path(dataset_root, url) in message
    assert _cache_listing(dataset_root) == []


def test_cached_download_unreachable_host_names_url_and_path(dataset_root):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/data.bin"
    with pytest.raises(OSError, match="place the file at") as excinfo:
        cached_download(url)
    assert url in str(excinfo.value)
    assert _cache_path(dataset_root, url) in str(excinfo.value)
    assert _cache_listing(dataset_root) == []


def test_download_model_saves_under_models_once(dataset_root, server):
    base, requests = server
    url = f"{base}/weights.npz?version=1"
    path = download_model(url, sha256=hashlib.sha256(PAYLOAD[:1000]).hexdigest())
    assert path == os.path.join(dataset_root, "models", "weights.npz")
    with open(path, "rb") as f:
        assert f.read() == PAYLOAD[:1000]
    assert download_model(url) == path
    assert requests == ["/weights.npz?version=1"]
    assert os.listdir(os.path.join(dataset_root, "models")) == ["weights.npz"]


def test_download_model_bad_checksum_leaves_no_file(dataset_root, server):
    with pytest.raises(ValueError, match="SHA-256"):
        download_model(f"{server[0]}/weights.npz", sha256="f" * 64)
    assert os.listdir(os.path.join(dataset_root, "models")) == []


def test_download_model_rejects_url_without_file_name(dataset_root):
    with pytest.raises(ValueError, match="download_model: expected a URL ending in a file name"):
        download_model("http://127.0.0.1/models/")


def _tar_bytes(members, mode):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


MEMBERS = {"VOCdevkit/VOC2012/a.txt": b"alpha", "VOCdevkit/b.bin": b"\x00\x01\x02"}


def _assert_extracted(destination):
    for name, data in MEMBERS.items():
        with open(os.path.join(destination, name), "rb") as f:
            assert f.read() == data


@pytest.mark.parametrize(("ext", "mode"), [(".tar", "w"), (".gz", "w:gz"), (".tgz", "w:gz")])
def test_extractall_tar(tmp_path, ext, mode):
    archive = tmp_path / f"archive{ext}"
    archive.write_bytes(_tar_bytes(MEMBERS, mode))
    extractall(str(archive), str(tmp_path / "out"), ext)
    _assert_extracted(tmp_path / "out")


def test_extractall_zip(tmp_path):
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in MEMBERS.items():
            z.writestr(name, data)
    extractall(archive, tmp_path / "out", ".zip")
    _assert_extracted(tmp_path / "out")


def test_extractall_refuses_tar_member_outside_destination(tmp_path):
    archive = tmp_path / "evil.tar"
    archive.write_bytes(_tar_bytes({"../escaped.txt": b"x"}, "w"))
    with pytest.raises(tarfile.TarError):
        extractall(archive, tmp_path / "out", ".tar")
    assert not (tmp_path / "escaped.txt").exists()


def test_extractall_rejects_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match=r"extractall: expected ext in .* got '\.rar'"):
        extractall(tmp_path / "a.rar", tmp_path, ".rar")
