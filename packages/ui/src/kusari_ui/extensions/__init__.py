"""Training-side extensions of kusari-ui: the only part of kusari_ui that imports Kusari.

Example:
    >>> from kusari_ui.extensions import CommandsExtension
    >>> trainer.extend(CommandsExtension())
"""

from kusari_ui.extensions.commands_extension import CommandsExtension

__all__ = ["CommandsExtension"]
