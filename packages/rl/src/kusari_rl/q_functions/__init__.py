"""Q-functions (ChainerRL's ``chainerrl.q_functions``)."""

from kusari_rl.q_functions.dueling_dqn import DistributionalDuelingDQN, DuelingDQN
from kusari_rl.q_functions.state_action_q_functions import (
    FCBNLateActionSAQFunction,
    FCBNSAQFunction,
    FCLateActionSAQFunction,
    FCSAQFunction,
    SingleModelStateActionQFunction,
)
from kusari_rl.q_functions.state_q_functions import (
    DistributionalFCStateQFunctionWithDiscreteAction,
    DistributionalSingleModelStateQFunctionWithDiscreteAction,
    FCBNQuadraticStateQFunction,
    FCQuadraticStateQFunction,
    FCStateQFunctionWithDiscreteAction,
    SingleModelStateQFunctionWithDiscreteAction,
)

__all__ = [
    "DistributionalDuelingDQN",
    "DistributionalFCStateQFunctionWithDiscreteAction",
    "DistributionalSingleModelStateQFunctionWithDiscreteAction",
    "DuelingDQN",
    "FCBNLateActionSAQFunction",
    "FCBNQuadraticStateQFunction",
    "FCBNSAQFunction",
    "FCLateActionSAQFunction",
    "FCQuadraticStateQFunction",
    "FCSAQFunction",
    "FCStateQFunctionWithDiscreteAction",
    "SingleModelStateActionQFunction",
    "SingleModelStateQFunctionWithDiscreteAction",
]
