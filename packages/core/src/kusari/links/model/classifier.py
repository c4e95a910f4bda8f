"""A predictor with a loss and an accuracy, the usual training target (``L.Classifier``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kusari import reporter
from kusari.functions.evaluation.accuracy import accuracy
from kusari.functions.loss.softmax_cross_entropy import softmax_cross_entropy
from kusari.link import Chain, Link
from kusari.variable import Variable

__all__ = ["Classifier"]


class Classifier(Chain):
    """Wraps a predictor: calling it returns the loss, and reports the loss and the accuracy.

    ``classifier(*args, t)`` computes ``y = predictor(*args)``, ``loss = lossfun(y, t)`` and,
    when :attr:`compute_accuracy` is ``True``, ``accuracy = accfun(y, t)``, and reports them
    with :func:`kusari.reporter.report` as ``'loss'`` and ``'accuracy'`` under this link's
    observer name (``'main/loss'`` in a standard Trainer).

    Args:
        predictor: The model: a link mapping the inputs to predictions (logits).
        lossfun: ``lossfun(y, t)`` returning the loss Variable.
        accfun: ``accfun(y, t)`` returning the accuracy Variable.
        label_key: Where the label is among the arguments of a call: a position (an int,
            ``-1`` for the last positional argument) or a keyword (a str).

    Attributes:
        predictor (~kusari.Link): The predictor (a child link).
        lossfun (callable): The loss function.
        accfun (callable): The accuracy function.
        compute_accuracy (bool): Whether to compute and report the accuracy.
        y (~kusari.Variable or None): The prediction of the last call.
        loss (~kusari.Variable or None): The loss of the last call.
        accuracy (~kusari.Variable or None): The accuracy of the last call.
        label_key (int or str): Where the label is among the arguments.

    Raises:
        TypeError: ``label_key`` is neither an int nor a str.

    Example:
        >>> model = L.Classifier(L.Linear(4, 3))
        >>> x = numpy.random.randn(5, 4).astype(numpy.float32)
        >>> t = numpy.array([0, 1, 2, 1, 0], numpy.int32)
        >>> loss = model(x, t)
        >>> float(model.accuracy.array) <= 1.0
        True
    """

    compute_accuracy = True

    def __init__(
        self,
        predictor: Link,
        lossfun: Callable[..., Variable] = softmax_cross_entropy,
        accfun: Callable[..., Variable] = accuracy,
        label_key: int | str = -1,
    ) -> None:
        if isinstance(label_key, bool) or not isinstance(label_key, (int, str)):
            raise TypeError(
                f"Classifier: label_key must be an int or a str, got {type(label_key).__name__}"
            )
        super().__init__()
        self.lossfun = lossfun
        self.accfun = accfun
        self.y = None
        self.loss = None
        self.accuracy = None
        self.label_key = label_key
        with self.init_scope():
            self.predictor = predictor

    def forward(self, *args: Any, **kwargs: Any) -> Variable:
        """Compute the loss (and the accuracy) of the predictor on a labelled batch.

        Args:
            args: The inputs of the predictor, with the label ``t (B,)`` at position
                ``label_key`` when that is an int.
            kwargs: Keyword inputs of the predictor, with the label under ``label_key`` when
                that is a str.

        Returns:
            The loss Variable ``()``.

        Raises:
            ValueError: The label is not found where ``label_key`` says.
        """
        label_key = self.label_key
        if isinstance(label_key, int):
            if not -len(args) <= label_key < len(args):
                raise ValueError(
                    f"Classifier: label_key {label_key} is out of range for {len(args)} "
                    "positional arguments"
                )
            t = args[label_key]
            index = label_key % len(args)
            args = args[:index] + args[index + 1 :]
        else:
            if label_key not in kwargs:
                raise ValueError(
                    f"Classifier: label_key {label_key!r} is not among the keyword arguments "
                    f"{sorted(kwargs)}"
                )
            kwargs = dict(kwargs)
            t = kwargs.pop(label_key)
        self.y = None
        self.loss = None
        self.accuracy = None
        self.y = self.predictor(*args, **kwargs)
        self.loss = self.lossfun(self.y, t)
        reporter.report({"loss": self.loss}, self)
        if self.compute_accuracy:
            self.accuracy = self.accfun(self.y, t)
            reporter.report({"accuracy": self.accuracy}, self)
        return self.loss
