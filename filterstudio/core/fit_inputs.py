"""What a kernel fit takes: a picture and a target checked as a pair, and which values count.

:func:`check_pair` turns a picture, a target and the options into float32 arrays and the fit's
geometry, or one sentence saying why not. :func:`unclipped` and :func:`inner_cells` are the masks
a fit of a photo editor's result needs: values the editor clipped, and cells whose window reads
padding filled by a rule the editor does not say.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .arguments import check_flag, is_number, planar_array, real_array, real_number
from .normal_equations import FitGeometry, fit_geometry

__all__ = [
    "FitInputs",
    "check_fit",
    "check_flag",
    "check_given_kernel",
    "check_mask",
    "check_pair",
    "check_ridge",
    "inner_cells",
    "unclipped",
]


class FitInputs(NamedTuple):
    """What :func:`check_fit` returns: the arrays, the layout and the options, all checked."""

    image: np.ndarray
    target: np.ndarray
    geometry: FitGeometry
    keep: np.ndarray | None  # the mask as bool of the target's shape, or None: every value
    bias: bool
    ridge: float
    max_equations: int | None


def _picture(value, what: str) -> np.ndarray:
    arr = planar_array(value, what)
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"The {what} contains a value that is not a finite number.")
    with np.errstate(over="ignore"):
        out = np.ascontiguousarray(arr, dtype=np.float32)
    if out.dtype != arr.dtype and not np.isfinite(out).all():
        raise ValueError(f"The {what} holds values too large for 32-bit floats.")
    return out


def _shape_text(shape) -> str:
    text = f"{shape[0]}x{shape[1]}"
    if len(shape) == 3:
        text += f" with {shape[2]} channel{'s' if shape[2] != 1 else ''}"
    return text


def check_pair(
    image, target, size=3, *, bias: bool = True, **options
) -> tuple[np.ndarray, np.ndarray, FitGeometry]:
    """Check a picture, a target and the options of a fit; return both as float32 and the layout.

    ``options`` (stride, padding, border, cval, dilation) are :func:`fit_geometry`'s.

    Raises
    ------
    ValueError
        With one sentence: a bad array or option, a target whose shape is not the map's, or
        fewer target cells than unknowns.
    """
    img = _picture(image, "picture")
    tgt = _picture(target, "target")
    geom = fit_geometry(img.shape, size, **options)
    padding = options.get("padding", "valid")
    want = (geom.oh, geom.ow) + img.shape[2:]
    if tgt.shape != want:
        if tgt.ndim != img.ndim or tgt.shape[2:] != img.shape[2:]:
            raise ValueError(
                f"The target is {_shape_text(tgt.shape)} but the picture is "
                f"{_shape_text(img.shape)}: one kernel maps each channel of the picture to the "
                "same channel of the target, so both need the same channels."
            )
        hint = ""
        if tgt.shape[:2] == img.shape[:2] and isinstance(padding, str) and padding == "valid":
            hint = "; a target of the picture's own size needs padding 'same'"
        raise ValueError(
            f"The target is {tgt.shape[0]}x{tgt.shape[1]} but a {geom.kh}x{geom.kw} kernel with "
            f"these options maps this {img.shape[0]}x{img.shape[1]} picture to "
            f"{geom.oh}x{geom.ow}{hint}."
        )
    unknowns = geom.taps + (1 if bias else 0)
    if geom.equations < unknowns:
        what = f"{geom.taps} weights" + (" and the bias" if bias else "")
        raise ValueError(
            f"The target has {geom.equations} value{'s' if geom.equations != 1 else ''} for "
            f"{unknowns} unknowns ({what}); use a larger picture or a smaller kernel."
        )
    return img, tgt, geom


def check_given_kernel(kernel, bias, what: str = "kernel") -> tuple[np.ndarray, float]:
    """A kernel someone gave (to measure, not to fit) and its bias: float32 ``(kh, kw)``, float.

    ``what`` names the kernel in the sentences ("kernel", "guess"). Raises a ValueError with one
    sentence for a kernel that is not a 2-D grid of finite numbers (in 32-bit floats) or a bias
    that is not a finite number.
    """
    arr = real_array(kernel, what)
    if arr.ndim != 2:
        raise ValueError(f"The {what} must be a 2-D grid of weights (kh, kw), not {arr.ndim}-D.")
    with np.errstate(over="ignore"):
        ker = np.asarray(arr, dtype=np.float32)
    if not np.isfinite(ker).all():
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise ValueError(f"The {what} contains a value that is not a finite number.")
        raise ValueError(f"The {what} holds values too large for 32-bit floats.")
    if not is_number(bias) or not math.isfinite(float(bias)):
        owner = "The bias" if what == "kernel" else f"The {what}'s bias"
        raise ValueError(f"{owner} must be a finite number, not {bias!r}.")
    return ker, float(bias)


def check_ridge(ridge) -> float:
    """``ridge`` as a finite float of at least 0, or a ValueError."""
    return real_number(
        ridge,
        "ridge must be a number of at least 0",
        lambda v: v >= 0,
        "ridge must be a finite number of at least 0",
    )


def check_mask(mask, target: np.ndarray, unknowns: int) -> np.ndarray | None:
    """``mask`` as a bool array of the target's shape (a 2-D mask covers every channel).

    None stays None; a mask that keeps fewer values than ``unknowns`` is refused.
    """
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.dtype != np.bool_:
        raise ValueError(f"The mask must hold True/False values, not values of type {m.dtype}.")
    if m.shape != target.shape:
        if target.ndim == 3 and m.shape == target.shape[:2]:
            m = np.broadcast_to(m[:, :, None], target.shape)
        else:
            raise ValueError(
                f"The mask is {'x'.join(map(str, m.shape))} but the target is "
                f"{'x'.join(map(str, target.shape))}; they must match."
            )
    kept = int(np.count_nonzero(m))
    if kept < unknowns:
        raise ValueError(
            f"The mask keeps {kept} of the target's values for {unknowns} unknowns; "
            "keep more of the target or fit a smaller kernel."
        )
    return np.ascontiguousarray(m)


def check_fit(image, target, size, *, bias, ridge, max_equations, mask, **options) -> FitInputs:
    """Check everything a fit or a descent takes; ``options`` are :func:`check_pair`'s.

    ``max_equations`` is a whole number of at least 1, or None for no limit.
    """
    bias = check_flag(bias, "bias")
    ridge = check_ridge(ridge)
    if max_equations is not None:
        if isinstance(max_equations, bool) or int(max_equations) < 1:
            raise ValueError("max_equations must be at least 1, or None for no limit.")
        max_equations = int(max_equations)
    img, tgt, geom = check_pair(image, target, size, bias=bias, **options)
    keep = check_mask(mask, tgt, geom.taps + (1 if bias else 0))
    return FitInputs(img, tgt, geom, keep, bias, ridge, max_equations)


def unclipped(target, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """Where ``target`` was not clipped: every value but those exactly at ``low`` or ``high``.

    A photo editor clips its result to black and white; a value at either end says only that
    the filter's value was at or beyond it, so a fit that counts it is pulled away from the
    kernel. A target with any value outside ``[low, high]`` was not clipped: all True. Pass the
    result as the ``mask`` of :func:`fit_kernel_report` to leave the clipped values out.

    Examples
    --------
    >>> unclipped(np.array([0.0, 0.5, 1.0])).tolist()
    [False, True, False]
    >>> unclipped(np.array([-0.5, 0.0, 1.0])).tolist()
    [True, True, True]
    """
    t = np.asarray(target)
    if t.size and (t.min() < low or t.max() > high):
        return np.ones(t.shape, bool)
    out = t != low
    out &= t != high
    return out


def inner_cells(
    shape, size, *, stride=1, padding="valid", border="constant", cval=0.0, dilation=1
) -> np.ndarray:
    """Which cells of the map read only the picture, none of its padding: bool ``(OH, OW)``.

    A target made by a program whose border rule is not known (a photo editor) matches the
    kernel only there; pass the result (``&`` any other mask) as the ``mask`` of
    :func:`fit_kernel_report`.

    Examples
    --------
    >>> inner_cells((5, 6), 3, padding="same").astype(int)
    array([[0, 0, 0, 0, 0, 0],
           [0, 1, 1, 1, 1, 0],
           [0, 1, 1, 1, 1, 0],
           [0, 1, 1, 1, 1, 0],
           [0, 0, 0, 0, 0, 0]])
    """
    geom = fit_geometry(
        shape, size, stride=stride, padding=padding, border=border, cval=cval, dilation=dilation
    )
    (pt, _), (pl, _) = geom.pads

    def inside(n_out, step, span, before, n_in):
        first = np.arange(n_out) * step  # the first padded row (column) a cell reads
        return (first >= before) & (first + span - 1 < before + n_in)

    rows = inside(geom.oh, geom.stride[0], geom.dilation[0] * (geom.kh - 1) + 1, pt, geom.height)
    cols = inside(geom.ow, geom.stride[1], geom.dilation[1] * (geom.kw - 1) + 1, pl, geom.width)
    return rows[:, None] & cols[None, :]
