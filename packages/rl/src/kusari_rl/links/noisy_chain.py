"""Turning a model's linear layers into noisy ones (``chainerrl.links.to_factorized_noisy``)."""

from __future__ import annotations

from typing import Any

import kusari
import kusari.links as L
from kusari.link import Link
from kusari_rl.links.noisy_linear import FactorizedNoisyLinear
from kusari_rl.links.sequence import Sequence

__all__ = ["to_factorized_noisy"]


def to_factorized_noisy(link: Link, *args: Any, **kwargs: Any) -> None:
    """Replace every :class:`~kusari.links.Linear` under ``link`` by a FactorizedNoisyLinear.

    The replacement is in place, at any depth of Chains, ChainLists, :class:`Sequence` and
    :class:`~kusari.Sequential`. Source: Fortunato et al. 2018, "Noisy Networks for
    Exploration" (NoisyNet-DQN replaces the fully connected layers).

    Args:
        link: The model to change.
        args: Passed to :class:`FactorizedNoisyLinear` after the replaced layer
            (``sigma_scale``).
        kwargs: Passed to :class:`FactorizedNoisyLinear`.

    Raises:
        TypeError: ``link`` is not a Link.
        ValueError: ``link`` is itself a Linear (it cannot be replaced in place; wrap it with
            ``FactorizedNoisyLinear(link)`` instead).

    Example:
        >>> model = kusari.Sequential(L.Linear(4, 8), F.relu, L.Linear(8, 2))
        >>> to_factorized_noisy(model, sigma_scale=0.5)
        >>> type(model[0]).__name__
        'FactorizedNoisyLinear'
    """
    if not isinstance(link, Link):
        raise TypeError(f"to_factorized_noisy: expected a Link, got {type(link).__name__}")
    if isinstance(link, L.Linear):
        raise ValueError(
            "to_factorized_noisy: cannot replace the given Linear itself in place; use "
            "FactorizedNoisyLinear(link) instead"
        )
    _replace_linears(link, args, kwargs)


def _noisy(child: Link, args: tuple, kwargs: dict) -> Link | None:
    """The noisy replacement of ``child``, or ``None`` if it is not a Linear."""
    if isinstance(child, L.Linear):
        return FactorizedNoisyLinear(child, *args, **kwargs)
    return None


def _replace_linears(link: Link, args: tuple, kwargs: dict) -> None:
    if isinstance(link, kusari.ChainList):
        for i, child in enumerate(list(link.children())):
            new = _noisy(child, args, kwargs)
            if new is None:
                _replace_linears(child, args, kwargs)
            elif isinstance(link, Sequence):
                link._replace_layer(child, new)
            elif isinstance(link, kusari.Sequential):
                link[next(j for j, layer in enumerate(link) if layer is child)] = new
            else:
                link[i] = new
    elif isinstance(link, kusari.Chain):
        for name in list(link._children):
            child = getattr(link, name)
            new = _noisy(child, args, kwargs)
            if new is None:
                _replace_linears(child, args, kwargs)
            else:
                delattr(link, name)
                with link.init_scope():
                    setattr(link, name, new)
