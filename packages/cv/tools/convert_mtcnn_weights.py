"""Convert the MTCNN weights of the ``mtcnn`` 0.1.1 wheel into kusari-cv's ``mtcnn.npz``.

The ``mtcnn`` package (Iván de Paz Centeno, MIT licence; https://github.com/ipazc/mtcnn) ships
``mtcnn/data/mtcnn_weights.npy``: a pickled ``{'pnet': [...], 'rnet': [...], 'onet': [...]}``
of Keras weight lists (convolutions ``(kH, kW, in, out)``, dense layers ``(in, out)``, PReLU
slopes ``(1, 1, C)`` or ``(C,)``), converted from the Caffe release of Zhang et al. (2016).
Those networks were trained on images with ``x`` and ``y`` swapped (MATLAB's column-major
layout); the package transposes every image before the networks. kusari-cv instead moves
that transposition into the weights, so its networks take ordinary ``(B, 3, H, W)`` images:

* convolution ``K (kH, kW, in, out)`` -> ``W = K.transpose(3, 2, 1, 0)`` ``(out, in, kW, kH)``
  (the kernel's spatial axes swap as the image's do);
* the first dense layer after the convolutions, ``K (S * S * C, out)`` flattened from a
  transposed ``(S_x, S_y, C)`` map -> ``K.reshape(S, S, C, out).transpose(3, 2, 1, 0)``
  reshaped to ``(out, C * S * S)``, the ``(C, H, W)`` order of ``kusari.links.Linear``;
* other dense layers ``K (in, out)`` -> ``K.T``; PReLU slopes -> ``(C,)``; biases unchanged;
* box heads output ``(dx_min, dy_min, dx_max, dy_max)``: rows reordered ``[1, 0, 3, 2]`` to
  ``(dy_min, dx_min, dy_max, dx_max)``; the landmark head outputs ``(x_1..x_5, y_1..y_5)``:
  rows reordered ``[5, 0, 6, 1, 7, 2, 8, 3, 9, 4]`` to ``(y_1, x_1, ..., y_5, x_5)``.

The keys are those of ``kusari_cv.links.model.mtcnn.MTCNN`` (``pnet/conv1/W`` ...), so the file
loads with ``kusari.serializers.load_npz``. Usage::

    pip download mtcnn==0.1.1 --no-deps -d /tmp/mtcnn_dl
    python packages/cv/tools/convert_mtcnn_weights.py /tmp/mtcnn_dl/mtcnn-0.1.1-py3-none-any.whl

The ``.npy`` is unpickled, so only pass the file from that wheel: its SHA-256 is checked first.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

import numpy

WEIGHTS_MEMBER = "mtcnn/data/mtcnn_weights.npy"
WEIGHTS_SHA256 = "9e04e975abf93c7173e956df4b496d6da269e08b9e87f2daec963ee1176576b0"
DEFAULT_OUTPUT = (
    Path(__file__).resolve().parents[1]
    / "src"
    / "kusari_cv"
    / "links"
    / "model"
    / "mtcnn"
    / "data"
    / "mtcnn.npz"
)

LOC_ORDER = [1, 0, 3, 2]
POINT_ORDER = [5, 0, 6, 1, 7, 2, 8, 3, 9, 4]

# Each net's layers in the order of its Keras weight list: (name, kind, output row order).
# Kinds: "conv" (W, b), "prelu" (W), "flat_fc" (W, b; reads a flattened conv map), "fc" (W, b).
LAYERS = {
    "pnet": [
        ("conv1", "conv", None),
        ("prelu1", "prelu", None),
        ("conv2", "conv", None),
        ("prelu2", "prelu", None),
        ("conv3", "conv", None),
        ("prelu3", "prelu", None),
        ("conv4_1", "conv", None),
        ("conv4_2", "conv", LOC_ORDER),
    ],
    "rnet": [
        ("conv1", "conv", None),
        ("prelu1", "prelu", None),
        ("conv2", "conv", None),
        ("prelu2", "prelu", None),
        ("conv3", "conv", None),
        ("prelu3", "prelu", None),
        ("fc4", "flat_fc", None),
        ("prelu4", "prelu", None),
        ("fc5_1", "fc", None),
        ("fc5_2", "fc", LOC_ORDER),
    ],
    "onet": [
        ("conv1", "conv", None),
        ("prelu1", "prelu", None),
        ("conv2", "conv", None),
        ("prelu2", "prelu", None),
        ("conv3", "conv", None),
        ("prelu3", "prelu", None),
        ("conv4", "conv", None),
        ("prelu4", "prelu", None),
        ("fc5", "flat_fc", None),
        ("prelu5", "prelu", None),
        ("fc6_1", "fc", None),
        ("fc6_2", "fc", LOC_ORDER),
        ("fc6_3", "fc", POINT_ORDER),
    ],
}


def read_weights(path: str | os.PathLike[str]) -> dict[str, list[numpy.ndarray]]:
    """Read the Keras weight lists from the ``mtcnn`` wheel or from its extracted ``.npy``.

    Args:
        path: ``mtcnn-0.1.1-py3-none-any.whl`` or ``mtcnn_weights.npy``.

    Returns:
        ``{'pnet': [...], 'rnet': [...], 'onet': [...]}``, float32 arrays in Keras layout.

    Raises:
        ValueError: The ``.npy`` is not the released file (SHA-256 mismatch).
    """
    path = Path(path)
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            data = wheel.read(WEIGHTS_MEMBER)
    else:
        data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise ValueError(
            f"convert_mtcnn_weights: expected mtcnn_weights.npy with SHA-256 {WEIGHTS_SHA256}, "
            f"got {digest} from {path}"
        )
    return numpy.load(io.BytesIO(data), allow_pickle=True).item()


def convert(weights: dict[str, list[numpy.ndarray]]) -> dict[str, numpy.ndarray]:
    """Convert Keras weight lists into kusari-cv's MTCNN arrays (see the module docstring).

    Args:
        weights: The output of :func:`read_weights`.

    Returns:
        ``{'pnet/conv1/W': array, ...}``, float32, in ``kusari.links`` layouts.

    Raises:
        ValueError: A net's weight list does not have the expected number of arrays.
    """
    out = {}
    for net, layers in LAYERS.items():
        arrays = list(weights[net])
        n_expected = sum(1 if kind == "prelu" else 2 for _, kind, _ in layers)
        if len(arrays) != n_expected:
            raise ValueError(
                f"convert_mtcnn_weights: expected {n_expected} arrays for {net}, got {len(arrays)}"
            )
        for name, kind, order in layers:
            key = f"{net}/{name}"
            if kind == "prelu":
                out[f"{key}/W"] = arrays.pop(0).reshape(-1)
                continue
            kernel, bias = arrays.pop(0), arrays.pop(0)
            if kind == "conv":
                w = kernel.transpose(3, 2, 1, 0)
            elif kind == "flat_fc":
                n_in, n_out = kernel.shape
                n_channel = out[f"{net}/{_previous_conv(layers, name)}/W"].shape[0]
                side = int(round((n_in // n_channel) ** 0.5))
                w = kernel.reshape(side, side, n_channel, n_out).transpose(3, 2, 1, 0)
                w = w.reshape(n_out, n_in)
            else:
                w = kernel.T
            if order is not None:
                w, bias = w[order], bias[order]
            out[f"{key}/W"] = w
            out[f"{key}/b"] = bias
    return {key: numpy.ascontiguousarray(value, dtype=numpy.float32) for key, value in out.items()}


def _previous_conv(layers: list, name: str) -> str:
    names = [n for n, _, _ in layers]
    return next(n for n, kind, _ in reversed(layers[: names.index(name)]) if kind == "conv")


def save(arrays: dict[str, numpy.ndarray], path: str | os.PathLike[str]) -> None:
    """Write ``arrays`` to a compressed ``.npz`` atomically (temporary file, then replace).

    Args:
        arrays: Arrays by key.
        path: Output file.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            numpy.savez_compressed(f, **arrays)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> None:
    """Command line: ``convert_mtcnn_weights.py SOURCE [-o OUTPUT]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="mtcnn-0.1.1-py3-none-any.whl or mtcnn_weights.npy")
    parser.add_argument("-o", "--output", default=str(DEFAULT_OUTPUT), help="output .npz")
    args = parser.parse_args(argv)
    save(convert(read_weights(args.source)), args.output)


if __name__ == "__main__":
    main()
