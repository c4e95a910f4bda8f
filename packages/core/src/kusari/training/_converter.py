"""Calling a batch converter the way Chainer v7 does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kusari.backends.cuda import GpuDevice
from kusari.dataset import convert


def call_converter(converter: Callable[..., Any], batch: list[Any], device: Any) -> Any:
    """Call ``converter(batch, device)``.

    Kusari's ``concat_examples`` takes the :class:`~kusari.backend.Device` itself; any other
    function gets Chainer's legacy spec: ``None``, ``-1`` for the host, or the GPU's integer id.

    Args:
        converter: The converter.
        batch: The minibatch (a list of examples).
        device: A :class:`~kusari.backend.Device` or ``None``.
    """
    if device is None or converter is convert.concat_examples:
        return converter(batch, device)
    legacy = device.device_id if isinstance(device, GpuDevice) else -1
    return converter(batch, legacy)
