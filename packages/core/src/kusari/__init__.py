"""Kusari: define-by-run deep learning on NumPy and CuPy, compatible with Chainer v7.

``import kusari as chainer`` runs code written for Chainer v7.
"""

from kusari import backend, backends, configuration, initializers, utils
from kusari.backend import get_device
from kusari.backends import cuda
from kusari.configuration import (
    config,
    force_backprop_mode,
    global_config,
    no_backprop_mode,
    using_config,
)
from kusari.function_node import FunctionNode, grad
from kusari.variable import Parameter, Variable, as_array, as_variable

from kusari import functions  # noqa: I001 (installs Variable's operators; after Variable)

__version__ = "0.1.0"

__all__ = [
    "FunctionNode",
    "Parameter",
    "Variable",
    "as_array",
    "as_variable",
    "backend",
    "backends",
    "config",
    "configuration",
    "cuda",
    "force_backprop_mode",
    "functions",
    "get_device",
    "global_config",
    "grad",
    "initializers",
    "no_backprop_mode",
    "using_config",
    "utils",
]
