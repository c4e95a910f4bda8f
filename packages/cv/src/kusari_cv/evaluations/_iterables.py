"""Lock-step iteration over several iterables that must have the same length."""

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

_MISSING = object()


def _zip_same_length(
    func_name: str, names: tuple[str, ...], *iterables: Iterable[Any]
) -> Iterator[tuple[Any, ...]]:
    """Yield items of ``iterables`` together, raising when one ends before the others.

    Unlike ``zip``, this works on one-shot iterators (generators) without reading them
    twice, and the error names the caller and the shorter and longer inputs.

    Raises:
        ValueError: If the iterables do not all have the same length.
    """
    for count, items in enumerate(itertools.zip_longest(*iterables, fillvalue=_MISSING)):
        ended = [name for name, item in zip(names, items, strict=True) if item is _MISSING]
        if ended:
            going = [name for name in names if name not in ended]
            raise ValueError(
                f"{func_name}: inputs must have the same length (one entry per image), but "
                f"{', '.join(ended)} ran out after {count} entries while "
                f"{', '.join(going)} had more"
            )
        yield items
