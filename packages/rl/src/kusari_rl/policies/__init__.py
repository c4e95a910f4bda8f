"""Policies: links mapping observations to action distributions (``chainerrl.policies``)."""

from kusari_rl.policies.deterministic_policy import (
    ContinuousDeterministicPolicy,
    FCBNDeterministicPolicy,
    FCDeterministicPolicy,
)
from kusari_rl.policies.gaussian_policy import (
    FCGaussianPolicy,
    FCGaussianPolicyWithFixedCovariance,
    FCGaussianPolicyWithStateIndependentCovariance,
    GaussianHeadWithStateIndependentCovariance,
)
from kusari_rl.policies.softmax_policy import FCSoftmaxPolicy, SoftmaxPolicy

__all__ = [
    "ContinuousDeterministicPolicy",
    "FCBNDeterministicPolicy",
    "FCDeterministicPolicy",
    "FCGaussianPolicy",
    "FCGaussianPolicyWithFixedCovariance",
    "FCGaussianPolicyWithStateIndependentCovariance",
    "FCSoftmaxPolicy",
    "GaussianHeadWithStateIndependentCovariance",
    "SoftmaxPolicy",
]
