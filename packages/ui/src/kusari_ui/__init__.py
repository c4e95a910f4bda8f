"""Training dashboard for Kusari, after ChainerUI.

Meant for a Flask server that shows training runs from their result folders, and the trainer
extension that writes them.
"""

__version__ = "0.1.0"

__all__: list[str] = []
