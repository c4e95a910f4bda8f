"""Gymnasium wrappers (ChainerRL's ``chainerrl.wrappers``)."""

from kusari_rl.wrappers.cast_observation import CastObservation, CastObservationToFloat32
from kusari_rl.wrappers.continuing_time_limit import ContinuingTimeLimit
from kusari_rl.wrappers.normalize_action_space import NormalizeActionSpace
from kusari_rl.wrappers.randomize_action import RandomizeAction
from kusari_rl.wrappers.scale_reward import ScaleReward

__all__ = [
    "CastObservation",
    "CastObservationToFloat32",
    "ContinuingTimeLimit",
    "NormalizeActionSpace",
    "RandomizeAction",
    "ScaleReward",
]
