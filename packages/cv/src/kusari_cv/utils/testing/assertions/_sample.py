from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy


def _sample_examples(dataset: Any, n_example: int | None) -> Iterator[Any]:
    # All examples, or ``n_example`` drawn at random without replacement.
    if n_example is None:
        indices = range(len(dataset))
    else:
        indices = numpy.random.choice(len(dataset), min(n_example, len(dataset)), replace=False)
    for i in indices:
        yield dataset[int(i)]
