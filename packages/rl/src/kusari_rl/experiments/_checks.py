"""Argument checks shared by the experiment functions (messages name the function)."""

from __future__ import annotations


def check_one_of(
    where: str, steps_name: str, n_steps: int | None, episodes_name: str, n_episodes: int | None
) -> None:
    """Raise ValueError unless exactly one of the two counts is given, and it is at least 1."""
    if (n_steps is None) == (n_episodes is None):
        raise ValueError(
            f"{where}: exactly one of {steps_name} and {episodes_name} must be given, got "
            f"{steps_name}={n_steps!r} and {episodes_name}={n_episodes!r}"
        )
    name, count = (steps_name, n_steps) if n_episodes is None else (episodes_name, n_episodes)
    check_positive(where, name, count)


def check_positive(where: str, name: str, value: int | None) -> None:
    """Raise ValueError unless ``value`` is ``None`` or an integer of at least 1."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive integer or None, got {value!r}")
