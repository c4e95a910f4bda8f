"""Computer vision for Kusari, after ChainerCV 0.13.

Image and bounding-box utilities on NumPy or CuPy arrays, transforms, datasets read from local
copies, evaluations and their trainer extensions, visualizations (matplotlib, optional), and
the SSD detectors. Images are ``(C, H, W)`` float32 RGB in ``[0, 255]`` and boxes
``(y_min, x_min, y_max, x_max)``, as ``docs/cv-conventions.md`` describes.
"""

from kusari_cv import datasets, evaluations, extensions, links, transforms, utils, visualizations

__version__ = "0.1.0"

__all__ = [
    "datasets",
    "evaluations",
    "extensions",
    "links",
    "transforms",
    "utils",
    "visualizations",
]
