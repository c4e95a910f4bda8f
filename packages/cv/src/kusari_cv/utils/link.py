"""Resolving a model's ``pretrained_model`` argument (ChainerCV's ``prepare_pretrained_model``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import kusari
from kusari_cv.utils.download import download_model


def prepare_pretrained_model(
    param: dict[str, Any],
    pretrained_model: str | os.PathLike[str] | None,
    models: Mapping[str, Mapping[str, Any]],
    default: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], str | None]:
    """Fill a model's constructor values and find the weight file it should load.

    A named model (a key of ``models``, e.g. ``'voc0712'``) fixes some constructor values, such as
    the number of classes its weights were trained for. Values left ``None`` are taken from the
    named model, then from ``default``. A value given explicitly must agree with the named model
    unless the model lists it as overwritable (e.g. ``n_fg_class`` of an ``'imagenet'`` backbone,
    whose weights cover only the feature extractor).

    Args:
        param: Constructor values by name, ``None`` meaning "not given". Not modified.
        pretrained_model: ``None`` (random initialization), a key of ``models`` (the file is
            downloaded once into ``<dataset root>/models/`` and checked against its SHA-256
            digest when the entry has one), or the path of a local ``.npz`` file.
        models: The model class's table: ``{name: {'url': str, 'sha256': str | None,
            'param': {key: value}, 'overwritable': (key, ...)}}``; ``sha256``, ``param`` and
            ``overwritable`` may be missing.
        default: Values for keys of ``param`` that are still ``None`` after the named model's.

    Returns:
        The filled constructor values and the path of the weight file to load, or ``None``
        when ``pretrained_model`` is ``None``.

    Raises:
        ValueError: ``pretrained_model`` is neither a name in ``models`` nor an existing file;
            a given value contradicts the named model; or a value is ``None`` with no default.
        OSError: Downloading the named model failed (the message names the URL and where to
            place the file by hand).
    """
    param = dict(param)
    default = {} if default is None else default
    model = None
    path = None
    if pretrained_model is not None:
        name = os.fspath(pretrained_model)
        if name in models:
            model = models[name]
            _apply_model_param(param, name, model)
        elif os.path.isfile(name):
            path = name
        else:
            raise ValueError(
                f"prepare_pretrained_model: pretrained_model must be None, one of "
                f"{sorted(models)} or the path of an existing .npz file, got {name!r}"
            )
    _fill_defaults(param, default, pretrained_model)
    if model is not None:
        path = download_model(model["url"], model.get("sha256"))
    return param, path


def _fill_defaults(
    param: dict[str, Any], default: Mapping[str, Any], pretrained_model: object
) -> None:
    """Replace the values still ``None`` in ``param`` with ``default``'s, or raise."""
    for key, value in param.items():
        if value is not None:
            continue
        if key not in default:
            raise ValueError(
                f"prepare_pretrained_model: {key} must be given when pretrained_model is "
                f"{pretrained_model!r}"
            )
        param[key] = default[key]


def _apply_model_param(param: dict[str, Any], name: str, model: Mapping[str, Any]) -> None:
    """Fill ``param`` from the named model's values, refusing contradictions."""
    model_param = model.get("param", {})
    overwritable = model.get("overwritable", ())
    for key in param:
        if key not in model_param:
            continue
        if param[key] is None:
            param[key] = model_param[key]
        elif key not in overwritable and param[key] != model_param[key]:
            raise ValueError(
                f"prepare_pretrained_model: pretrained_model {name!r} needs {key}="
                f"{model_param[key]!r}, got {param[key]!r}"
            )


def _load_pretrained(
    path: str,
    link: kusari.Link,
    pretrained_model: str | os.PathLike[str],
    models: Mapping[str, Mapping[str, Any]],
) -> None:
    """Load the weight file ``prepare_pretrained_model`` found into ``link``.

    A local file loads strictly: every parameter and persistent value must be in it. ChainerCV's
    published files (a name of ``models``) load as ChainerCV loads them, skipping what a file
    lacks (e.g. the batch normalization counter ``N`` in files older than the layer), since
    they could not be checked key by key here.
    """
    kusari.serializers.load_npz(path, link, strict=os.fspath(pretrained_model) not in models)
