import functools
import hashlib
import http.server
import importlib
import threading

import numpy
import pytest

import kusari
import kusari.links as L
from kusari.serializers import save_npz
from kusari_cv.utils import prepare_pretrained_model
from kusari_cv.utils.link import _load_pretrained

PAYLOAD = b"weights" * 100


@pytest.fixture
def dataset_root(tmp_path, monkeypatch):
    root = tmp_path / "root"
    monkeypatch.setenv("KUSARI_DATASET_ROOT", str(root))
    monkeypatch.setattr(importlib.import_module("kusari.dataset.download"), "_dataset_root", None)
    return root


@pytest.fixture
def base_url(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "model_voc.npz").write_bytes(PAYLOAD)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _models(base_url, sha256=None):
    return {
        "voc": {
            "param": {"n_fg_class": 20},
            "url": f"{base_url}/model_voc.npz",
            "sha256": sha256,
        },
        "imagenet": {
            "param": {"n_fg_class": None},
            "overwritable": ("n_fg_class",),
            "url": f"{base_url}/model_voc.npz",
        },
    }


def test_none_takes_default_values_and_gives_no_path():
    param, path = prepare_pretrained_model(
        {"n_fg_class": None, "min_size": 3}, None, {}, {"n_fg_class": 5}
    )
    assert param == {"n_fg_class": 5, "min_size": 3}
    assert path is None


def test_none_without_default_names_the_missing_value():
    with pytest.raises(ValueError, match="n_fg_class must be given"):
        prepare_pretrained_model({"n_fg_class": None}, None, {})


def test_named_model_downloads_once_and_fills_param(dataset_root, base_url):
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    given = {"n_fg_class": None}
    param, path = prepare_pretrained_model(given, "voc", _models(base_url, sha))
    assert given == {"n_fg_class": None}
    assert param == {"n_fg_class": 20}
    assert path == str(dataset_root / "models" / "model_voc.npz")
    with open(path, "rb") as f:
        assert f.read() == PAYLOAD
    offline = _models("http://127.0.0.1:9", sha)
    assert prepare_pretrained_model(given, "voc", offline)[1] == path


def test_named_model_refuses_a_contradicting_value(dataset_root, base_url):
    with pytest.raises(ValueError, match="'voc' needs n_fg_class=20, got 3"):
        prepare_pretrained_model({"n_fg_class": 3}, "voc", _models(base_url))
    assert not (dataset_root / "models" / "model_voc.npz").exists()


def test_overwritable_value_is_kept(dataset_root, base_url):
    param, _ = prepare_pretrained_model({"n_fg_class": 3}, "imagenet", _models(base_url))
    assert param == {"n_fg_class": 3}


def test_overwritable_none_needs_a_value_before_any_download(dataset_root, base_url):
    with pytest.raises(ValueError, match="n_fg_class must be given"):
        prepare_pretrained_model({"n_fg_class": None}, "imagenet", _models(base_url))
    assert not (dataset_root / "models").exists()


def test_wrong_checksum_discards_the_download(dataset_root, base_url):
    with pytest.raises(ValueError, match="SHA-256"):
        prepare_pretrained_model({"n_fg_class": None}, "voc", _models(base_url, "0" * 64))
    assert not (dataset_root / "models" / "model_voc.npz").exists()


def test_local_path_is_returned(tmp_path):
    weights = tmp_path / "w.npz"
    weights.write_bytes(PAYLOAD)
    param, path = prepare_pretrained_model({"n_fg_class": 4}, weights, {})
    assert param == {"n_fg_class": 4}
    assert path == str(weights)


def test_unknown_name_lists_the_choices(tmp_path):
    with pytest.raises(ValueError, match=r"one of \['imagenet', 'voc'\].*'coco'"):
        prepare_pretrained_model({"n_fg_class": 1}, "coco", _models("http://127.0.0.1:9"))


def test_offline_named_model_says_where_to_place_the_file(dataset_root):
    with pytest.raises(OSError, match="place the file at .*model_voc.npz"):
        prepare_pretrained_model({"n_fg_class": None}, "voc", _models("http://127.0.0.1:9"))


def _bn_chain():
    chain = kusari.Chain()
    with chain.init_scope():
        chain.bn = L.BatchNormalization(3)
    return chain


def _save_without_n(path):
    src = _bn_chain()
    src.bn.gamma.array[...] = 2
    save_npz(path, src)
    with numpy.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files if k != "bn/N"}
    numpy.savez(path, **arrays)


def test_named_file_lacking_a_key_loads_like_chainercv(tmp_path):
    path = tmp_path / "old.npz"
    _save_without_n(path)
    dst = _bn_chain()
    _load_pretrained(str(path), dst, "voc", {"voc": {"url": "unused"}})
    numpy.testing.assert_array_equal(dst.bn.gamma.array, numpy.full(3, 2, numpy.float32))


def test_local_file_lacking_a_key_is_refused(tmp_path):
    path = tmp_path / "old.npz"
    _save_without_n(path)
    with pytest.raises(KeyError, match="bn/N"):
        _load_pretrained(str(path), _bn_chain(), path, {"voc": {"url": "unused"}})
