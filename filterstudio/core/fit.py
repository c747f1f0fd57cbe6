"""Learn a kernel from an example: the exact least-squares kernel that turns a picture into a target.

``fit_kernel`` is the SPEC contract; :func:`fit_kernel_report` gives the same answer with what a
window or a command shows beside it (how much of the change one kernel explains, whether the
picture pins down every weight, how many equations were summed). :func:`residual_map` is where
the kernel falls short, cell by cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .convolution import convolve
from .fit_inputs import (
    check_fit,
    check_given_kernel,
    check_mask,
    check_pair,
    inner_cells,
    unclipped,
)
from .normal_equations import (
    BandSource,
    FitGeometry,
    NormalEquations,
    TapLayout,
    accumulate,
    plan_bands,
)

__all__ = [
    "DEFAULT_MAX_EQUATIONS",
    "KernelFit",
    "check_pair",
    "fit_kernel",
    "fit_kernel_report",
    "fit_verdict",
    "inner_cells",
    "residual_map",
    "residual_rms",
    "solve_normal_equations",
    "unclipped",
]

# Beyond this many equations (target cells times channels) the normal equations are summed over
# an evenly spread subset of full-width bands of rows holding about this many. With noise-free
# targets any subset that pins down every weight gives the same kernel; with a noisy target the
# subset's answer differs from the whole picture's by the noise averaged over 2 million cells.
DEFAULT_MAX_EQUATIONS = 1 << 21

# Eigenvalues of the (scaled) normal matrix below this fraction of the largest are taken as zero:
# float32 products summed in float64 carry errors about 1e-10 of the largest entry.
_RCOND = 1e-9


@dataclass(frozen=True)
class Solution:
    """The minimiser of the normal equations (float64), before it becomes a float32 kernel."""

    weights: np.ndarray  # (taps,)
    bias: float
    determined: bool  # False: some weights were not pinned down (the smallest such answer)
    condition: float  # of the scaled normal matrix; inf when not determined


def solve_normal_equations(ne: NormalEquations, *, bias: bool, ridge: float = 0.0) -> Solution:
    """Minimise ``mean((A k + b - t)^2) + ridge * |k|^2`` from the sums in ``ne``.

    With a bias the problem is solved centred (covariances), which keeps a picture's mean level
    out of the conditioning; the bias is not penalised. The matrix is scaled to unit diagonal
    and solved through its symmetric eigendecomposition; directions it does not pin down (an
    eigenvalue below ``1e-9`` of the largest) are left out, which gives the smallest kernel
    among the equally good ones.
    """
    if not bias:
        ne = ne.uncentred()
    n = ne.gram.shape[0]
    count = float(ne.count)
    mx = ne.tap_sums / count
    mt = ne.target_sum / count
    if bias:
        matrix = ne.gram / count - np.outer(mx, mx)
        vector = ne.rhs / count - mx * mt
    else:
        matrix = ne.gram / count
        vector = ne.rhs / count
    matrix = (matrix + matrix.T) / 2.0
    matrix[np.diag_indices(n)] += ridge
    diag = np.clip(np.diag(matrix), 0.0, None)
    scale = np.ones(n)
    live = diag > 0
    scale[live] = 1.0 / np.sqrt(diag[live])
    scaled = matrix * np.outer(scale, scale)
    w, v = np.linalg.eigh(scaled)
    top = float(w[-1]) if n else 0.0
    keep = w > _RCOND * top if top > 0 else np.zeros(n, bool)
    coef = (v[:, keep].T @ (vector * scale)) / w[keep]
    weights = scale * (v[:, keep] @ coef)
    determined = bool(keep.all())
    condition = float(top / w[0]) if determined else math.inf
    # The sums are for the picture less ``shift``: the bias takes the shift back.
    b = float(mt - weights @ mx - ne.shift * weights.sum()) if bias else 0.0
    return Solution(weights, b, determined, condition)


@dataclass(frozen=True)
class KernelFit:
    """A fitted kernel with what tells how good it is.

    Attributes
    ----------
    kernel : ndarray
        float32 ``(kh, kw)``, read-only.
    bias : float
    rms : float
        Root-mean-square residual over the target values the fit used: all of them, or the
        spread bands of rows of a sub-sampled fit (an estimate of the whole target's from at
        least 2 million values), less any a mask left out.
    target_std : float
        The standard deviation of the same values: the RMS of a zero kernel with the best
        bias.
    determined : bool
        False when the picture does not pin down every weight (too flat or too regular):
        the kernel is then the smallest of the equally good ones.
    condition : float
        Condition number of the scaled normal matrix (``inf`` when not determined).
    equations, equations_used : int
        Target values in all, and those the normal equations were summed over.
    """

    kernel: np.ndarray
    bias: float
    rms: float
    target_std: float
    determined: bool
    condition: float
    equations: int
    equations_used: int

    @property
    def explained(self) -> float:
        """The fraction of the target's variance the fit reproduces (R squared), 0 to 1."""
        if self.target_std == 0:
            return 1.0 if self.rms == 0 else 0.0
        return max(0.0, 1.0 - (self.rms / self.target_std) ** 2)

    @property
    def sampled(self) -> bool:
        return self.equations_used < self.equations

    @property
    def verdict(self) -> str:
        """One sentence: how much of the change one kernel explains."""
        return fit_verdict(self)


def _percent(fraction: float) -> str:
    """A fraction as a percentage that never rounds up to 100% unless it is 1."""
    if fraction >= 1.0:
        return "100%"
    if fraction >= 0.99:
        return f"{math.floor(fraction * 10000) / 100:.2f}%"
    return f"{math.floor(fraction * 100):d}%"


def fit_verdict(fit: KernelFit, *, bias: bool = True) -> str:
    """A sentence on whether the target is a linear filter of the picture.

    Examples
    --------
    A target made by a tone curve, not a kernel::

        "A single 3x3 kernel explains only 62% of this change; the rest (a tone curve,
        a median?) is not a linear filter."
    """
    kh, kw = fit.kernel.shape
    size = f"{kh}x{kw}"
    if fit.target_std == 0:
        sentence = (
            f"The target is one flat value, so a zero kernel with bias {fit.bias:.4g} makes it; "
            "there is nothing to learn from it."
        )
        return sentence
    ratio = fit.rms / fit.target_std
    shown = _percent(fit.explained)
    if ratio <= 1e-3:
        sentence = f"A single {size} kernel explains this change completely: it is a linear filter."
    elif ratio <= 0.02:
        sentence = (
            f"A single {size} kernel explains {shown} of this change: it is a linear filter, "
            "up to rounding or noise."
        )
    elif ratio <= 0.1:
        sentence = (
            f"A single {size} kernel explains {shown} of this change; the small rest is "
            "rounding, clipping or noise."
        )
    else:
        sentence = (
            f"A single {size} kernel explains only {shown} of this change; the rest "
            "(a tone curve, a median?) is not a linear filter."
        )
        if not bias:
            sentence = sentence[:-1] + ", or needs the bias that was not fitted."
    if not fit.determined:
        sentence = sentence[:-1] + (
            "; the picture is too plain to pin down every weight, so this is the smallest "
            "kernel that does it."
        )
    return sentence


def _rms_of(img, tgt, kernel, bias: float, geom: FitGeometry, keep, bands) -> float:
    """RMS residual over the values of ``bands`` (kept by ``keep``), convolving only those rows."""
    b = np.float32(bias)
    t2 = tgt.reshape(tgt.shape[0], -1)
    k2 = None if keep is None else keep.reshape(t2.shape)
    if bands == [(0, geom.oh)] or sum(i1 - i0 for i0, i1 in bands) == geom.oh:
        parts = [(convolve(img, kernel, **geom.conv_kwargs()), 0, geom.oh)]
    else:
        source = BandSource(img, TapLayout(geom))
        conv = dict(stride=geom.stride, dilation=geom.dilation)
        parts = ((convolve(source.padded_rows(i0, i1), kernel, **conv), i0, i1) for i0, i1 in bands)
    total, count = 0.0, 0
    for out, i0, i1 in parts:
        r = out.reshape(i1 - i0, -1)
        if b:
            r += b
        r -= t2[i0:i1]
        if k2 is None:
            count += r.size
        else:
            r[~k2[i0:i1]] = 0.0
            count += int(np.count_nonzero(k2[i0:i1]))
        total += cv2.norm(r, cv2.NORM_L2SQR)
    return math.sqrt(total / max(1, count))


def _spread_of(ne: NormalEquations, tgt: np.ndarray) -> float:
    """The standard deviation of the target values the fit used; exactly 0 for a flat target."""
    low, high, _, _ = cv2.minMaxLoc(tgt.reshape(tgt.shape[0], -1))
    if low == high or ne.count == 0:
        return 0.0
    mean = ne.target_sum / ne.count
    return math.sqrt(max(0.0, ne.target_squares / ne.count - mean * mean))


def fit_kernel_report(
    image,
    target,
    size=3,
    *,
    stride=1,
    padding="valid",
    border: str = "constant",
    cval: float = 0.0,
    dilation=1,
    bias: bool = True,
    ridge: float = 0.0,
    max_equations: int | None = DEFAULT_MAX_EQUATIONS,
    mask=None,
) -> KernelFit:
    """:func:`fit_kernel` with what goes with the answer: see :class:`KernelFit`.

    ``max_equations`` (None: no limit) is the number of target values beyond which the
    normal equations are summed over an evenly spread subset of full-width bands of rows (see
    :func:`fit_kernel`). Should that subset not pin down every weight, the whole target is used.

    ``mask`` (bool, the target's shape, or ``(OH, OW)`` for every channel) leaves out the
    target values where it is False, e.g. ``unclipped(target)``: the fit, ``rms`` and
    ``target_std`` then count only the values kept.

    ``rms`` and ``target_std`` count the values the fit used: with sub-sampling, those of the
    spread bands only, which keeps a 12 MP fit from paying for a second pass over the picture.
    """
    options = dict(stride=stride, padding=padding, border=border, cval=cval, dilation=dilation)
    img, tgt, geom, keep, bias, ridge, max_equations = check_fit(
        image,
        target,
        size,
        bias=bias,
        ridge=ridge,
        max_equations=max_equations,
        mask=mask,
        **options,
    )
    total = geom.equations if keep is None else int(np.count_nonzero(keep))
    bands = plan_bands(geom, max_equations, keep)
    ne = accumulate(img, tgt, geom, bands, keep)
    sol = solve_normal_equations(ne, bias=bias, ridge=ridge) if ne.count else None
    # A subset that does not pin every weight down (a smooth photo's few bands) is widened four
    # times over, then again, before the whole target is summed: on a 12 MP photo a quarter of
    # it is usually enough, at a fifth of the cost of all of it.
    while (sol is None or not sol.determined) and ne.count < total and max_equations is not None:
        max_equations *= 4
        if max_equations >= total:
            max_equations = None  # the whole target: the last widening
        bands = plan_bands(geom, max_equations, keep)
        ne = accumulate(img, tgt, geom, bands, keep)
        sol = solve_normal_equations(ne, bias=bias, ridge=ridge)
    kernel = sol.weights.reshape(geom.kh, geom.kw).astype(np.float32)
    kernel.setflags(write=False)
    return KernelFit(
        kernel=kernel,
        bias=sol.bias,
        rms=_rms_of(img, tgt, kernel, sol.bias, geom, keep, bands),
        target_std=_spread_of(ne, tgt),
        determined=sol.determined,
        condition=sol.condition,
        equations=total,
        equations_used=ne.count,
    )


def fit_kernel(
    image,
    target,
    size=3,
    *,
    stride=1,
    padding="valid",
    border: str = "constant",
    cval: float = 0.0,
    dilation=1,
    bias: bool = True,
    ridge: float = 0.0,
) -> tuple[np.ndarray, float, float]:
    """The kernel (and bias) whose ``convolve`` of ``image`` comes closest to ``target``.

    An exact linear least-squares solve over the picture's patches, not an iteration: it
    minimises ``mean((convolve(image, K, ...) + bias - target)^2) + ridge * sum(K^2)``, one
    kernel shared by all channels (the ``color`` mode).

    Parameters
    ----------
    image : array_like
        ``(H, W)`` or ``(H, W, C)``, real, finite.
    target : array_like
        The map ``convolve`` makes of ``image`` with these options: ``(OH, OW)`` or
        ``(OH, OW, C)``, real, finite.
    size : int or (int, int)
        The kernel's side, or ``(kh, kw)``; 1 to 15.
    stride, padding, border, cval, dilation
        As :func:`filterstudio.convolve` takes them.
    bias : bool
        Fit a bias added after the sum (not penalised by ``ridge``); False fixes it at 0.
    ridge : float
        Weight of ``sum(K^2)`` added to the mean squared residual (0: plain least squares).
        A little (1e-6) steadies a fit on a flat picture.

    Returns
    -------
    kernel : ndarray
        float32 ``(kh, kw)``.
    bias : float
    rms : float
        Root-mean-square residual over the target values the fit used (see Notes).

    Raises
    ------
    ValueError
        With one sentence: mismatched shapes, a non-finite value, too few target values for
        the unknowns, or an option ``convolve`` refuses.

    Notes
    -----
    The normal equations (one sum per pair of taps) are built from products of shifted copies
    of the picture, band by band, in float64, and solved through an eigendecomposition of the
    scaled, centred normal matrix; weights the picture does not pin down (a flat picture) get
    the smallest values that fit.

    *Sub-sampling.* A target with more than ``DEFAULT_MAX_EQUATIONS`` (2**21) values is fitted
    over a subset of its rows: equal full-width bands of rows, evenly spread from top to
    bottom, holding about 2**21 values (for a 12 MP colour pair, about 1 row in 17, in bands of
    at least 8 rows). A noise-free target gives the same kernel from any subset that pins down
    the weights (within float rounding); a noisy one differs from the whole-picture answer by
    the noise averaged over 2 million values. If the subset does not pin down every weight the
    whole target is used. The RMS residual is measured over the same bands (at least 2 million
    values spread over the picture), so the fit makes no second pass over a large picture.
    :func:`fit_kernel_report` takes ``max_equations`` to change the limit.

    Examples
    --------
    >>> import numpy as np
    >>> from filterstudio import convolve
    >>> picture = np.random.default_rng(0).random((40, 50))
    >>> secret = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float32)
    >>> kernel, bias, rms = fit_kernel(picture, convolve(picture, secret) + 0.25)
    >>> bool(np.abs(kernel - secret).max() < 1e-4), round(bias, 4)
    (True, 0.25)
    """
    options = dict(stride=stride, padding=padding, border=border, cval=cval, dilation=dilation)
    fit = fit_kernel_report(image, target, size, bias=bias, ridge=ridge, **options)
    return np.array(fit.kernel), fit.bias, fit.rms


def residual_map(
    image,
    target,
    kernel,
    bias: float = 0.0,
    *,
    stride=1,
    padding="valid",
    border: str = "constant",
    cval: float = 0.0,
    dilation=1,
) -> np.ndarray:
    """``convolve(image, kernel) + bias - target``: where the kernel falls short, float32.

    Positive where the kernel's map is brighter than the target. Shape and options as
    :func:`fit_kernel` takes them; ``kernel`` is 2-D.
    """
    ker, bias = check_given_kernel(kernel, bias)
    options = dict(stride=stride, padding=padding, border=border, cval=cval, dilation=dilation)
    img, tgt, geom = check_pair(image, target, ker.shape, bias=False, **options)
    out = convolve(img, ker, **geom.conv_kwargs())
    if bias:
        out += np.float32(bias)
    out -= tgt
    return out


def residual_rms(
    image,
    target,
    kernel,
    bias: float = 0.0,
    *,
    stride=1,
    padding="valid",
    border: str = "constant",
    cval: float = 0.0,
    dilation=1,
    max_equations: int | None = DEFAULT_MAX_EQUATIONS,
    mask=None,
) -> float:
    """The RMS residual of ``kernel`` and ``bias`` over the values a fit with these settings counts.

    The same values as :func:`fit_kernel_report` measures its ``rms`` over (the spread bands of
    a large target, less any the mask leaves out), so a changed kernel (rounded, guessed) can
    be set beside the fit's own figure.
    """
    ker, bias = check_given_kernel(kernel, bias)
    options = dict(stride=stride, padding=padding, border=border, cval=cval, dilation=dilation)
    img, tgt, geom = check_pair(image, target, ker.shape, bias=False, **options)
    keep = check_mask(mask, tgt, 1)
    bands = plan_bands(geom, max_equations, keep)
    return _rms_of(img, tgt, ker, bias, geom, keep, bands)
