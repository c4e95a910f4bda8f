"""Optimizers (``chainer.optimizers``): SGD, MomentumSGD, Adam and Adam's variants.

Example:
    >>> optimizer = kusari.optimizers.Adam().setup(model)
    >>> optimizer.update(model, x, t)
"""

from kusari.optimizers.adam import AdaBound, Adam, AdamW, AMSBound, AMSGrad
from kusari.optimizers.momentum_sgd import MomentumSGD
from kusari.optimizers.sgd import SGD

__all__ = ["AMSBound", "AMSGrad", "AdaBound", "Adam", "AdamW", "MomentumSGD", "SGD"]
