"""Input checks shared by the transforms; private."""

from __future__ import annotations

from typing import Any


def _check_image(name: str, img: Any) -> tuple[int, int, int]:
    """Check that ``img`` is a CHW array and return its shape."""
    shape = getattr(img, "shape", None)
    if shape is None or len(shape) != 3:
        got = f"shape {tuple(shape)}" if shape is not None else type(img).__name__
        raise ValueError(f"{name}: expected img of shape (C, H, W), got {got}")
    return tuple(int(s) for s in shape)


def _check_size(name: str, size: Any, arg: str = "size") -> tuple[int, int]:
    """Check that ``size`` is a pair ``(H, W)`` of non-negative integers."""
    try:
        height, width = size
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected {arg} as (height, width), got {size!r}") from None
    if int(height) != height or int(width) != width or height < 0 or width < 0:
        raise ValueError(
            f"{name}: expected {arg} as non-negative integers (height, width), got {size!r}"
        )
    return int(height), int(width)


def _check_crop(name: str, img: Any, size: Any) -> tuple[int, int, int, int]:
    """Check a crop of ``size`` from the CHW ``img``; return ``(H, W, H_out, W_out)``."""
    _, height, width = _check_image(name, img)
    out_h, out_w = _check_size(name, size)
    if out_h > height or out_w > width:
        raise ValueError(
            f"{name}: size {(out_h, out_w)} is larger than the image {(height, width)}"
        )
    return height, width, out_h, out_w


def _crop(
    img: Any, y_offset: int, x_offset: int, size: tuple[int, int], copy: bool, return_param: bool
) -> Any:
    """Cut ``img[:, y_offset:, x_offset:]`` of ``size``; the tail the crop transforms share."""
    y_slice = slice(y_offset, y_offset + size[0])
    x_slice = slice(x_offset, x_offset + size[1])
    out = img[:, y_slice, x_slice]
    if copy:
        out = out.copy()
    if return_param:
        return out, {"y_slice": y_slice, "x_slice": x_slice}
    return out


def _check_bbox(name: str, bbox: Any) -> None:
    """Check that ``bbox`` is an array of shape ``(R, 4)``."""
    shape = getattr(bbox, "shape", None)
    if shape is None or len(shape) != 2 or shape[1] != 4:
        got = f"shape {tuple(shape)}" if shape is not None else type(bbox).__name__
        raise ValueError(f"{name}: expected bbox of shape (R, 4), got {got}")


def _check_point(name: str, point: Any) -> bool:
    """Check ``point`` (an ``(R, K, 2)`` array or a list of ``(K, 2)`` arrays).

    Returns:
        bool: ``True`` when ``point`` is a single array, ``False`` for a list.
    """
    shape = getattr(point, "shape", None)
    if shape is not None:
        if len(shape) != 3 or shape[2] != 2:
            raise ValueError(f"{name}: expected point of shape (R, K, 2), got shape {shape}")
        return True
    if not isinstance(point, (list, tuple)):
        raise TypeError(
            f"{name}: expected point as an array of shape (R, K, 2) or a list of (K, 2) "
            f"arrays, got {type(point).__name__}"
        )
    for i, pnt in enumerate(point):
        pshape = getattr(pnt, "shape", None)
        if pshape is None or len(pshape) != 2 or pshape[1] != 2:
            raise ValueError(f"{name}: expected point[{i}] of shape (K, 2), got {pshape}")
    return False
