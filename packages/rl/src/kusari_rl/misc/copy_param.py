"""Copying parameters between links: hard copies and Polyak averaging for target networks."""

from __future__ import annotations

from kusari.link import Link


def _persistent_arrays(link: Link) -> dict[str, object]:
    arrays = {}
    for path, sub in link.namedlinks():
        for name in sub._persistent:
            value = getattr(sub, name)
            if hasattr(value, "shape") and hasattr(value, "dtype"):
                arrays[f"{path}/{name}"] = value
    return arrays


def _pairs(target_link: Link, source_link: Link) -> list[tuple[object, object]]:
    target = {name: p.array for name, p in target_link.namedparams()}
    source = {name: p.array for name, p in source_link.namedparams()}
    target.update(_persistent_arrays(target_link))
    source.update(_persistent_arrays(source_link))
    if target.keys() != source.keys():
        missing = sorted(target.keys() ^ source.keys())
        raise ValueError(f"copy_param: the links differ in parameters {missing}")
    pairs = []
    for name, dst in target.items():
        src = source[name]
        if dst is None or src is None:
            raise ValueError(f"copy_param: parameter {name!r} is not initialized in both links")
        if dst.shape != src.shape:
            raise ValueError(
                f"copy_param: {name!r} has shape {dst.shape} in the target and {src.shape} "
                "in the source"
            )
        pairs.append((dst, src))
    return pairs


def copy_param(target_link: Link, source_link: Link) -> None:
    """Copy every parameter and persistent array of ``source_link`` into ``target_link``.

    Raises:
        ValueError: If the two links differ in parameter names or shapes.
    """
    for dst, src in _pairs(target_link, source_link):
        dst[...] = src


def soft_copy_param(target_link: Link, source_link: Link, tau: float) -> None:
    """Move ``target_link`` towards ``source_link``: ``target <- (1 - tau) target + tau source``.

    Polyak averaging of target networks (Lillicrap et al. 2016, DDPG, Algorithm 1).

    Raises:
        ValueError: If ``tau`` is outside ``[0, 1]`` or the links differ.
    """
    if not 0.0 <= tau <= 1.0:
        raise ValueError(f"soft_copy_param: tau must be in [0, 1], got {tau}")
    for dst, src in _pairs(target_link, source_link):
        dst += tau * (src - dst)


def synchronize_parameters(src: Link, dst: Link, method: str, tau: float | None = None) -> None:
    """Update a target network from its source: ``'hard'`` copies, ``'soft'`` averages.

    Args:
        src: The online network.
        dst: The target network (same structure), changed in place.
        method: ``'hard'`` (:func:`copy_param`) or ``'soft'`` (:func:`soft_copy_param`).
        tau: The averaging rate for ``'soft'``.

    Raises:
        ValueError: If ``method`` is unknown or ``'soft'`` comes without ``tau``.
    """
    if method == "hard":
        copy_param(dst, src)
    elif method == "soft":
        if tau is None:
            raise ValueError("synchronize_parameters: method 'soft' needs tau")
        soft_copy_param(dst, src, tau)
    else:
        raise ValueError(f"synchronize_parameters: method must be 'hard' or 'soft', got {method!r}")
