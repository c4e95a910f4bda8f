"""Computer vision for Kusari, after ChainerCV.

Meant for image and bounding-box utilities on NumPy or CuPy arrays, datasets, transforms and
detection models. Shapes and the box layout ``(y_min, x_min, y_max, x_max)`` follow
``docs/conventions.md``.
"""

__version__ = "0.1.0"

__all__: list[str] = []
