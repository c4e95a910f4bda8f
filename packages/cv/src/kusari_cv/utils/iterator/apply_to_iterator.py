"""Apply a batch function to the examples of an iterator."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kusari_cv.utils.iterator.unzip import unzip


def _apply(
    func: Callable[..., Any], iterator: Iterable[Any], n_input: int, hook: Callable | None
) -> Iterator[tuple[tuple[list, ...], tuple[list, ...], tuple[list, ...]]]:
    for batch in iterator:
        examples = [e if isinstance(e, tuple) else (e,) for e in batch]
        fields = tuple(list(field) for field in zip(*examples, strict=True))
        if len(fields) < n_input:
            raise ValueError(
                f"apply_to_iterator: expected examples with at least n_input ({n_input}) "
                f"values, got {len(fields)}"
            )
        in_values, rest_values = fields[:n_input], fields[n_input:]
        out_values = func(*in_values)
        if not isinstance(out_values, tuple):
            out_values = (out_values,)
        out_values = tuple(list(v) for v in out_values)
        if hook is not None:
            hook(in_values, out_values, rest_values)
        yield in_values, out_values, rest_values


def _flatten(batches: Iterable[list]) -> Iterator[Any]:
    return (value for batch in batches for value in batch)


def _unzip_fields(batches: Iterable[tuple[list, ...]]) -> tuple[Iterator[Any], ...]:
    return tuple(_flatten(field) for field in unzip(batches))


def apply_to_iterator(
    func: Callable[..., Any],
    iterator: Iterable[Any],
    n_input: int = 1,
    hook: Callable[[tuple, tuple, tuple], None] | None = None,
    comm: Any = None,
) -> tuple[tuple[Iterator[Any], ...], tuple[Iterator[Any], ...], tuple[Iterator[Any], ...]]:
    """Run ``func`` on every batch of an iterator and stream inputs, outputs and the rest.

    Each batch is a list of examples, each a tuple (or a single value, read as a 1-tuple). The
    first ``n_input`` values of the examples are passed to ``func`` as lists, e.g.
    ``func(imgs)``, which returns one list of outputs or a tuple of them, e.g.
    ``(bboxes, labels, scores)``. The remaining values (typically ground truth) are passed
    through. Typical use is evaluation: ``func`` is a model's ``predict``.

    Args:
        func (callable): Takes ``n_input`` lists and returns a list or a tuple of lists, each
            as long as the batch.
        iterator (iterable): Yields batches, e.g. a :class:`kusari.iterators.SerialIterator`
            with ``repeat=False``.
        n_input (int): How many leading values of each example are inputs of ``func``.
        hook (callable, optional): Called after each batch as
            ``hook(in_values, out_values, rest_values)``, each a tuple of lists for that batch
            (e.g. :class:`~kusari_cv.utils.ProgressHook`).
        comm (optional): A ChainerMN-style communicator; only a single-process one
            (``comm.size == 1``) is supported.

    Returns:
        tuple: ``(in_values, out_values, rest_values)``, each a tuple of iterators over
        individual examples (one iterator per field). They are lazy: ``func`` runs as they are
        read. Delete an iterator you do not need (e.g. the images) so its values are not kept.

    Raises:
        ValueError: An example has fewer than ``n_input`` values.
        NotImplementedError: ``comm`` spans more than one process.
    """
    if comm is not None and comm.size != 1:
        raise NotImplementedError(
            f"apply_to_iterator: only single-process communicators are supported, got "
            f"comm.size={comm.size}"
        )
    in_values, out_values, rest_values = unzip(_apply(func, iterator, n_input, hook)) or (
        iter(()),
        iter(()),
        iter(()),
    )
    return _unzip_fields(in_values), _unzip_fields(out_values), _unzip_fields(rest_values)
