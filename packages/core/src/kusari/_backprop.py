"""The backprop loop shared by ``Variable.backward`` and ``kusari.grad``.

Function nodes are visited in decreasing ``rank`` (a node's rank is the largest rank of its inputs,
a variable's rank is its creator's plus one), so every node runs once, after all the nodes that
consume its outputs have delivered their gradients.
"""

from __future__ import annotations

import heapq
from typing import Any

from kusari.configuration import config, using_config
from kusari.variable import Variable, _make_variable


def backprop(
    outputs: tuple[Variable, ...],
    grad_outputs: tuple[Variable, ...],
    *,
    retain_grad: bool,
    enable_double_backprop: bool,
    loss_scale: float | None,
    targets: tuple[Variable, ...] | None = None,
) -> list[Variable | None]:
    """Propagate ``grad_outputs`` from ``outputs`` back through the graph.

    Without ``targets`` the gradients accumulate into ``grad_var`` of the leaves that require
    them; with ``targets`` nothing is stored (unless ``retain_grad``) and the gradients of the
    targets are returned in their order.
    """
    with using_config("enable_backprop", enable_double_backprop):
        if loss_scale is not None:
            grad_outputs = tuple(g * loss_scale for g in grad_outputs)
        return _run(outputs, grad_outputs, retain_grad, enable_double_backprop, loss_scale, targets)


def _add(a: Variable | None, b: Variable, double: bool) -> Variable:
    if a is None:
        return b
    if double:
        return a + b
    # speed: without double backprop the sum needs no graph, so add the arrays directly
    return _make_variable(a._data + b._data, False)


def _run(
    outputs: tuple[Variable, ...],
    grad_outputs: tuple[Variable, ...],
    retain_grad: bool,
    double: bool,
    loss_scale: float | None,
    targets: tuple[Variable, ...] | None,
) -> list[Variable | None]:
    target_pos = {id(t): i for i, t in enumerate(targets)} if targets is not None else None
    # speed: with targets, only nodes with a target upstream need backward (e.g. no weight
    # gradients for a critic when differentiating an actor loss by the actor's parameters)
    leads = _nodes_leading_to(outputs, target_pos) if target_pos is not None else None
    results: list[Variable | None] = [None] * len(targets) if targets is not None else []
    root_ids = {id(y) for y in outputs}
    handed_out = {id(g._data) for g in grad_outputs}
    debug = config.debug
    pending: dict[Any, list] = {}
    heap: list = []
    count = 0

    for y, gy in zip(outputs, grad_outputs, strict=True):
        if target_pos is not None and id(y) in target_pos:
            k = target_pos[id(y)]
            results[k] = _add(results[k], gy, double)
        node = y.creator_node
        if node is None:
            continue
        slots = pending.get(node)
        if slots is None:
            slots = pending[node] = [None] * len(node.outputs)
            heapq.heappush(heap, (-node.rank, count, node))
            count += 1
        slots[y._output_index] = _add(slots[y._output_index], gy, double)

    while heap:
        node = heapq.heappop(heap)[2]
        gys = pending.pop(node)
        if retain_grad or target_pos:
            _record_output_grads(node, gys, retain_grad, root_ids, target_pos, results)
        inputs = node.inputs
        if inputs is None:
            continue
        if leads is None:
            indexes = tuple([i for i, x in enumerate(inputs) if x._requires_grad])
        else:
            indexes = tuple(
                [
                    i
                    for i, x in enumerate(inputs)
                    if x._requires_grad and (id(x) in target_pos or x.creator_node in leads)
                ]
            )
        if not indexes:
            continue
        gxs = node.backward(indexes, tuple(gys))
        if len(gxs) != len(indexes):
            if len(gxs) != len(inputs):
                raise ValueError(
                    f"{node.label}.backward returned {len(gxs)} gradients; expected "
                    f"{len(indexes)} (one per target index) or {len(inputs)} (one per input)"
                )
            gxs = [gxs[i] for i in indexes]
        for i, gx in zip(indexes, gxs, strict=True):
            if gx is None:
                continue
            if not isinstance(gx, Variable):
                gx = _make_variable(gx, False)
            x = inputs[i]
            if debug:
                _check_grad(node, x, gx)
            creator = x.creator_node
            if creator is not None:
                slots = pending.get(creator)
                if slots is None:
                    slots = pending[creator] = [None] * len(creator.outputs)
                    heapq.heappush(heap, (-creator.rank, count, creator))
                    count += 1
                slots[x._output_index] = _add(slots[x._output_index], gx, double)
            elif target_pos is not None:
                k = target_pos.get(id(x))
                if k is not None:
                    results[k] = _add(results[k], gx, double)
            else:
                _accumulate_leaf(x, gx, handed_out, double, loss_scale)
    return results


def _nodes_leading_to(outputs: tuple[Variable, ...], target_pos: dict[int, int]) -> set:
    """Return the nodes above ``outputs`` that have one of the targets among their inputs' past."""
    leads: set = set()
    seen: set = set()
    stack = [(y.creator_node, False) for y in outputs if y.creator_node is not None]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            for x in node.inputs or ():
                if id(x) in target_pos or x.creator_node in leads:
                    leads.add(node)
                    break
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for x in node.inputs or ():
            creator = x.creator_node
            if creator is not None and creator not in seen:
                stack.append((creator, False))
    return leads


def _accumulate_leaf(
    x: Variable, gx: Variable, handed_out: set, double: bool, loss_scale: float | None
) -> None:
    old = x._grad_var
    if old is None:
        # one gradient array may reach several leaves (e.g. both inputs of an add), and it may
        # be a read-only broadcast view; each leaf gets an array of its own so that in-place
        # optimizer hooks on one change nothing else
        data = gx._data
        if id(data) in handed_out or not _is_own_writable(data):
            gx = _make_variable(data.copy(), False) if not double else gx * 1
        handed_out.add(id(gx._data))
        x._grad_var = gx
    else:
        x._grad_var = _add(old, gx, double)
    if loss_scale is not None and hasattr(x, "_loss_scale"):
        x._loss_scale = loss_scale


def _is_own_writable(a: Any) -> bool:
    return getattr(a.flags, "writeable", True) and (a.size <= 1 or 0 not in a.strides)


def _record_output_grads(
    node: Any,
    gys: list,
    retain_grad: bool,
    root_ids: set,
    target_pos: dict | None,
    results: list,
) -> None:
    for ref, g in zip(node.outputs, gys, strict=True):
        if g is None:
            continue
        y = ref()
        if y is None:
            continue
        if retain_grad and id(y) not in root_ids:
            y._grad_var = g
        if target_pos and id(y) in target_pos:
            results[target_pos[id(y)]] = g


def _check_grad(node: Any, x: Variable, gx: Variable) -> None:
    data, g = x._data, gx._data
    if data is None:
        return
    if g.shape != data.shape or g.dtype != data.dtype:
        raise ValueError(
            f"{node.label}.backward: gradient of shape {g.shape} and dtype {g.dtype} for an "
            f"input of shape {data.shape} and dtype {data.dtype}"
        )


def backward(
    outputs: tuple[Variable, ...] | list[Variable],
    grad_outputs: tuple[Variable | None, ...] | list[Variable | None] | None = None,
    *,
    enable_double_backprop: bool = False,
) -> None:
    """Run backprop from several outputs at once (Chainer's ``chainer.backward``).

    Args:
        outputs: Variables to start from.
        grad_outputs: Their initial gradients; ``None`` uses each output's ``grad_var``.
        enable_double_backprop: Record the backward pass for further differentiation.

    Raises:
        ValueError: Lengths differ, or an output has no gradient to start from.
    """
    outputs = tuple(outputs)
    if grad_outputs is None:
        grad_outputs = tuple(y.grad_var for y in outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"backward: len(grad_outputs) ({len(grad_outputs)}) != len(outputs) ({len(outputs)})"
        )
    pairs = [(y, g) for y, g in zip(outputs, grad_outputs, strict=True) if g is not None]
    if not pairs:
        raise ValueError("backward: no output has a gradient to start from; set grad first")
    backprop(
        tuple(y for y, _ in pairs),
        tuple(g if isinstance(g, Variable) else _make_variable(g, False) for _, g in pairs),
        retain_grad=False,
        enable_double_backprop=enable_double_backprop,
        loss_scale=None,
    )
