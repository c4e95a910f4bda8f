"""Run-time configuration: ``kusari.config`` (thread-local) over ``kusari.global_config``.

Chainer v7 semantics: reading ``config.<name>`` looks in the current thread's values first and falls
back to the process-wide ``global_config``; :func:`using_config` changes a value in the current
thread for the duration of a ``with`` block.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy


class GlobalConfig:
    """Process-wide default values of the configuration entries.

    Each value is mirrored as a class attribute of :class:`LocalConfig`, so that reading
    ``config.<name>`` in a thread that did not override it is a plain attribute lookup (it runs on
    every function call) rather than a call of ``__getattr__``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        setattr(LocalConfig, name, value)

    def __init__(self) -> None:
        self.debug = False
        self.enable_backprop = True
        self.train = True
        self.type_check = True
        self.dtype = numpy.dtype(numpy.float32)
        self.cudnn_deterministic = False
        self.use_cudnn = "auto"
        self.keep_graph_on_report = False
        self.lazy_grad_sum = False
        self.autotune = False

    def show(self, file: Any = sys.stdout) -> None:
        """Print every entry as ``name  value`` lines, sorted by name."""
        for key in sorted(vars(self)):
            file.write(f"{key:<24}{getattr(self, key)}\n")


class LocalConfig(threading.local):
    """Per-thread configuration that falls back to a :class:`GlobalConfig`."""

    def __init__(self, global_config: GlobalConfig) -> None:
        self._global = global_config

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"kusari.config has no entry {name!r}")

    def show(self, file: Any = sys.stdout) -> None:
        """Print the effective value of every entry as ``name  value`` lines."""
        for key in sorted((set(vars(self._global)) | set(vars(self))) - {"_global"}):
            file.write(f"{key:<24}{getattr(self, key)}\n")


global_config = GlobalConfig()
config = LocalConfig(global_config)

_MISSING = object()


@contextlib.contextmanager
def using_config(name: str, value: Any, config: LocalConfig = config) -> Iterator[None]:
    """Set ``config.<name>`` to ``value`` in the current thread inside a ``with`` block.

    Args:
        name: Name of the configuration entry, e.g. ``'train'``.
        value: Value to use inside the block.
        config: The configuration object to change (the thread-local ``kusari.config``).

    Example:
        >>> with kusari.using_config('train', False):
        ...     y = model(x)
    """
    old = vars(config).get(name, _MISSING)
    setattr(config, name, value)
    try:
        yield
    finally:
        if old is _MISSING:
            delattr(config, name)
        else:
            setattr(config, name, old)


def no_backprop_mode() -> contextlib.AbstractContextManager[None]:
    """Make a ``with`` block record no computational graph (``enable_backprop=False``)."""
    return using_config("enable_backprop", False)


def force_backprop_mode() -> contextlib.AbstractContextManager[None]:
    """Make a ``with`` block record the graph even inside :func:`no_backprop_mode`."""
    return using_config("enable_backprop", True)


def is_debug() -> bool:
    """Whether debug mode (``config.debug``) is on."""
    return bool(config.debug)


def set_debug(debug: bool) -> None:
    """Turn debug mode on or off for the current thread (``config.debug = debug``)."""
    config.debug = debug


def get_dtype(dtype: Any = None, map_mixed16: Any = None) -> numpy.dtype:
    """Resolve a dtype: ``dtype`` itself, or ``config.dtype`` when it is ``None``.

    Args:
        dtype: A dtype, or ``None`` for the configured default.
        map_mixed16: Accepted for Chainer compatibility; Kusari has no ``mixed16`` mode.
    """
    return numpy.dtype(config.dtype if dtype is None else dtype)
