"""How the engine functions read their arguments: arrays, whole-number pairs, padding, border, fill.

Every engine function (``convolve``, ``conv2d``, ``pool2d``, the fit, the code writer) checks its
arguments with these, so one wrong value gets the same sentence wherever it is passed. The
padding rules are SPEC's: :func:`resolve_padding` and :func:`output_shape` are the contract.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .limits import FLOAT32_LIMIT
from .vocabulary import BORDERS

__all__ = [
    "as_pair",
    "check_border",
    "check_flag",
    "fill_value",
    "is_number",
    "output_shape",
    "planar_array",
    "real_array",
    "real_number",
    "resolve_padding",
    "split_pair",
    "whole",
]


def is_number(v) -> bool:
    """Whether ``v`` is a Python or numpy int or float (a bool is not a number here)."""
    return isinstance(v, (int, np.integer, float, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


def split_pair(value, what: str) -> tuple:
    """``value`` as two items: a pair's own, or one value twice."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (tuple, list, np.ndarray)):
        if len(value) != 2:
            raise ValueError(f"The {what} takes one whole number or a pair (rows, columns).")
        return value[0], value[1]
    return value, value


def whole(v, what: str) -> int:
    """``v`` as an int when it is a whole number (2.0 is), or a ValueError naming ``what``."""
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    if not is_number(v):
        raise ValueError(f"The {what} must be a whole number, not {v!r}.")
    if isinstance(v, (float, np.floating)) and (not math.isfinite(v) or v != int(v)):
        raise ValueError(f"The {what} must be a whole number, not {v!r}.")
    return int(v)


def as_pair(value, what: str) -> tuple[int, int]:
    """``value`` as ``(rows, cols)`` of positive whole numbers, or a ValueError naming ``what``."""
    a, b = split_pair(value, what)
    out = (whole(a, what), whole(b, what))
    if min(out) < 1:
        raise ValueError(f"The {what} must be at least 1.")
    return out


def _same_pad(n: int, s: int, ke: int) -> tuple[int, int]:
    out = -(-n // s)
    total = max((out - 1) * s + ke - n, 0)
    before = total // 2
    return before, total - before


def resolve_padding(
    in_hw, kernel_hw, *, stride=1, padding="valid", dilation=1
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Padding ``((top, bottom), (left, right))`` for an image of ``in_hw`` and a kernel of
    ``kernel_hw``.

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
            f"Unknown padding {padding!r}: use 'valid', 'same', 'full', "
            "a number or a pair of numbers."
        )
    if padding is None:
        raise ValueError(
            "The padding must be 'valid', 'same', 'full', a number or a pair of numbers."
        )
    if (
        isinstance(padding, (tuple, list, np.ndarray))
        and np.ndim(padding) == 1
        and len(padding) != 2
    ):
        raise ValueError("A padding pair must have exactly two numbers (rows, columns).")
    py, px = split_pair(padding, "padding")
    vals = []
    for v in (py, px):
        n = whole(v, "padding")
        if n < 0:
            raise ValueError("The padding cannot be negative.")
        vals.append(n)
    return (vals[0], vals[0]), (vals[1], vals[1])


def output_shape(in_hw, kernel_hw, *, stride=1, padding="valid", dilation=1) -> tuple[int, int]:
    """``(OH, OW)`` per SPEC; a dimension is 0 when the dilated kernel does not fit."""
    (pt, pb), (pl, pr) = resolve_padding(
        in_hw, kernel_hw, stride=stride, padding=padding, dilation=dilation
    )
    sy, sx = as_pair(stride, "stride")
    dy, dx = as_pair(dilation, "dilation")
    keh, kew = dy * (int(kernel_hw[0]) - 1) + 1, dx * (int(kernel_hw[1]) - 1) + 1
    ph, pw = int(in_hw[0]) + pt + pb, int(in_hw[1]) + pl + pr
    oh = (ph - keh) // sy + 1 if ph >= keh else 0
    ow = (pw - kew) // sx + 1 if pw >= kew else 0
    return oh, ow


def real_array(value, what: str) -> np.ndarray:
    """``value`` as an array of booleans, integers or floats, or a ValueError naming ``what``."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        raise ValueError(f"The {what} must be an array of real numbers.") from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"The {what} must hold real numbers, not values of type {arr.dtype}.")
    return arr


def planar_array(
    value, what: str, *, axes: tuple[str, str] = ("H, W", "H, W, C"), needs: str = ""
) -> np.ndarray:
    """``value`` as a non-empty 2-D or 3-D real array (a picture or a kernel), not copied.

    ``axes`` names the axes in the sentence for a wrong number of them; ``needs`` ends the
    sentence for an empty one (e.g. ``"; it needs at least one weight"``).
    """
    arr = real_array(value, what)
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"The {what} must be 2-D ({axes[0]}) or 3-D ({axes[1]}), not {arr.ndim}-D."
        )
    if arr.size == 0:
        raise ValueError(f"The {what} is empty (shape {arr.shape}){needs}.")
    return arr


def check_border(border) -> str:
    """``border`` when it is one of SPEC's border modes, or a ValueError listing them."""
    if not isinstance(border, str) or border not in BORDERS:
        raise ValueError(
            f"Unknown border {border!r}: use 'constant', 'edge', 'reflect', 'symmetric' or 'wrap'."
        )
    return border


def fill_value(cval, *, float32: bool = False) -> float:
    """The fill value ``cval`` as a finite float (one a 32-bit float holds, with ``float32``)."""
    if isinstance(cval, np.ndarray) and cval.ndim == 0:
        cval = cval.item()
    if not is_number(cval) or not math.isfinite(float(cval)):
        raise ValueError(f"The fill value cval must be a finite number, not {cval!r}.")
    if float32 and abs(float(cval)) >= FLOAT32_LIMIT:
        raise ValueError(
            f"The fill value cval must fit a 32-bit float (below 3.4e38 in size), not {cval!r}."
        )
    return float(cval)


def check_flag(value, what: str) -> bool:
    """``value`` as a bool when it is one, or a ValueError naming ``what``."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"The {what} option must be True or False, not {value!r}.")
    return bool(value)


def real_number(value, rule: str, allowed: Callable[[float], bool], finite_rule: str = "") -> float:
    """``value`` as a float for which ``allowed`` holds, or a ValueError.

    The sentence is ``"The {rule}, not {value!r}."``; ``finite_rule`` (default ``rule``) words
    it for a number that is not finite or not allowed.
    """
    refusal = f"The {rule}, not {value!r}."
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(refusal)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(refusal) from None
    if not math.isfinite(v) or not allowed(v):
        raise ValueError(f"The {finite_rule or rule}, not {value!r}.")
    return v
