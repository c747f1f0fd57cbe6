"""The "guess the mystery kernel" game: kernels drawn at random but recognisable, and a score."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .convolution import convolve
from .fit import KernelFit, fit_kernel_report
from .fit_inputs import check_given_kernel, check_pair
from .kernels import PRESETS, flip, resize_centered, rotate90, transpose

__all__ = ["MYSTERY_KINDS", "GuessScore", "MysteryKernel", "mystery_kernel", "score_guess"]

# What a mystery kernel can be; mystery_kernel(kind=...) draws from one of them.
MYSTERY_KINDS = ("preset", "turned", "blur", "edge", "shift", "sharpen")

# Presets a class can recognise (the random one cannot be).
_PRESET_NAMES = tuple(name for name in PRESETS if name != "random")


@dataclass(frozen=True)
class MysteryKernel:
    """A kernel to be guessed, with the words that reveal it.

    Attributes
    ----------
    kernel : ndarray
        float32 ``(k, k)``, read-only; ``k`` is 3, 5 or 7.
    name : str
        What it is, e.g. ``"sobel_x, turned a quarter turn clockwise"``.
    description : str
        What it does to a picture, one sentence.
    bias : float
        Added after the sum (a mid-grey offset for edge kernels, else 0).
    """

    kernel: np.ndarray
    name: str
    description: str
    bias: float = 0.0

    def __post_init__(self) -> None:
        k = np.array(self.kernel, dtype=np.float32)
        k.setflags(write=False)
        object.__setattr__(self, "kernel", k)
        object.__setattr__(self, "bias", float(self.bias))

    def target(self, image, **options) -> np.ndarray:
        """The map of ``image`` the mystery kernel makes: ``convolve(...) + bias``, float32.

        ``options``: stride, padding, border, cval, dilation, as ``convolve`` takes them.
        """
        out = convolve(image, self.kernel, **options)
        if self.bias:
            out += np.float32(self.bias)
        return out


def _sizes(size) -> tuple[int, ...]:
    if size is None:
        return (3, 5, 7)
    if isinstance(size, bool) or size not in (3, 5, 7):
        raise ValueError(f"A mystery kernel is 3, 5 or 7 cells wide, not {size!r}.")
    return (int(size),)


def _nice(values: np.ndarray, step: float = 1 / 64) -> np.ndarray:
    """Weights rounded to multiples of ``step``, so a guess typed by hand can match them."""
    return np.round(np.asarray(values, dtype=np.float64) / step) * step


def _preset(rng, k: int) -> MysteryKernel:
    names = [n for n in _PRESET_NAMES if max(PRESETS[n].kernel.shape) <= k]
    preset = PRESETS[names[rng.integers(len(names))]]
    kernel = preset.kernel
    name = preset.name
    if kernel.shape != (k, k):
        kernel = resize_centered(kernel, k)
        name += f" in a {k}x{k} grid"
    return MysteryKernel(kernel, name, preset.description)


_TURNS = (
    ("turned a quarter turn clockwise", lambda k: rotate90(k)),
    ("turned a quarter turn anticlockwise", lambda k: rotate90(k, clockwise=False)),
    ("turned upside down (flipped 180 degrees)", flip),
    ("with rows and columns swapped", transpose),
    ("with its signs reversed", lambda k: -np.asarray(k)),
    ("at half strength", lambda k: np.asarray(k) * 0.5),
    ("at double strength", lambda k: np.asarray(k) * 2.0),
)


def _turned(rng, k: int) -> MysteryKernel:
    for _ in range(20):
        base = _preset(rng, k)
        label, turn = _TURNS[rng.integers(len(_TURNS))]
        kernel = np.asarray(turn(base.kernel), dtype=np.float32)
        if not np.array_equal(kernel, base.kernel):  # a turn that changes nothing is no clue
            return MysteryKernel(kernel, f"{base.name}, {label}", base.description)
    return base


def _angle_words(degrees: int) -> str:
    return f"{degrees} degrees from the horizontal"


def _blur(rng, k: int) -> MysteryKernel:
    half = k // 2
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    long = rng.uniform(0.6, max(0.8, k / 3.0))
    short = long * rng.choice([1.0, rng.uniform(0.25, 0.6)])
    degrees = int(rng.choice([0, 30, 45, 60, 90, 120, 135, 150]))
    a = math.radians(degrees)
    u = xx * math.cos(a) - yy * math.sin(a)  # rows grow downwards: angles turn anticlockwise
    v = xx * math.sin(a) + yy * math.cos(a)
    g = np.exp(-0.5 * ((u / long) ** 2 + (v / short) ** 2))
    kernel = _nice(g / g.sum(), 1 / 256)
    if short == long:
        return MysteryKernel(
            kernel,
            f"a round Gaussian blur (sigma {long:.1f} pixels)",
            "Blurs evenly in every direction.",
        )
    return MysteryKernel(
        kernel,
        f"a Gaussian blur stretched along {_angle_words(degrees)}",
        "Blurs more along one direction than across it, like a slight camera shake.",
    )


def _edge(rng, k: int) -> MysteryKernel:
    half = k // 2
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    sigma = max(0.7, k / 4.0)
    degrees = int(rng.choice([0, 45, 90, 135, 180, 225, 270, 315]))
    a = math.radians(degrees)
    along = xx * math.cos(a) - yy * math.sin(a)
    g = -along * np.exp(-0.5 * (xx**2 + yy**2) / sigma**2)
    g /= np.abs(g).sum() / 2.0
    kernel = _nice(-g, 1 / 64)
    offset = bool(rng.integers(2))
    name = f"an edge detector for brightness rising towards {_angle_words(degrees)}"
    if offset:
        name += ", on a mid-grey offset"
    return MysteryKernel(
        kernel,
        name,
        "Bright where the picture gets brighter in one direction, dark where it gets darker.",
        0.5 if offset else 0.0,
    )


def _shift(rng, k: int) -> MysteryKernel:
    half = k // 2
    while True:
        dy, dx = (int(v) for v in rng.integers(-half, half + 1, size=2))
        if dy or dx:
            break
    kernel = np.zeros((k, k))
    kernel[half + dy, half + dx] = 1.0
    # Cross-correlation reads the pixel at +dy, +dx: the picture moves by -dy, -dx.
    parts = []
    if dy:
        parts.append(f"{abs(dy)} pixel{'s' if abs(dy) > 1 else ''} {'up' if dy > 0 else 'down'}")
    if dx:
        parts.append(f"{abs(dx)} pixel{'s' if abs(dx) > 1 else ''} {'left' if dx > 0 else 'right'}")
    return MysteryKernel(
        kernel,
        "a shift: one weight of 1 off the centre",
        f"Moves the picture {' and '.join(parts)}.",
    )


def _sharpen(rng, k: int) -> MysteryKernel:
    strength = float(rng.choice([0.25, 0.5, 1.0, 1.5, 2.0]))
    lap = np.zeros((k, k))
    c = k // 2
    lap[c - 1 : c + 2, c - 1 : c + 2] = [[0, -1, 0], [-1, 4, -1], [0, -1, 0]]
    kernel = strength * lap
    kernel[c, c] += 1.0
    return MysteryKernel(
        _nice(kernel),
        f"a sharpen of strength {strength:g} (the centre minus {strength:g} times the Laplacian)",
        "Boosts each pixel against its four neighbours: edges look crisper.",
    )


_MAKERS = {
    "preset": _preset,
    "turned": _turned,
    "blur": _blur,
    "edge": _edge,
    "shift": _shift,
    "sharpen": _sharpen,
}


def mystery_kernel(seed=None, *, size: int | None = None, kind: str | None = None) -> MysteryKernel:
    """A kernel drawn at random for a class to guess, recognisable once revealed.

    Parameters
    ----------
    seed : int or None
        The same seed gives the same kernel; None draws a new one each time.
    size : {3, 5, 7} or None
        The kernel's side; any of the three when None.
    kind : str or None
        One of :data:`MYSTERY_KINDS`: a ``preset``; a preset ``turned``, flipped or scaled; a
        stretched Gaussian ``blur`` at some angle; a Gaussian-derivative ``edge`` detector at
        some angle; a ``shift`` (a single 1 off the centre); a ``sharpen`` of some strength.
        Any of them when None.

    Examples
    --------
    >>> m = mystery_kernel(7, size=3, kind="shift")
    >>> m.kernel.shape, float(m.kernel.sum())
    ((3, 3), 1.0)
    >>> mystery_kernel(7).name == mystery_kernel(7).name
    True
    """
    if kind is not None and kind not in _MAKERS:
        raise ValueError(f"Unknown kind {kind!r}; choose one of {', '.join(MYSTERY_KINDS)}.")
    rng = np.random.default_rng(seed)
    k = int(rng.choice(_sizes(size)))
    if kind is None:
        kind = MYSTERY_KINDS[rng.integers(len(MYSTERY_KINDS))]
    return _MAKERS[kind](rng, k)


@dataclass(frozen=True)
class GuessScore:
    """How good a guessed kernel is beside the best one.

    Attributes
    ----------
    rms, best_rms, blank_rms : float
        RMS residual of the guess, of the fitted kernel, and of a blank grid (all zeros)
        with the guess's bias.
    score : float
        0 to 100: how far the guess went from the blank grid towards the best kernel,
        measured in mean squared residual.
    sentence : str
    """

    rms: float
    best_rms: float
    blank_rms: float
    score: float
    sentence: str


def score_guess(
    image,
    target,
    guess,
    bias: float = 0.0,
    *,
    fit: KernelFit | None = None,
    stride=1,
    padding="valid",
    border: str = "constant",
    cval: float = 0.0,
    dilation=1,
) -> GuessScore:
    """Score a guessed kernel against the exact fit.

    Parameters
    ----------
    image, target
        As :func:`~filterstudio.core.fit.fit_kernel` takes them.
    guess : array_like
        The guessed ``(kh, kw)`` kernel; ``bias`` is its bias.
    fit : KernelFit, optional
        The fit of ``target`` with the guess's size and these options, if already made.
    stride, padding, border, cval, dilation
        As :func:`filterstudio.convolve` takes them.
    """
    g, bias = check_given_kernel(guess, bias, "guess")
    options = dict(stride=stride, padding=padding, border=border, cval=cval, dilation=dilation)
    img, tgt, geom = check_pair(image, target, g.shape, bias=False, **options)
    if fit is None:
        fit = fit_kernel_report(img, tgt, g.shape, **options)
    elif fit.kernel.shape != g.shape:
        raise ValueError(
            f"The guess is {g.shape[0]}x{g.shape[1]} but the fit is "
            f"{fit.kernel.shape[0]}x{fit.kernel.shape[1]}."
        )
    count = tgt.size
    out = convolve(img, g, **geom.conv_kwargs()) + np.float32(bias) - tgt
    mse = float(np.sum(out.astype(np.float64) ** 2) / count)
    blank = float(np.sum((tgt.astype(np.float64) - float(bias)) ** 2) / count)
    best = fit.rms**2
    if blank - best <= 1e-12 * max(blank, 1e-30):
        score = 100.0 if mse <= best * (1 + 1e-6) + 1e-18 else 0.0
    else:
        score = 100.0 * min(1.0, max(0.0, (blank - mse) / (blank - best)))
    rms, best_rms, blank_rms = math.sqrt(mse), fit.rms, math.sqrt(blank)
    kh, kw = g.shape
    if score >= 99.95:
        sentence = (
            f"Your guess is as good as the best {kh}x{kw} kernel (RMS error {rms:.3g}): found it."
        )
    else:
        sentence = (
            f"Your guess leaves an RMS error of {rms:.3g} where the best {kh}x{kw} kernel leaves "
            f"{best_rms:.3g}: {math.floor(score):d}% of the way from a blank grid."
        )
    return GuessScore(rms, best_rms, blank_rms, score, sentence)
