"""Lazy import of matplotlib, an optional dependency of kusari-cv."""

from __future__ import annotations

from typing import Any


def _import_pyplot(func_name: str) -> Any:
    """Return ``matplotlib.pyplot``, or raise an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"{func_name}: matplotlib is required for visualization but is not installed; "
            "install it with `pip install matplotlib` (or `pip install kusari-cv[visualize]`)"
        ) from error
    return plt
