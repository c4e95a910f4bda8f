"""Optimizer hooks (``chainer.optimizer_hooks``): regularization and gradient clipping.

A hook is registered with ``optimizer.add_hook(hook)`` and runs before (``'pre'``) or after
(``'post'``) each update.

Example:
    >>> optimizer.add_hook(kusari.optimizer_hooks.WeightDecay(1e-4))
    >>> optimizer.add_hook(kusari.optimizer_hooks.GradientClipping(5.0))
"""

from kusari.optimizer_hooks.gradient_clipping import GradientClipping
from kusari.optimizer_hooks.gradient_hard_clipping import GradientHardClipping
from kusari.optimizer_hooks.lasso import Lasso
from kusari.optimizer_hooks.weight_decay import WeightDecay

__all__ = ["GradientClipping", "GradientHardClipping", "Lasso", "WeightDecay"]
