"""The convolution engine: ``convolve`` exactly as SPEC.md says, with OpenCV on the hot path."""

from __future__ import annotations

import math

import numpy as np

PADDING_NAMES = ("valid", "same", "full")


def as_pair(value, what: str) -> tuple[int, int]:
    """``value`` as ``(rows, cols)`` of positive whole numbers, or a ValueError naming ``what``."""
    if isinstance(value, (tuple, list, np.ndarray)):
        if len(value) != 2:
            raise ValueError(f"The {what} takes one whole number or a pair (rows, columns).")
        a, b = value
    else:
        a = b = value
    out = []
    for v in (a, b):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer, float, np.floating)):
            raise ValueError(f"The {what} must be a whole number, not {v!r}.")
        if isinstance(v, (float, np.floating)) and (not math.isfinite(v) or v != int(v)):
            raise ValueError(f"The {what} must be a whole number, not {v!r}.")
        out.append(int(v))
    if min(out) < 1:
        raise ValueError(f"The {what} must be at least 1.")
    return out[0], out[1]


def _same_pad(n: int, s: int, ke: int) -> tuple[int, int]:
    out = -(-n // s)
    total = max((out - 1) * s + ke - n, 0)
    before = total // 2
    return before, total - before


def resolve_padding(in_hw, kernel_hw, *, stride=1, padding="valid", dilation=1):
    """Padding ``((top, bottom), (left, right))`` for an image of ``in_hw`` and a kernel of ``kernel_hw``.

    ``"same"`` follows Keras/TensorFlow: the odd extra cell goes to the bottom/right.
    """
    h, w = int(in_hw[0]), int(in_hw[1])
    kh, kw = int(kernel_hw[0]), int(kernel_hw[1])
    sy, sx = as_pair(stride, "stride")
    dy, dx = as_pair(dilation, "dilation")
    keh, kew = dy * (kh - 1) + 1, dx * (kw - 1) + 1
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "full":
            return (keh - 1, keh - 1), (kew - 1, kew - 1)
        if padding == "same":
            return _same_pad(h, sy, keh), _same_pad(w, sx, kew)
        raise ValueError(
            f"Unknown padding {padding!r}: use 'valid', 'same', 'full', a number or a pair of numbers."
        )
    if isinstance(padding, (tuple, list, np.ndarray)):
        if len(padding) != 2:
            raise ValueError("A padding pair must have exactly two numbers (rows, columns).")
        py, px = padding
    else:
        py = px = padding
    vals = []
    for v in (py, px):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer, float, np.floating)):
            raise ValueError(f"The padding must be a whole number, not {v!r}.")
        if isinstance(v, (float, np.floating)) and (not math.isfinite(v) or v != int(v)):
            raise ValueError(f"The padding must be a whole number, not {v!r}.")
        if v < 0:
            raise ValueError("The padding cannot be negative.")
        vals.append(int(v))
    return (vals[0], vals[0]), (vals[1], vals[1])


def output_shape(in_hw, kernel_hw, *, stride=1, padding="valid", dilation=1) -> tuple[int, int]:
    """``(OH, OW)`` per SPEC; a dimension is 0 when the dilated kernel does not fit."""
    (pt, pb), (pl, pr) = resolve_padding(in_hw, kernel_hw, stride=stride, padding=padding, dilation=dilation)
    sy, sx = as_pair(stride, "stride")
    dy, dx = as_pair(dilation, "dilation")
    keh, kew = dy * (int(kernel_hw[0]) - 1) + 1, dx * (int(kernel_hw[1]) - 1) + 1
    ph, pw = int(in_hw[0]) + pt + pb, int(in_hw[1]) + pl + pr
    oh = (ph - keh) // sy + 1 if ph >= keh else 0
    ow = (pw - kew) // sx + 1 if pw >= kew else 0
    return oh, ow
