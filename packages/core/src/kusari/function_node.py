"""FunctionNode: one differentiable operation recorded in the graph, and :func:`grad`."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from kusari.configuration import config
from kusari.utils import type_check
from kusari.variable import Variable, _make_output, _make_variable

_OVERRIDES_TYPE_CHECK: dict[type, bool] = {}


class FunctionNode:
    """A differentiable operation: subclass it and implement ``forward`` and ``backward``.

    ``forward(inputs)`` receives a tuple of arrays and returns a tuple of arrays.
    ``backward(target_input_indexes, grad_outputs)`` receives the gradients of the outputs as
    Variables (``None`` for an output that got no gradient) and returns the gradients of the
    inputs listed in ``target_input_indexes`` (or of all inputs) as Variables, computed with
    other FunctionNodes so that the backward pass can itself be differentiated.

    Call :meth:`apply` (not ``forward``) to run the node and record it in the graph.

    Example:
        >>> class Square(FunctionNode):
        ...     def forward(self, inputs):
        ...         self.retain_inputs((0,))
        ...         x, = inputs
        ...         return x * x,
        ...     def backward(self, indexes, grad_outputs):
        ...         x, = self.get_retained_inputs()
        ...         return 2 * x * grad_outputs[0],
        >>> y, = Square().apply((x,))
    """

    inputs: tuple[Variable, ...] | None = None
    outputs: tuple[weakref.ref, ...] | None = None
    rank = 0
    _input_indexes_to_retain: tuple[int, ...] | None = None
    _output_indexes_to_retain: tuple[int, ...] | None = None
    _retained_output_data: tuple[Any, ...] | None = None

    @property
    def label(self) -> str:
        """Short name of the operation (the class name by default)."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.label}>"

    # -- to override ----------------------------------------------------------------------------
    def check_type_forward(self, in_types: type_check.TypeInfoTuple) -> None:
        """Check the inputs' shapes and dtypes; raise :class:`~kusari.utils.type_check.InvalidType`.

        Args:
            in_types: The input arrays, read through ``shape``, ``dtype``, ``ndim``, ``size``.
        """

    def forward(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Compute the outputs from the input arrays.

        The default calls ``forward_cpu`` or ``forward_gpu`` (for code written for Chainer);
        Kusari's own functions override ``forward`` with one ``xp`` body.
        """
        if any(type(x).__module__.startswith("cupy") for x in inputs):
            return self.forward_gpu(inputs)
        return self.forward_cpu(inputs)

    def forward_cpu(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Forward on NumPy arrays (used by the default :meth:`forward`)."""
        raise NotImplementedError(f"{self.label}: forward is not implemented")

    def forward_gpu(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Forward on CuPy arrays (used by the default :meth:`forward`)."""
        raise NotImplementedError(f"{self.label}: forward_gpu is not implemented")

    def backward(
        self, target_input_indexes: tuple[int, ...], grad_outputs: tuple[Variable | None, ...]
    ) -> tuple[Variable | None, ...]:
        """Return the gradients of the inputs as Variables (``None`` where there is none)."""
        raise NotImplementedError(f"{self.label}: backward is not implemented")

    # -- retention ------------------------------------------------------------------------------
    def retain_inputs(self, indexes: Sequence[int]) -> None:
        """Keep the inputs at ``indexes`` for :meth:`get_retained_inputs` (call in ``forward``)."""
        self._input_indexes_to_retain = tuple(indexes)

    def retain_outputs(self, indexes: Sequence[int]) -> None:
        """Keep the outputs at ``indexes`` for :meth:`get_retained_outputs` (call in forward)."""
        self._output_indexes_to_retain = tuple(indexes)

    def get_retained_inputs(self) -> tuple[Variable, ...]:
        """The inputs kept by :meth:`retain_inputs`, as Variables connected to the graph."""
        indexes = self._input_indexes_to_retain
        if indexes is None or self.inputs is None:
            return ()
        inputs = self.inputs
        return tuple(inputs[i] for i in indexes)

    def get_retained_outputs(self) -> tuple[Variable, ...]:
        """The outputs kept by :meth:`retain_outputs`, as Variables whose creator is this node.

        An output the caller no longer holds is re-created from the kept array, still connected
        to this node, so double backprop works through it.
        """
        indexes = self._output_indexes_to_retain
        if indexes is None or self._retained_output_data is None:
            return ()
        outputs = list(self.outputs)
        ret = []
        for i, data in zip(indexes, self._retained_output_data, strict=True):
            y = outputs[i]()
            if y is None:
                y = _make_output(data, self, i)
                outputs[i] = weakref.ref(y)
            ret.append(y)
        self.outputs = tuple(outputs)
        return tuple(ret)

    # -- running --------------------------------------------------------------------------------
    def apply(self, inputs: Sequence[Any]) -> tuple[Variable, ...]:
        """Run ``forward`` on ``inputs`` (Variables or arrays) and record this node in the graph.

        Args:
            inputs: Variables or arrays; arrays are treated as constants.

        Returns:
            A tuple of output Variables.

        Raises:
            InvalidType: ``check_type_forward`` rejected the inputs (a TypeError/ValueError).
        """
        input_vars = [x if isinstance(x, Variable) else Variable(x, requires_grad=False)
                      for x in inputs]
        in_data = tuple([x._data for x in input_vars])
        if config.type_check:
            self._check_data_type_forward(in_data)
        requires_grad = False
        for x in input_vars:
            if x._requires_grad:
                requires_grad = True
                break
        outputs = self.forward(in_data)
        if type(outputs) is not tuple:
            raise TypeError(
                f"{self.label}.forward must return a tuple of arrays, got {type(outputs).__name__}"
            )
        if not (requires_grad and config.enable_backprop):
            return tuple([_make_variable(y, requires_grad) for y in outputs])
        rank = 0
        for x in input_vars:
            if x.rank > rank:
                rank = x.rank
        self.rank = rank
        self.inputs = tuple(input_vars)
        ret = tuple([_make_output(y, self, i) for i, y in enumerate(outputs)])
        self.outputs = tuple([weakref.ref(y) for y in ret])
        indexes = self._output_indexes_to_retain
        if indexes is not None:
            self._retained_output_data = tuple([outputs[i] for i in indexes])
        return ret

    def _check_data_type_forward(self, in_data: tuple[Any, ...]) -> None:
        cls = type(self)
        overrides = _OVERRIDES_TYPE_CHECK.get(cls)
        if overrides is None:
            overrides = cls.check_type_forward is not FunctionNode.check_type_forward
            _OVERRIDES_TYPE_CHECK[cls] = overrides
        if not overrides:
            return
        try:
            self.check_type_forward(type_check.TypeInfoTuple(in_data))
        except type_check.InvalidType as e:
            msg = str(e)
            if msg.startswith("Expect:"):
                raise type_check.InvalidType(
                    e.expect, e.actual, f"{self.label} (forward): {msg}"
                ) from None
            raise

    def unchain(self) -> None:
        """Drop the references to the inputs and the kept arrays (frees the graph behind)."""
        for y in self.outputs or ():
            var = y()
            if var is not None:
                var.creator_node = None
        self.inputs = None
        self._retained_output_data = None


def grad(
    outputs: Sequence[Variable],
    inputs: Sequence[Variable],
    grad_outputs: Sequence[Variable | None] | None = None,
    grad_inputs: Sequence[Variable | None] | None = None,
    set_grad: bool = False,
    retain_grad: bool = False,
    enable_double_backprop: bool = False,
    loss_scale: float | None = None,
) -> list[Variable | None]:
    """Return the gradients of ``outputs`` with respect to ``inputs``, leaving ``.grad`` alone.

    Args:
        outputs: Variables to differentiate.
        inputs: Variables to differentiate with respect to (leaves or intermediate ones).
        grad_outputs: Initial gradients of ``outputs``; ``None`` means ones for single-element
            outputs.
        grad_inputs: Gradients added to the results for each input (``None`` entries skipped).
        set_grad: Also store each result in the input's ``grad_var``.
        retain_grad: Keep gradients of intermediate variables in their ``grad_var``.
        enable_double_backprop: Record the backward pass so the results can be differentiated.
        loss_scale: Scale the initial gradients by this factor.

    Returns:
        One gradient Variable (or ``None`` when unreachable) per input.

    Raises:
        TypeError: ``outputs`` or ``inputs`` hold something other than Variables.
        ValueError: Lengths differ, or a multi-element output has no initial gradient.
    """
    from kusari._backprop import backprop

    for name, seq in (("outputs", outputs), ("inputs", inputs)):
        for v in seq:
            if not isinstance(v, Variable):
                raise TypeError(f"grad: {name} must be Variables, got {type(v).__name__}")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad: len(grad_outputs) ({len(grad_outputs)}) != len(outputs) ({len(outputs)})"
        )
    gys = []
    for y, gy in zip(outputs, grad_outputs, strict=True):
        if gy is None:
            if y._data.size != 1:
                raise ValueError(
                    f"grad: output of shape {y._data.shape} needs a grad_outputs entry"
                )
            gy = Variable(y.xp.ones_like(y._data), requires_grad=False)
        elif not isinstance(gy, Variable):
            gy = Variable(gy, requires_grad=False)
        gys.append(gy)
    result = backprop(
        tuple(outputs),
        tuple(gys),
        retain_grad=retain_grad,
        enable_double_backprop=enable_double_backprop,
        loss_scale=loss_scale,
        targets=tuple(inputs),
    )
    if grad_inputs is not None:
        if len(grad_inputs) != len(inputs):
            raise ValueError(
                f"grad: len(grad_inputs) ({len(grad_inputs)}) != len(inputs) ({len(inputs)})"
            )
        result = [
            g if gi is None else (gi if g is None else g + gi)
            for g, gi in zip(result, grad_inputs, strict=True)
        ]
    if set_grad:
        for x, g in zip(inputs, result, strict=True):
            x.grad_var = g
    return result
