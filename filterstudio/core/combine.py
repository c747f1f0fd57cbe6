"""Derived maps: two feature maps combined into one (gradient magnitude, sum, maximum)."""

from __future__ import annotations

import cv2
import numpy as np

from .sizes import SIZE_ORDER, size_text

#: How two maps can be combined, in the order a menu lists them.
COMBINE_OPS = ("magnitude", "sum", "maximum")


def combine(a: np.ndarray, b: np.ndarray, op: str) -> np.ndarray:
    """Combine two feature maps of the same size cell by cell.

    Parameters
    ----------
    a, b : ndarray
        Maps of equal shape, ``(H, W)`` or ``(H, W, C)``.
    op : {"magnitude", "sum", "maximum"}
        ``magnitude`` is ``sqrt(a**2 + b**2)`` (the edge strength of a Sobel x/y pair),
        ``sum`` is ``a + b``, ``maximum`` the larger of the two.

    Returns
    -------
    ndarray
        A new float32 map of the same shape.

    Raises
    ------
    ValueError
        When the shapes differ or ``op`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> combine(np.array([[3.0]]), np.array([[4.0]]), "magnitude")
    array([[5.]], dtype=float32)
    """
    if op not in COMBINE_OPS:
        raise ValueError(f"Unknown way to combine maps {op!r}; choose {', '.join(COMBINE_OPS)}.")
    x = np.ascontiguousarray(a, dtype=np.float32)
    y = np.ascontiguousarray(b, dtype=np.float32)
    if x.shape != y.shape:
        raise ValueError(
            f"The two maps have different sizes ({_size(x)} and {_size(y)}, {SIZE_ORDER}) and "
            "cannot be combined."
        )
    if op == "sum":
        return x + y
    if op == "maximum":
        return np.maximum(x, y)
    if x.size == 0:
        return np.zeros(x.shape, np.float32)
    # cv2.magnitude wants 2-D single-channel planes; a flat view covers any shape in one pass.
    mag = cv2.magnitude(x.reshape(-1, 1), y.reshape(-1, 1))
    return mag.reshape(x.shape)


def _size(arr: np.ndarray) -> str:
    if arr.ndim >= 2:
        text = size_text(arr.shape[0], arr.shape[1])
        if arr.ndim == 3:
            text += f" × {arr.shape[2]} channels"
        return text
    return "x".join(str(n) for n in arr.shape) or "a single value"
