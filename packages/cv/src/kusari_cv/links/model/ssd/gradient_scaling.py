"""An optimizer hook that scales the gradient of every parameter it is attached to."""

from __future__ import annotations

from typing import Any


class GradientScaling:
    """Multiply the gradient of each parameter by a constant before the update.

    Add it to one parameter's update rule, e.g.
    ``model.extractor.norm4.scale.update_rule.add_hook(GradientScaling(0.5))``; SSD training
    uses it to double the learning rate of biases.

    Args:
        rate: Coefficient multiplied into the gradient.
    """

    name = "GradientScaling"
    call_for_each_param = True

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, rule: Any, param: Any) -> None:
        """Scale ``param.grad`` in place; does nothing if the parameter has no gradient.

        Args:
            rule: The update rule calling the hook (unused).
            param: The parameter whose gradient is scaled.
        """
        g = param.grad
        if g is None:
            return
        g *= self.rate
