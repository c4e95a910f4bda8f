"""AlexNet-style PCA colour augmentation."""

from __future__ import annotations

from typing import Any

import numpy as np

from kusari import backend
from kusari_cv.transforms._check import _check_image

# Eigen values and vectors (one per column) of the RGB covariance of ImageNet, as published
# with fb.resnet.torch and used by ChainerCV.
_IMAGENET_EIGEN_VALUE = np.array((0.2175, 0.0188, 0.0045))
_IMAGENET_EIGEN_VECTOR = np.array(
    (
        (-0.5675, -0.5808, -0.5836),
        (0.7192, -0.0045, -0.6948),
        (0.4009, -0.8140, 0.4203),
    )
)


def pca_lighting(img: Any, sigma: float, eigen_value: Any = None, eigen_vector: Any = None) -> Any:
    """Add a random colour shift along the principal components of the dataset.

    Draws ``alpha ~ N(0, sigma^2)`` (three values, from NumPy's global RNG) and adds
    ``eigen_vector @ (eigen_value * alpha)`` to every pixel. Source: A. Krizhevsky,
    I. Sutskever, G. E. Hinton, "ImageNet Classification with Deep Convolutional Neural
    Networks", NIPS 2012, Sec. 4.1.

    Args:
        img (numpy.ndarray or cupy.ndarray): RGB image of shape ``(3, H, W)``.
        sigma (float): Standard deviation of ``alpha``; the paper uses 10% of the intensity
            range (25.5 for ``[0, 255]``). ``sigma <= 0`` returns ``img`` unchanged.
        eigen_value (array-like, optional): Eigen values of shape ``(3,)``; ImageNet's by default.
        eigen_vector (array-like, optional): Matrix of shape ``(3, 3)`` whose columns are the
            eigen vectors; ImageNet's by default.

    Returns:
        numpy.ndarray or cupy.ndarray: The shifted image, a new array of shape ``(3, H, W)``.

    Raises:
        ValueError: If ``img`` is not CHW or the eigen shapes do not match.
    """
    _check_image("pca_lighting", img)
    if sigma <= 0:
        return img
    eigen_value = _IMAGENET_EIGEN_VALUE if eigen_value is None else np.asarray(eigen_value)
    eigen_vector = _IMAGENET_EIGEN_VECTOR if eigen_vector is None else np.asarray(eigen_vector)
    n_channel = img.shape[0]
    if eigen_value.shape != (n_channel,) or eigen_vector.shape != (n_channel, n_channel):
        raise ValueError(
            f"pca_lighting: expected eigen_value of shape ({n_channel},) and eigen_vector of "
            f"shape ({n_channel}, {n_channel}), got {eigen_value.shape} and {eigen_vector.shape}"
        )
    alpha = np.random.normal(0, sigma, size=n_channel)
    shift = eigen_vector.dot(eigen_value * alpha).reshape(-1, 1, 1)
    xp = backend.get_array_module(img)
    return img + xp.asarray(shift, dtype=img.dtype)
