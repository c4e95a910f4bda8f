"""Kusari: define-by-run deep learning on NumPy and CuPy, compatible with Chainer v7.

``import kusari as chainer`` runs code written for Chainer v7.
"""

from kusari import (
    backend,
    backends,
    configuration,
    dataset,
    datasets,
    functions,
    gradient_check,
    initializer,
    initializers,
    iterators,
    links,
    optimizer,
    optimizer_hooks,
    optimizers,
    reporter,
    serializer,
    serializers,
    training,
    utils,
)
from kusari._backprop import backward
from kusari.backend import get_device
from kusari.backends import cuda
from kusari.configuration import (
    config,
    force_backprop_mode,
    get_dtype,
    global_config,
    is_debug,
    no_backprop_mode,
    set_debug,
    using_config,
)
from kusari.function_node import FunctionNode, grad
from kusari.initializer import Initializer
from kusari.link import Chain, ChainList, Link
from kusari.optimizer import GradientMethod, Optimizer, UpdateRule
from kusari.reporter import (
    DictSummary,
    Reporter,
    Summary,
    get_current_reporter,
    report,
    report_scope,
)
from kusari.sequential import Sequential
from kusari.serializer import AbstractSerializer, Deserializer, Serializer
from kusari.variable import Parameter, Variable, as_array, as_variable

__version__ = "0.1.0"

__all__ = [
    "AbstractSerializer",
    "Chain",
    "ChainList",
    "Deserializer",
    "DictSummary",
    "FunctionNode",
    "GradientMethod",
    "Initializer",
    "Link",
    "Optimizer",
    "Parameter",
    "Reporter",
    "Sequential",
    "Serializer",
    "Summary",
    "UpdateRule",
    "Variable",
    "as_array",
    "as_variable",
    "backend",
    "backends",
    "backward",
    "config",
    "configuration",
    "cuda",
    "dataset",
    "datasets",
    "force_backprop_mode",
    "functions",
    "get_current_reporter",
    "get_device",
    "get_dtype",
    "global_config",
    "grad",
    "gradient_check",
    "initializer",
    "initializers",
    "is_debug",
    "iterators",
    "links",
    "no_backprop_mode",
    "optimizer",
    "optimizer_hooks",
    "optimizers",
    "report",
    "report_scope",
    "reporter",
    "serializer",
    "serializers",
    "set_debug",
    "training",
    "using_config",
    "utils",
]
