"""The penalty coefficient that per-parameter regularization hooks add to a gradient."""

from __future__ import annotations

from typing import Any


def loss_scaled_rate(rate: float, param: Any) -> float:
    """``rate`` times the parameter's loss scale, while its gradient is still scaled by it."""
    loss_scale = getattr(param, "_loss_scale", None)
    return rate if loss_scale is None else rate * loss_scale
