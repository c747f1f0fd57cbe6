"""Whether a kernel is one column times one row, its two readable 1-D factors, and the saving."""

from __future__ import annotations

import math
from functools import reduce

import numpy as np

__all__ = [
    "DEFAULT_TOL",
    "describe_separable",
    "format_factor",
    "separable",
    "separable_cost",
]

# A kernel is separable when its best rank-1 fit leaves a remainder at most this fraction of
# its own size (Frobenius norms): float32 rounding of a rank-1 kernel stays well inside it.
DEFAULT_TOL = 1e-6

# Factors are shown as whole numbers (times one scale) when a factor divided by its smallest
# weight becomes whole numbers up to _MAX_WHOLE once multiplied by one of these.
_SHAPE_DENOMINATORS = np.arange(1, 65, dtype=np.float64)
_MAX_WHOLE = 100_000
# Divisors format_factor tries: every small one, and the powers of two binomial kernels use.
_DENOMINATORS = np.array([*range(1, 257), 512, 1024, 2048, 4096], dtype=np.float64)
# Relative error (per entry: about four float32 steps) under which a multiple of a weight
# counts as a whole number.
_WHOLE_RTOL = 2.5e-7


def _kernel_2d(kernel) -> np.ndarray:
    try:
        arr = np.asarray(kernel)
    except (TypeError, ValueError):
        raise ValueError("Separability needs a kernel of real numbers.") from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"Separability needs real weights, not values of type {arr.dtype}.")
    if arr.ndim == 3:
        raise ValueError(
            "Separability is a property of a 2-D kernel; pass one channel of a depth kernel "
            "(kernel[:, :, c])."
        )
    if arr.ndim != 2:
        raise ValueError(f"Separability needs a 2-D (kh, kw) kernel, not a {arr.ndim}-D one.")
    if arr.size == 0:
        raise ValueError(f"The kernel is empty (shape {arr.shape}); it needs at least one weight.")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError("The kernel contains a value that is not a finite number.")
    return arr


def _tolerance(tol) -> float:
    try:
        t = float(tol)
    except (TypeError, ValueError):
        raise ValueError(f"The tolerance must be a number, not {tol!r}.") from None
    if not (math.isfinite(t) and t >= 0):
        raise ValueError(f"The tolerance must be a finite number of at least 0, not {tol!r}.")
    return t


def _whole_multiple(v: np.ndarray, denominators: np.ndarray) -> int | None:
    """The first ``q`` in ``denominators`` that makes ``q * v`` whole numbers (up to float32
    rounding) no larger than ``_MAX_WHOLE``, or None."""
    g = denominators[:, None] * v[None, :]
    r = np.round(g)
    slack = _WHOLE_RTOL * np.abs(g) + 1e-9 * np.abs(g).max(axis=1, keepdims=True)
    ok = np.all(np.abs(g - r) <= slack, axis=1)
    ok &= np.abs(r).max(axis=1) <= _MAX_WHOLE
    hits = np.flatnonzero(ok)
    return int(denominators[hits[0]]) if hits.size else None


def _whole_shape(v: np.ndarray) -> np.ndarray | None:
    """The shortest whole-number vector proportional to ``v``, or None if there is none small."""
    a = np.abs(v)
    big = a.max()
    if big == 0:
        return None
    nonzero = a > 1e-9 * big
    base = np.where(nonzero, v / a[nonzero].min(), 0.0)
    q = _whole_multiple(base, _SHAPE_DENOMINATORS)
    if q is None:
        return None
    ints = np.round(base * q).astype(np.int64)
    d = reduce(math.gcd, (abs(int(x)) for x in ints if x), 0)
    return (ints // d).astype(np.float64)


def _is_zero_sum(v: np.ndarray) -> bool:
    return abs(float(v.sum())) <= 1e-9 * float(np.abs(v).sum())


def separable(kernel, tol: float = DEFAULT_TOL) -> tuple[np.ndarray, np.ndarray] | None:
    """The column and row factors of a rank-1 kernel, or None when it is not rank 1.

    Correlating with ``kernel`` then equals correlating with the column ``(kh, 1)`` and then
    with the row ``(1, kw)``: ``kh + kw`` multiplies per pixel instead of ``kh * kw``.

    Parameters
    ----------
    kernel : array_like
        A 2-D ``(kh, kw)`` kernel of finite real weights. (A depth kernel is separable channel
        by channel: pass ``kernel[:, :, c]``.)
    tol : float
        The kernel counts as rank 1 when the remainder of its best rank-1 fit (from the
        singular value decomposition) is at most ``tol`` times the kernel's Frobenius norm.
        A tolerance below 1e-12 counts as 1e-12, the decomposition's own rounding.

    Returns
    -------
    (col, row) : tuple of numpy.ndarray, or None
        float64 arrays of lengths ``kh`` and ``kw`` with
        ``np.outer(col, row) == kernel`` within ``tol * norm(kernel)`` (a zero kernel gives
        zero factors). Chosen to be readable: whole-number factors when the weights are whole
        numbers (Sobel: ``[1, 2, 1]`` and ``[-1, 0, 1]``); otherwise a factor whose weights
        do not sum to zero is scaled to sum to 1, the column first, so that the other carries
        the kernel's scale (a 5x5 binomial Gaussian: ``[1, 4, 6, 4, 1] / 16`` twice). Signs:
        a column that does not sum to zero sums to a positive number, and so does such a row
        unless the kernel's weights sum to a negative number; when one factor sums to zero,
        the other sums to a positive number.

    Examples
    --------
    >>> col, row = separable([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    >>> col, row
    (array([1., 2., 1.]), array([-1.,  0.,  1.]))
    >>> separable([[1, 0], [0, 1]]) is None
    True
    """
    k = _kernel_2d(kernel)
    t = max(_tolerance(tol), 1e-12)
    kh, kw = k.shape
    norm = float(np.linalg.norm(k))
    if norm == 0.0:
        return np.zeros(kh), np.zeros(kw)
    u, s, vt = np.linalg.svd(k, full_matrices=False)
    if math.sqrt(float(np.sum(s[1:] ** 2))) > t * norm:
        return None
    c, r, lam = u[:, 0], vt[0], float(s[0])
    whole = False
    ci, ri = _whole_shape(c), _whole_shape(r)
    if ci is not None and ri is not None:
        lam_i = float(ci @ k @ ri) / float((ci @ ci) * (ri @ ri))
        if np.linalg.norm(lam_i * np.outer(ci, ri) - k) <= t * norm:
            c, r, lam, whole = ci, ri, lam_i, True
    # Signs: a factor that does not sum to zero sums to a positive number; then the scale is
    # made positive by turning a zero-sum factor round (Sobel's row becomes [-1, 0, 1]).
    c_zero, r_zero = _is_zero_sum(c), _is_zero_sum(r)
    if not c_zero and c.sum() < 0:
        c, lam = -c, -lam
    if not r_zero and r.sum() < 0:
        r, lam = -r, -lam
    if c_zero and r_zero and c[np.flatnonzero(np.abs(c) > 1e-9 * np.abs(c).max())[0]] < 0:
        c, lam = -c, -lam
    if lam < 0 and (c_zero or r_zero):
        if r_zero:
            r, lam = -r, -lam
        else:
            c, lam = -c, -lam
    # Scale: whole numbers where the kernel allows, else factors that sum to 1.
    if whole and abs(lam - round(lam)) <= _WHOLE_RTOL * abs(lam) and round(lam) != 0:
        col, row = c, round(lam) * r
    elif not c_zero:
        col, row = c / c.sum(), lam * c.sum() * r
    elif not r_zero:
        col, row = lam * r.sum() * c, r / r.sum()
    elif whole:
        col, row = c, lam * r
    else:
        root = math.sqrt(abs(lam))
        col, row = root * c, math.copysign(root, lam) * r
    return col + 0.0, row + 0.0  # + 0.0 turns -0.0 into 0.0


def separable_cost(kernel, tol: float = DEFAULT_TOL) -> tuple[int, int]:
    """Multiplies per output pixel: ``(as separated, as one 2-D kernel)``.

    A separable ``(kh, kw)`` kernel costs ``kh + kw`` as two 1-D passes, a dense one ``kh * kw``
    either way. A depth kernel ``(kh, kw, C)`` adds up its channels, each separated on its own
    when it can be. Dilation spreads the taps apart but adds none.

    Examples
    --------
    >>> separable_cost([[1, 4, 6, 4, 1]] * 5)
    (10, 25)
    """
    arr = np.asarray(kernel)
    if arr.ndim not in (2, 3):
        raise ValueError(f"A kernel is 2-D (kh, kw) or 3-D (kh, kw, C), not {arr.ndim}-D.")
    planes = [arr[:, :, c] for c in range(arr.shape[2])] if arr.ndim == 3 else [arr]
    split = dense = 0
    for plane in planes:
        kh, kw = np.shape(plane)
        one = kh * kw
        dense += one
        split += kh + kw if separable(plane, tol) is not None and kh > 1 and kw > 1 else one
    return split, dense


def format_factor(factor, digits: int | None = None) -> str:
    """A 1-D factor as short text: whole numbers over a common divisor when it has one.

    Other factors are written value by value: exactly (the shortest text that reads back as
    the same float32) when ``digits`` is None, else rounded to that many significant digits.

    Examples
    --------
    >>> format_factor([0.0625, 0.25, 0.375, 0.25, 0.0625])
    '[1 4 6 4 1] / 16'
    >>> format_factor([-1.0, 0.0, 1.0])
    '[-1 0 1]'
    """
    from .kernels import format_value

    v = np.asarray(factor, dtype=np.float64).ravel()
    if v.size and np.abs(v).max() > 0:
        q = _whole_multiple(v, _DENOMINATORS)
        if q is not None:
            r = np.round(v * q).astype(np.int64)
            d = reduce(math.gcd, (abs(int(x)) for x in r if x), q)
            text = " ".join(str(int(x) // d) for x in r)
            q //= d
            return f"[{text}]" if q == 1 else f"[{text}] / {q}"
    if digits is None:
        return "[" + " ".join(format_value(x) for x in v) + "]"
    return "[" + " ".join(f"{x:.{int(digits)}g}" for x in v) + "]"


def describe_separable(kernel, tol: float = DEFAULT_TOL) -> str:
    """One sentence: whether the kernel splits into a column and a row, and what that saves.

    Examples
    --------
    >>> describe_separable([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    'Separable: 3 + 3 = 6 multiplies per pixel instead of 9, the column [1 2 1] then the row [-1 0 1].'
    >>> describe_separable([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    'Not separable: 9 multiplies per pixel (it is not one column times one row).'
    """
    arr = np.asarray(kernel)
    if arr.ndim == 3:
        _tolerance(tol)
        split, dense = separable_cost(arr, tol)
        n = sum(separable(arr[:, :, c], tol) is not None for c in range(arr.shape[2]))
        channels = arr.shape[2]
        if split < dense:
            return (
                f"{n} of its {channels} channels separable: {split} multiplies per pixel "
                f"instead of {dense}."
            )
        return f"No channel splits to save work: {dense} multiplies per pixel."
    factors = separable(arr, tol)
    kh, kw = arr.shape
    if kh == 1 or kw == 1:
        return f"Already one {'row' if kh == 1 else 'column'}: {kh * kw} multiplies per pixel."
    if factors is None:
        return (
            f"Not separable: {kh * kw} multiplies per pixel (it is not one column times one row)."
        )
    col, row = (format_factor(f, digits=3) for f in factors)
    if kh + kw >= kh * kw:
        return (
            f"Separable, the column {col} then the row {row}, but at {kh}x{kw} that saves "
            f"nothing: {kh} + {kw} = {kh + kw} multiplies per pixel against {kh * kw}."
        )
    return (
        f"Separable: {kh} + {kw} = {kh + kw} multiplies per pixel instead of {kh * kw}, "
        f"the column {col} then the row {row}."
    )
