"""The yardstick: SPEC.md's convolution written plainly in float64 numpy, no OpenCV."""

from __future__ import annotations

import math

import numpy as np

from .sizes import kernel_too_large
from .vocabulary import BORDERS


def _pair(value, what: str, minimum: int) -> tuple[int, int]:
    if isinstance(value, (tuple, list, np.ndarray)) and np.ndim(value) == 1:
        if len(value) != 2:
            raise ValueError(f"The {what} takes one whole number or a pair (rows, columns).")
        values = list(value)
    else:
        values = [value, value]
    out = []
    for v in values:
        if isinstance(v, np.ndarray) and v.ndim == 0:
            v = v.item()
        if (
            isinstance(v, (bool, np.bool_))
            or not isinstance(v, (int, np.integer, float, np.floating))
            or not math.isfinite(v)
            or v != int(v)
        ):
            raise ValueError(f"The {what} must be a whole number, not {v!r}.")
        if v < minimum:
            raise ValueError(f"The {what} must be at least {minimum}.")
        out.append(int(v))
    return out[0], out[1]


def _pads(n: int, s: int, ke: int, padding) -> tuple[int, int]:
    """Padding ``(before, after)`` along one axis of length ``n``, as SPEC.md defines it."""
    if padding == "valid":
        return 0, 0
    if padding == "full":
        return ke - 1, ke - 1
    if padding == "same":
        out = -(-n // s)
        total = max((out - 1) * s + ke - n, 0)
        return total // 2, total - total // 2
    return padding, padding


def convolve_reference(
    image,
    kernel,
    *,
    stride=1,
    padding="valid",
    border: str = "constant",
    cval: float = 0.0,
    dilation=1,
    flip: bool = False,
) -> np.ndarray:
    """The same map as :func:`filterstudio.core.convolution.convolve`, in float64.

    ``out[i, j] = sum_a sum_b K[a, b] * P[i*sy + a*dy, j*sx + b*dx]`` with ``P = numpy.pad(image)``,
    computed as one strided slice of ``P`` per kernel tap. Slow and obviously right.
    """
    x = np.asarray(image)
    k = np.asarray(kernel)
    for arr, what in ((x, "image"), (k, "kernel")):
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"The {what} must hold real numbers, not values of type {arr.dtype}.")
        if arr.ndim not in (2, 3):
            raise ValueError(f"The {what} must be 2-D or 3-D, not {arr.ndim}-D.")
        if arr.size == 0:
            raise ValueError(f"The {what} is empty (shape {arr.shape}).")
    x = x.astype(np.float64)
    k = k.astype(np.float64)
    if not np.isfinite(k).all():
        raise ValueError("The kernel contains a value that is not a finite number.")
    if border not in BORDERS:
        raise ValueError(
            f"Unknown border {border!r}: use 'constant', 'edge', 'reflect', 'symmetric' or 'wrap'."
        )
    if not isinstance(flip, (bool, np.bool_)):
        raise ValueError(f"The flip option must be True or False, not {flip!r}.")
    sy, sx = _pair(stride, "stride", 1)
    dy, dx = _pair(dilation, "dilation", 1)
    if not isinstance(padding, str):
        padding = _pair(padding, "padding", 0)
    elif padding not in ("valid", "same", "full"):
        raise ValueError(
            f"Unknown padding {padding!r}: use 'valid', 'same', 'full', "
            "a number or a pair of numbers."
        )

    squeeze = x.ndim == 2
    if squeeze:
        x = x[:, :, None]
    depth = k.ndim == 3
    if depth and k.shape[2] != x.shape[2]:
        raise ValueError(
            f"This depth kernel has {k.shape[2]} channels but the image has {x.shape[2]}."
        )
    if flip:
        k = k[::-1, ::-1]
    kh, kw = k.shape[:2]
    keh, kew = dy * (kh - 1) + 1, dx * (kw - 1) + 1
    py = padding[0] if isinstance(padding, tuple) else padding
    px = padding[1] if isinstance(padding, tuple) else padding
    (pt, pb), (pl, pr) = _pads(x.shape[0], sy, keh, py), _pads(x.shape[1], sx, kew, px)
    if border == "constant":
        p = np.pad(x, ((pt, pb), (pl, pr), (0, 0)), mode="constant", constant_values=float(cval))
    else:
        p = np.pad(x, ((pt, pb), (pl, pr), (0, 0)), mode=border)
    if keh > p.shape[0] or kew > p.shape[1]:
        raise ValueError(kernel_too_large((kh, kw), (dy, dx), p.shape[:2]))
    oh = (p.shape[0] - keh) // sy + 1
    ow = (p.shape[1] - kew) // sx + 1

    out = np.zeros((oh, ow, x.shape[2]))
    for a in range(kh):
        for b in range(kw):
            rows = slice(a * dy, a * dy + (oh - 1) * sy + 1, sy)
            cols = slice(b * dx, b * dx + (ow - 1) * sx + 1, sx)
            # k[a, b] is one weight, or one weight per channel for a depth kernel.
            out += k[a, b] * p[rows, cols]
    if depth:
        return out.sum(axis=2)
    return out[:, :, 0] if squeeze else out
