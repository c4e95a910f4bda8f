"""Optimizers (``chainer.optimizers``): SGD, MomentumSGD, RMSprop(Graves), Adam and variants.

Example:
    >>> optimizer = kusari.optimizers.Adam().setup(model)
    >>> optimizer.update(model, x, t)
"""

from kusari.optimizers.adam import AdaBound, Adam, AdamW, AMSBound, AMSGrad
from kusari.optimizers.momentum_sgd import MomentumSGD
from kusari.optimizers.rmsprop import RMSprop
from kusari.optimizers.rmsprop_graves import RMSpropGraves
from kusari.optimizers.sgd import SGD

__all__ = [
    "AMSBound",
    "AMSGrad",
    "AdaBound",
    "Adam",
    "AdamW",
    "MomentumSGD",
    "RMSprop",
    "RMSpropGraves",
    "SGD",
]
