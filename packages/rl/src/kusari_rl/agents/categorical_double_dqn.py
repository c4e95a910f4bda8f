"""Categorical Double DQN (ChainerRL's ``chainerrl.agents.CategoricalDoubleDQN``).

C51 (Bellemare et al. 2017) with the Double DQN target (van Hasselt et al. 2016): the model
picks the next action by its expected return and the target network supplies that action's
return distribution, which is then projected onto the atoms. Rainbow (Hessel et al. 2018,
"Rainbow: Combining Improvements in Deep Reinforcement Learning") uses this target.
"""

from __future__ import annotations

from typing import Any

from kusari_rl.agents.categorical_dqn import CategoricalDQN, compute_categorical_target

__all__ = ["CategoricalDoubleDQN"]


class CategoricalDoubleDQN(CategoricalDQN):
    """Categorical DQN with the Double DQN target; arguments as :class:`CategoricalDQN`."""

    def _compute_target_values(self, exp_batch: dict[str, Any]) -> Any:
        """Target distributions ``(B, N)`` of the model's greedy next actions."""
        batch_next_state = exp_batch["next_state"]
        next_actions = self.model(batch_next_state).greedy_actions
        target_next = self.target_model(batch_next_state)
        return compute_categorical_target(
            exp_batch["reward"],
            exp_batch["discount"],
            exp_batch["is_state_terminal"],
            target_next.evaluate_actions_as_distribution(next_actions).array,
            target_next.z_values,
        )
