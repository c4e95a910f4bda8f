"""Helpers shared by agents and experiments (ChainerRL's ``chainerrl.misc``)."""

from kusari_rl.misc.batch_states import batch_states
from kusari_rl.misc.collections import RandomAccessQueue
from kusari_rl.misc.copy_param import copy_param, soft_copy_param, synchronize_parameters
from kusari_rl.misc.nonfinite import NonFiniteError, check_finite
from kusari_rl.misc.prioritized import MinTree, PrioritizedBuffer, SumTree
from kusari_rl.misc.random_seed import set_random_seed

__all__ = [
    "MinTree",
    "NonFiniteError",
    "PrioritizedBuffer",
    "RandomAccessQueue",
    "SumTree",
    "batch_states",
    "check_finite",
    "copy_param",
    "set_random_seed",
    "soft_copy_param",
    "synchronize_parameters",
]
