"""Links for reinforcement learning models (ChainerRL's ``chainerrl.links``)."""

from kusari_rl.links.branched import Branched
from kusari_rl.links.empirical_normalization import EmpiricalNormalization
from kusari_rl.links.mlp import MLP
from kusari_rl.links.mlp_bn import MLPBN, LinearBN
from kusari_rl.links.noisy_chain import to_factorized_noisy
from kusari_rl.links.noisy_linear import FactorizedNoisyLinear
from kusari_rl.links.sequence import Sequence

__all__ = [
    "MLP",
    "MLPBN",
    "Branched",
    "EmpiricalNormalization",
    "FactorizedNoisyLinear",
    "LinearBN",
    "Sequence",
    "to_factorized_noisy",
]
