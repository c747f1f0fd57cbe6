"""What a kernel does to frequencies: its response magnitude and a plain sentence about it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "KINDS",
    "ResponseSummary",
    "classify_response",
    "describe_response",
    "frequency_axis",
    "frequency_response",
]

# The largest grid frequency_response draws: 1024 x 1024 float64 is 8 MB.
MAX_GRID = 1024

KINDS = ("zero", "all-pass", "low-pass", "high-pass", "band-pass", "high-boost")

# Directions a kernel works along, in degrees of its frequency vector (rows point down):
# 0 = brightness changing from left to right, 90 = from top to bottom.
_DIRECTIONS = {
    0: {
        "key": "left-right",
        "change": "changes from left to right, across columns (vertical edges)",
        "smooth": "smooths from left to right, along rows,",
        "keep": "keeps detail from top to bottom",
    },
    45: {
        "key": "top-left to bottom-right",
        "change": "changes from top left to bottom right (edges running from bottom left to top right)",
        "smooth": "smooths along the diagonal from top left to bottom right",
        "keep": "keeps detail across it",
    },
    90: {
        "key": "up-down",
        "change": "changes from top to bottom, across rows (horizontal edges)",
        "smooth": "smooths up and down, along columns,",
        "keep": "keeps detail from left to right",
    },
    135: {
        "key": "top-right to bottom-left",
        "change": "changes from top right to bottom left (edges running from top left to bottom right)",
        "smooth": "smooths along the diagonal from top right to bottom left",
        "keep": "keeps detail across it",
    },
}

# Polar samples of the response for the classifier: every 5 degrees of half a turn (the
# magnitude of a real kernel's response is symmetric through zero), radii up to the Nyquist
# frequency 0.5 cycles per pixel, so that every direction is sampled over the same band.
_ANGLES = np.deg2rad(np.arange(0, 180, 5))
_RADII = np.linspace(0.0, 0.5, 31)
_DETAIL = _RADII >= 1 / 6  # everything but the coarsest shapes

# Thresholds of the classifier (see classify_response).
_FLAT = 0.02  # the response varies by at most this fraction of its peak: all-pass
_NO_DC = 0.05  # the brightness gain is below this fraction of the peak: flat areas vanish
_KEEPS_DC = 0.7  # the brightness gain is at least this fraction of the peak: low-pass
_FINE_PEAK = 0.15  # a peak at or above this frequency (cycles per pixel) is fine detail
_SMOOTHED = 0.5  # a direction's detail falls to at most this fraction of the brightness gain
_KEPT = 0.7  # ... while another direction keeps at least this fraction: directional low-pass
_ANISOTROPY = 0.4  # the weakest direction below this fraction of the strongest: directional


def _kernel_2d(kernel, channel, what: str) -> tuple[np.ndarray, int | None]:
    """The kernel as a float64 2-D array (a depth kernel summed or one channel of it)."""
    try:
        arr = np.asarray(kernel)
    except (TypeError, ValueError):
        raise ValueError(f"The {what} needs a kernel of real numbers.") from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"The {what} needs a kernel of real numbers, not values of type {arr.dtype}."
        )
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"The {what} needs a 2-D (kh, kw) or 3-D (kh, kw, C) kernel, not a {arr.ndim}-D one."
        )
    if arr.size == 0:
        raise ValueError(f"The kernel is empty (shape {arr.shape}); it needs at least one weight.")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError("The kernel contains a value that is not a finite number.")
    depth = arr.shape[2] if arr.ndim == 3 else None
    if channel is None:
        return (arr if depth is None else arr.sum(axis=2)), depth
    if depth is None:
        raise ValueError("Only a depth kernel (kh, kw, C) has channels to choose from.")
    if isinstance(channel, (bool, np.bool_)) or not isinstance(channel, (int, np.integer)):
        raise ValueError(f"The channel must be a whole number, not {channel!r}.")
    if not 0 <= channel < depth:
        raise ValueError(f"This kernel has channels 0 to {depth - 1}, not {channel}.")
    return arr[:, :, int(channel)], None


def frequency_response(kernel, n: int = 64, *, channel: int | None = None) -> np.ndarray:
    """The magnitude of the kernel's 2-D discrete Fourier transform on an ``n x n`` grid.

    Parameters
    ----------
    kernel : array_like
        ``(kh, kw)``, any real dtype, or a depth kernel ``(kh, kw, C)``. Every weight finite.
    n : int
        Side of the frequency grid, at least the kernel's larger side and at most 1024.
    channel : int or None
        For a depth kernel: ``None`` (default) gives the response of the sum of its channels,
        which is what it does to a grey picture (all channels equal); an index gives that
        channel's own response. Must be ``None`` for a 2-D kernel.

    Returns
    -------
    numpy.ndarray
        float64 ``(n, n)``: ``abs(fftshift(fft2(k, (n, n))))``, the kernel zero-padded to
        ``n x n``. Zero frequency is at ``[n // 2, n // 2]`` and equals ``abs(sum of weights)``;
        row ``i`` is the vertical frequency ``(i - n // 2) / n`` cycles per pixel, column ``j``
        the horizontal one (see :func:`frequency_axis`). Where the kernel sits in its grid, and
        whether it is flipped (true convolution) or not (cross-correlation), changes only the
        phase, never this magnitude.

    Examples
    --------
    >>> r = frequency_response([[1, 2, 1]], n=4)
    >>> r[2]  # the row of zero vertical frequency: DC gain 4 in the middle, 0 at Nyquist
    array([0., 2., 4., 2.])
    """
    k2, _ = _kernel_2d(kernel, channel, "frequency response")
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"The grid size n must be a whole number, not {n!r}.")
    n = int(n)
    side = max(k2.shape)
    if not side <= n <= MAX_GRID:
        raise ValueError(
            f"The grid size n must be from {side} (the kernel's larger side) to {MAX_GRID}, "
            f"not {n}."
        )
    return np.abs(np.fft.fftshift(np.fft.fft2(k2, s=(n, n))))


def frequency_axis(n: int = 64) -> np.ndarray:
    """The frequencies, in cycles per pixel, of the rows (and columns) of a response grid.

    Examples
    --------
    >>> frequency_axis(4)
    array([-0.5 , -0.25,  0.  ,  0.25])
    """
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"The grid size n must be a positive whole number, not {n!r}.")
    return np.fft.fftshift(np.fft.fftfreq(int(n)))


@dataclass(frozen=True)
class ResponseSummary:
    """What a kernel does to frequencies, as numbers and as one sentence.

    ``kind`` is one of :data:`KINDS`. ``direction`` is ``None`` (about the same in every
    direction) or the direction the kernel works along: ``"left-right"``, ``"up-down"``,
    ``"top-left to bottom-right"``, ``"top-right to bottom-left"``; for a low-pass kernel
    the direction it smooths along, otherwise the direction of the changes it responds to.
    ``dc_gain`` is the sum of the weights (what a flat area is multiplied by), ``peak_gain``
    the largest response magnitude and ``peak_frequency`` its distance from zero frequency
    in cycles per pixel.
    """

    kind: str
    direction: str | None
    dc_gain: float
    peak_gain: float
    peak_frequency: float
    sentence: str


def _polar(k2: np.ndarray) -> np.ndarray:
    """``|H|`` at the polar samples: shape ``(angles, radii)``.

    One angle at a time: ``H = sum_ab k[a, b] exp(-2 pi i (fy a + fx b))`` as a small matrix
    product per angle (all angles at once would allocate large temporaries on every edit).
    """
    a, b = np.arange(k2.shape[0]), np.arange(k2.shape[1])
    out = np.empty((len(_ANGLES), len(_RADII)))
    for i, angle in enumerate(_ANGLES):
        rows = np.exp(-2j * np.pi * np.outer(_RADII * np.sin(angle), a))
        cols = np.exp(-2j * np.pi * np.outer(_RADII * np.cos(angle), b))
        out[i] = np.abs(np.sum((rows @ k2) * cols, axis=1))
    return out


def _axis(weights: np.ndarray) -> dict:
    """The direction the weights (one per sampled angle) lean to, named to the nearest 45 degrees.

    Angles are axial (0 and 180 degrees are one direction), so their mean is taken on doubled
    angles: two equal weights at mirrored angles average to the axis between them.
    """
    w = weights.astype(np.float64) ** 2
    angle = 0.5 * np.degrees(
        np.arctan2(np.sum(w * np.sin(2 * _ANGLES)), np.sum(w * np.cos(2 * _ANGLES)))
    )
    angle %= 180.0
    best = min(_DIRECTIONS, key=lambda d: min(abs(angle - d), 180 - abs(angle - d)))
    return _DIRECTIONS[best]


def _number(x: float) -> str:
    return f"{x:.3g}"


def _gain_clause(total: float, magnitude: float) -> str:
    """What the sum of the weights does to a flat area, as the end of a sentence."""
    if magnitude == 0.0 or abs(total) <= 1e-6 * magnitude:
        return "its weights sum to 0, so flat areas become 0 (it removes them)"
    g = _number(total)
    if abs(total - 1.0) <= 1e-4:
        return "its weights sum to 1, so it keeps brightness"
    if abs(total + 1.0) <= 1e-4:
        return "its weights sum to -1, so it keeps the strength of brightness but inverts it"
    if total > 1.0:
        return f"its weights sum to {g}, so flat areas come out {g} times as bright"
    if total > 0.0:
        return f"its weights sum to {g}, so flat areas come out darker ({g} of their brightness)"
    return f"its weights sum to {g}, so flat areas come out inverted ({g} times their brightness)"


def summed_channels(depth: int, reads: str = "picture") -> str:
    """How a sentence about a depth kernel's summed channels begins, for what the kernel reads:
    ``"picture"`` (a first layer) or ``"maps"`` (a later stage reads the maps before it)."""
    if reads == "picture":
        return f"On a grey picture (its {depth} channels summed)"
    if reads == "maps":
        return f"Where the {depth} maps it reads are equal (its {depth} channels summed)"
    raise ValueError(f"A kernel reads a picture or maps, not {reads!r}.")


def classify_response(
    kernel, *, channel: int | None = None, reads: str = "picture"
) -> ResponseSummary:
    """Sort a kernel by what it does to frequencies, and say so in one plain sentence.

    The rules, on the magnitude ``|H|`` of the kernel's response (``peak`` its largest value
    over the whole spectrum, at ``r*`` cycles per pixel; ``dc = |sum of weights|``):

    - ``zero``: every weight is zero.
    - ``all-pass``: ``|H|`` varies by at most 2 % of ``peak`` (a copy of the picture, perhaps
      shifted or scaled).
    - ``dc < 0.05 peak`` (flat areas vanish): ``high-pass`` if ``r* >= 0.15`` (the strongest
      response is to detail under about 7 pixels across, as for Sobel, Laplacian and
      Laplacian of Gaussian kernels), else ``band-pass``.
    - ``r* < 0.15``: ``low-pass`` if ``dc >= 0.7 peak``, else ``band-pass``.
    - otherwise (brightness kept, fine detail stronger): ``high-boost``, as for sharpening.

    Direction: the response is sampled every 5 degrees out to 0.5 cycles per pixel, and each
    direction's RMS response over all but the coarsest third of that band is its detail gain.
    A low-pass kernel is directional when one direction's detail gain is at most half of
    ``dc`` while another's is at least 70 % of it; it smooths along the mean direction of the
    losses ``dc - gain`` (otherwise it is a gentle low-pass when every direction keeps more
    than half). Any other kernel is directional when its weakest detail gain is below 40 % of
    its strongest; it works along the mean direction of the gains. Means are axial (weights
    squared, angles doubled), so mirrored directions average to the axis between them;
    directions are named to the nearest 45 degrees.

    A depth kernel is described by the sum of its channels (what it does to a grey picture, or
    to equal maps when it ``reads`` the ``"maps"`` of an earlier stage) unless ``channel`` picks
    one.

    Examples
    --------
    >>> classify_response([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]).kind
    'high-pass'
    >>> classify_response([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]).direction
    'left-right'
    """
    k2, depth = _kernel_2d(kernel, channel, "frequency description")
    prefix = summed_channels(depth or 1, reads)  # refuses a ``reads`` it does not know
    total = float(k2.sum())
    magnitude = float(np.abs(k2).sum())
    gain = _gain_clause(total, magnitude)
    if magnitude == 0.0:
        return ResponseSummary(
            "zero", None, 0.0, 0.0, 0.0, "Every weight is zero, so the map is zero everywhere."
        )
    n = max(64, 2 * max(k2.shape))
    grid = frequency_response(k2, n=n)
    peak = float(grid.max())
    dc = abs(total)
    # Where the peak is: the lowest frequency that reaches it (up to rounding), so that a
    # response as strong along a whole axis as at zero frequency peaks at zero frequency.
    f = frequency_axis(n)
    radius = np.hypot(f[:, None], f[None, :])
    r_peak = float(radius[grid >= peak * (1 - 1e-9)].min())
    polar = _polar(k2)
    direction = None

    def summary(kind: str, text: str) -> ResponseSummary:
        key = None if direction is None else direction["key"]
        if depth is not None:
            text = f"{prefix}: {text[0].lower()}{text[1:]}"
        return ResponseSummary(kind, key, total, peak, r_peak, f"{text}; {gain}.")

    if peak - float(grid.min()) <= _FLAT * peak:
        return summary(
            "all-pass",
            "All-pass: every frequency passes with the same strength, so nothing is blurred "
            "or sharpened",
        )
    # RMS response of each direction to everything but the coarsest shapes.
    detail = np.sqrt((polar[:, _DETAIL] ** 2).mean(axis=1))
    if r_peak < _FINE_PEAK and dc >= _KEEPS_DC * peak:
        if detail.min() <= _SMOOTHED * dc and detail.max() >= _KEPT * dc:
            direction = _axis(np.maximum(dc - detail, 0.0))
            return summary(
                "low-pass",
                f"Low-pass in one direction: {direction['smooth']} and {direction['keep']}",
            )
        if detail.min() > _SMOOTHED * dc:
            return summary("low-pass", "Gentle low-pass: softens the finest detail a little")
        return summary(
            "low-pass", "Low-pass: blurs, keeping coarse shapes and softening fine detail"
        )

    if detail.min() < _ANISOTROPY * detail.max():
        direction = _axis(detail)
    if dc < _NO_DC * peak and r_peak >= _FINE_PEAK:
        if direction is None:
            return summary(
                "high-pass", "High-pass: responds to edges and fine detail in every direction"
            )
        return summary(
            "high-pass", f"High-pass in one direction: responds to {direction['change']}"
        )
    if dc < _NO_DC * peak or r_peak < _FINE_PEAK:
        period = 1.0 / r_peak
        text = (
            f"Band-pass: responds most to detail about {period:.0f} pixels across, "
            "less to coarser shapes and to finer detail"
        )
        if direction is not None:
            text += f", mostly to {direction['change']}"
        return summary("band-pass", text)
    if direction is None:
        return summary(
            "high-boost",
            "High-boost (sharpening): keeps coarse shapes and boosts edges and fine detail",
        )
    return summary(
        "high-boost",
        f"High-boost in one direction: keeps coarse shapes and boosts {direction['change']}",
    )


def describe_response(kernel, *, channel: int | None = None) -> str:
    """One plain sentence on what the kernel does to frequencies and to brightness.

    See :func:`classify_response` for the rules.

    Examples
    --------
    >>> describe_response([[1, 1, 1], [1, 1, 1], [1, 1, 1]])
    'Low-pass: blurs, keeping coarse shapes and softening fine detail; its weights sum to 9, so flat areas come out 9 times as bright.'
    """
    return classify_response(kernel, channel=channel).sentence
