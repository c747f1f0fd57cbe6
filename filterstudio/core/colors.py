"""Colour arithmetic on 8-bit RGB triples: mixing, tints for weights and values, readable ink.

Everything that draws cells (the lesson on screen and in exported frames, the kernel grid, the
values written over a zoomed map) picks its fills and text colours here; the Qt side only turns
the triples into ``QColor``. Plain Python and numpy, no Qt.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "RGB",
    "WHITE",
    "contrast_ink",
    "ink_on",
    "luma",
    "mix",
    "pixel_rgb",
    "ramp_rgb",
    "relative_luminance",
    "weight_rgb",
]

RGB = tuple[int, int, int]

WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)
#: Luma above which dark ink reads better than white (on a 0..255 scale).
LIGHT_FILL_LUMA = 140


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """``a`` moved a share ``t`` (clamped to ``[0, 1]``) of the way to ``b``, rounded.

    Examples
    --------
    >>> mix((255, 255, 255), (0, 0, 100), 0.5)
    (128, 128, 178)
    """
    t = min(max(float(t), 0.0), 1.0)
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def luma(rgb) -> float:
    """Rec. 601 luma of an 8-bit RGB triple (or of a grey level given as one number)."""
    v = np.atleast_1d(rgb)
    if v.size >= 3:
        return 0.299 * float(v[0]) + 0.587 * float(v[1]) + 0.114 * float(v[2])
    return float(v[0])


def ink_on(fill, dark: RGB, light: RGB = WHITE) -> RGB:
    """``dark`` text on a light ``fill`` (luma above :data:`LIGHT_FILL_LUMA`), else ``light``.

    ``fill`` is an RGB triple or a grey level; a fill exactly at the threshold gets ``light``.
    """
    return dark if luma(fill) > LIGHT_FILL_LUMA else light


def relative_luminance(rgb: RGB) -> float:
    """WCAG relative luminance of an sRGB triple, from 0 (black) to 1 (white)."""

    def lin(c: int) -> float:
        s = c / 255.0
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ink(fill: RGB) -> RGB:
    """Black or white, whichever has the larger WCAG contrast ratio against ``fill``."""
    lum = relative_luminance(fill)
    return BLACK if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else WHITE


def pixel_rgb(values) -> RGB:
    """The colour a pixel of the picture shows: one value in ``[0, 1]`` as grey, or RGB.

    NaN counts as 0 and values are clipped to ``[0, 1]``.

    Examples
    --------
    >>> pixel_rgb(0.5), pixel_rgb([1.0, 0.0, 2.0])
    ((128, 128, 128), (255, 0, 255))
    """
    v = np.clip(np.nan_to_num(np.atleast_1d(np.asarray(values, dtype=np.float64))), 0.0, 1.0)
    if v.size >= 3:
        return round(v[0] * 255), round(v[1] * 255), round(v[2] * 255)
    g = round(v[0] * 255)
    return g, g, g


def weight_rgb(
    w: float, limit: float, positive: RGB, negative: RGB, *, strength: float = 1.0
) -> RGB:
    """The tint of a kernel weight: white at 0 towards ``positive`` or ``negative``.

    Parameters
    ----------
    w : float
        The weight.
    limit : float
        ``max |K|`` of the kernel: a weight of that size gets the full ``strength``; a limit
        of 0 or less gives white.
    positive, negative : RGB
        The colours of positive and of negative (and zero) weights.
    strength : float
        The share of the way to the colour that the largest weight goes.

    Examples
    --------
    >>> weight_rgb(-1.0, 2.0, (255, 0, 0), (0, 0, 255))
    (128, 128, 255)
    """
    if limit <= 0:
        return WHITE
    t = min(abs(float(w)) / limit, 1.0) * strength
    return mix(WHITE, positive if w > 0 else negative, t)


def ramp_rgb(value: float, lo: float, hi: float, high: RGB) -> RGB:
    """White at ``lo`` to ``high`` at ``hi`` (white everywhere when ``hi <= lo``)."""
    t = (float(value) - lo) / (hi - lo) if hi > lo else 0.0
    return mix(WHITE, high, t)
