"""Links that wrap a whole model, such as :class:`~kusari.links.Classifier`."""

from kusari.links.model.classifier import Classifier

__all__ = ["Classifier"]
