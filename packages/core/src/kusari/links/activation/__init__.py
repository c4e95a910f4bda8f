"""Activation links: activations with learnable parameters."""

from kusari.links.activation.prelu import PReLU

__all__ = ["PReLU"]
