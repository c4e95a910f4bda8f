"""Double DQN (ChainerRL's ``chainerrl.agents.DoubleDQN``).

van Hasselt, Guez and Silver 2016, "Deep Reinforcement Learning with Double Q-learning"
(AAAI), equation (4): the online network picks the next action and the target network values
it, ``r + gamma^n * Q_target(s', argmax_a Q(s', a))``, which removes most of Q-learning's
overestimation.
"""

from __future__ import annotations

from typing import Any

from kusari_rl.agents.dqn import DQN, compute_q_target

__all__ = ["DoubleDQN"]


class DoubleDQN(DQN):
    """Double DQN (van Hasselt et al. 2016): DQN whose target action comes from the model.

    The arguments are those of :class:`~kusari_rl.agents.DQN`.
    """

    def _compute_target_values(self, exp_batch: dict[str, Any]) -> Any:
        """Targets ``(B,)``: the target network's value of the model's greedy next action."""
        batch_next_state = exp_batch["next_state"]
        next_actions = self.model(batch_next_state).greedy_actions
        next_q = self.target_model(batch_next_state).evaluate_actions(next_actions).array
        return compute_q_target(
            exp_batch["reward"], exp_batch["discount"], exp_batch["is_state_terminal"], next_q
        )
