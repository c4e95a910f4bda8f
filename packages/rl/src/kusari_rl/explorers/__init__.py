"""Explorers: how an agent deviates from its greedy action (ChainerRL's ``chainerrl.explorers``)."""

from kusari_rl.explorers.additive_gaussian import AdditiveGaussian
from kusari_rl.explorers.additive_ou import AdditiveOU
from kusari_rl.explorers.boltzmann import Boltzmann
from kusari_rl.explorers.epsilon_greedy import (
    ConstantEpsilonGreedy,
    ExponentialDecayEpsilonGreedy,
    LinearDecayEpsilonGreedy,
)
from kusari_rl.explorers.greedy import Greedy

__all__ = [
    "AdditiveGaussian",
    "AdditiveOU",
    "Boltzmann",
    "ConstantEpsilonGreedy",
    "ExponentialDecayEpsilonGreedy",
    "Greedy",
    "LinearDecayEpsilonGreedy",
]
