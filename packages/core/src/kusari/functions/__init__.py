"""Differentiable functions (Chainer's ``chainer.functions``, imported as ``F``)."""

from kusari.functions._variable_methods import install as _install_variable_methods
from kusari.functions.array.broadcast import broadcast_to
from kusari.functions.array.get_item import get_item
from kusari.functions.array.reshape import reshape
from kusari.functions.array.transpose import transpose
from kusari.functions.math.exponential import exp, log, log2, log10
from kusari.functions.math.matmul import matmul
from kusari.functions.math.sum_to import sum_to

# (activation)
# (array)
# (connection, pooling, noise, normalization)
# (loss, evaluation, math)

_install_variable_methods()
