"""Turn float feature maps into 8-bit pixels: the SPEC mappings, colour maps, bars and stats."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from .readonly import read_only
from .vocabulary import MAPPINGS  # listed in __all__: display.MAPPINGS keeps working

__all__ = [
    "COLORMAPS",
    "DEFAULT_DIVERGING",
    "DIVERGING_COLORMAPS",
    "MAPPINGS",
    "MapStats",
    "colorbar",
    "colorbar_ticks",
    "colormap_lut",
    "diverging_limit",
    "downscale_for_display",
    "map_stats",
    "to_uint8",
]

# Display names and the fully namespaced cmap names behind them (a bare name such as "coolwarm"
# is ambiguous in cmap's catalogue and makes it print a warning).
_SEQUENTIAL = {
    "gray": "matlab:gray",
    "viridis": "bids:viridis",
    "magma": "bids:magma",
    "inferno": "bids:inferno",
    "plasma": "bids:plasma",
    "cividis": "cividis:cividis",
    "turbo": "google:turbo",
}
_DIVERGING = {
    "RdBu_r": "colorbrewer:RdBu_r",
    "coolwarm": "matplotlib:coolwarm",
    "bwr": "matplotlib:bwr",
    "PuOr_r": "colorbrewer:PuOr_r",
    "vik": "crameri:vik",
}
COLORMAPS: tuple[str, ...] = tuple(_SEQUENTIAL)
DIVERGING_COLORMAPS: tuple[str, ...] = tuple(_DIVERGING)
# The default diverging map is Crameri's vik (Scientific colour maps, Crameri, Shephard and
# Heron 2020): dark blue through white to dark red-brown, built so that equal steps in value
# are equal steps in perceived colour and so that it stays readable with red-green or
# blue-yellow colour blindness (its two halves differ in hue along the blue-yellow axis that
# those viewers keep, and in lightness). White sits at its centre and its halves are mirror
# images in lightness, as the SPEC's diverging mapping (centred on 0, symmetric around max
# abs) needs. RdBu_r, the old default, is built from eleven ColorBrewer classes and its steps
# are uneven (tests/core/test_display.py measures both).
DEFAULT_DIVERGING = "vik"
_BY_LOWER = {name.lower(): name for name in COLORMAPS + DIVERGING_COLORMAPS}
_DIVERGING_STEPS = 255  # odd, so that one entry sits exactly on the map's centre
# OpenCV applies gains in float32; above this a gain times a value may overflow it.
_SAFE_GAIN = 1e30


def _canonical(name: str) -> str:
    key = str(name).strip().lower()
    if key == "grey":
        key = "gray"
    if key not in _BY_LOWER:
        raise ValueError(
            f"Unknown colour map {name!r}; choose one of "
            f"{', '.join(COLORMAPS + DIVERGING_COLORMAPS)}."
        )
    return _BY_LOWER[key]


def _lut_from_cmap(name: str, n: int) -> np.ndarray:
    from cmap import Colormap  # imported on first use: it is slow to import

    full = {**_SEQUENTIAL, **_DIVERGING}[name]
    # Sampled at n evenly spaced points from end to end: Colormap.lut(n) returns a listed map's
    # own 256 entries whatever n is (vik), and samples others off the ends' exact colours.
    rgba = np.asarray(Colormap(full)(np.linspace(0.0, 1.0, n)), dtype=np.float64)
    lut = np.rint(np.clip(rgba[:, :3], 0.0, 1.0) * 255.0).astype(np.uint8)
    lut.setflags(write=False)
    return lut


@functools.cache
def colormap_lut(name: str) -> np.ndarray:
    """The colour map ``name`` as a read-only ``(256, 3)`` uint8 RGB lookup table.

    Parameters
    ----------
    name : str
        One of :data:`COLORMAPS` or :data:`DIVERGING_COLORMAPS` (case does not matter).

    Examples
    --------
    >>> colormap_lut("gray")[[0, 255]].tolist()
    [[0, 0, 0], [255, 255, 255]]
    """
    return _lut_from_cmap(_canonical(name), 256)


@functools.cache
def _diverging_lut(name: str) -> np.ndarray:
    """``(256, 3)``: 255 samples of a diverging map, entry 127 its exact centre, 255 = 254."""
    lut = np.empty((256, 3), dtype=np.uint8)
    lut[:_DIVERGING_STEPS] = _lut_from_cmap(name, _DIVERGING_STEPS)
    lut[_DIVERGING_STEPS:] = lut[_DIVERGING_STEPS - 1]
    lut.setflags(write=False)
    return lut


def _diverging_name(colormap: str | None) -> str:
    if colormap is not None:
        name = _canonical(colormap)
        if name in _DIVERGING:
            return name
    return DEFAULT_DIVERGING


def _as_float32(values) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype != np.float32:
        arr = arr.astype(np.float32)
    if arr.ndim not in (2, 3):
        raise ValueError(f"A feature map is 2-D or 3-D; this one has {arr.ndim} dimensions.")
    return _rows_contiguous(arr)


def _rows_contiguous(arr: np.ndarray) -> np.ndarray:
    """``arr`` itself if OpenCV takes it without a copy (each row contiguous), else a copy.

    convolve's "valid" maps are views of a larger filtered array (rows of the full width), and
    copying one costs more than mapping it to 8 bits: OpenCV takes any row stride as it is.
    """
    if arr.flags.c_contiguous:
        return arr
    item = arr.itemsize
    rows_ok = arr.strides[-1] == item and arr.strides[0] >= item * arr.shape[-1]
    if arr.ndim == 3:
        rows_ok = rows_ok and arr.strides[1] == item * arr.shape[2]
        rows_ok = rows_ok and arr.strides[0] >= arr.strides[1] * arr.shape[1]
    return arr if rows_ok else np.ascontiguousarray(arr)


def _scaled_uint8(arr: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """``saturate(round(arr * alpha + beta))`` as uint8 in one OpenCV pass (round half to even)."""
    out = cv2.addWeighted(arr, alpha, arr, 0.0, beta, dtype=cv2.CV_8U)
    return out.reshape(arr.shape)


def _apply_lut(gray: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """RGB ``(H, W, 3)`` from a uint8 ``(H, W)`` through a ``(256, 3)`` table."""
    src = np.ascontiguousarray(gray)
    # Three single-channel lookups merged: faster than one lookup on a replicated RGB image.
    return cv2.merge([cv2.LUT(src, np.ascontiguousarray(lut[:, c])) for c in range(3)])


def _channel_mean(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 2:
        return arr
    c = arr.shape[2]
    if c == 1:
        return arr[:, :, 0]
    if c <= 4:
        weights = np.full((1, c), 1.0 / c, dtype=np.float32)
        return cv2.transform(arr, weights).reshape(arr.shape[:2])
    return arr.mean(axis=2, dtype=np.float32)


def _finite_range(arr: np.ndarray) -> tuple[float, float]:
    lo, hi = float(np.min(arr)), float(np.max(arr))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        finite = arr[np.isfinite(arr)]
        if finite.size == 0:
            return 0.0, 0.0
        lo, hi = float(finite.min()), float(finite.max())
    return lo, hi


def diverging_limit(values) -> float:
    """``max |v|`` over the map: the value drawn at both ends of a diverging colour bar.

    Returns 0.0 for an empty or all-zero map.
    """
    arr = np.asarray(values)
    if arr.size == 0:
        return 0.0
    lo, hi = _finite_range(arr)
    return max(abs(lo), abs(hi))


def _limits(limits) -> tuple[float, float] | None:
    if limits is None:
        return None
    lo, hi = (float(x) for x in limits)
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
        raise ValueError("Display limits must be two finite numbers, the smaller first.")
    return lo, hi


def to_uint8(
    values,
    mapping: str,
    *,
    colormap: str | None = None,
    limits: tuple[float, float] | None = None,
) -> np.ndarray:
    """An 8-bit picture of a float feature map, exactly as SPEC.md's table says.

    Parameters
    ----------
    values : array_like
        ``(H, W)`` or ``(H, W, C)`` floats.
    mapping : str
        ``clip``: ``round(clip(v, 0, 1) * 255)``; ``minmax``: ``round((v - min) / (max - min)
        * 255)`` over the whole map, all channels together (a constant map gives 0);
        ``abs``: ``round(clip(|v|, 0, 1) * 255)``; ``offset``: ``round(clip(v + 0.5, 0, 1) * 255)``
        (zero is mid-grey); ``diverging``: a diverging colour map centred on 0 and symmetric
        around ``max |v|``. Rounding is half to even.
    colormap : str, optional
        For ``diverging``: one of :data:`DIVERGING_COLORMAPS` (any other name, or ``None``, uses
        :data:`DEFAULT_DIVERGING`). For the other mappings: a colour map from :data:`COLORMAPS` or
        :data:`DIVERGING_COLORMAPS` laid over a single-channel result; ``None`` or ``"gray"``
        keeps the single channel. A map with several channels keeps its own colours.
    limits : (float, float), optional
        The ``(min, max)`` to use instead of the map's own, for ``minmax`` and ``diverging``
        (which uses ``max(|min|, |max|)``). Pass the full map's extremes when converting a
        downscaled copy, so the picture matches the exact map. Other mappings ignore it.

    Returns
    -------
    numpy.ndarray
        uint8: the shape of ``values`` for ``clip``, ``minmax``, ``abs`` and ``offset`` without a
        colour map; ``(H, W, 3)`` RGB for ``diverging`` and for a colour map. ``diverging`` shows
        a multi-channel map through the mean of its channels.

    Examples
    --------
    >>> to_uint8([[-0.5, 0.0, 0.5, 2.0]], "clip").tolist()
    [[0, 0, 128, 255]]
    >>> to_uint8([[-0.5, 0.0, 0.5, 2.0]], "offset").tolist()
    [[0, 128, 255, 255]]
    """
    if mapping not in MAPPINGS:
        raise ValueError(
            f"Unknown display mapping {mapping!r}; choose one of {', '.join(MAPPINGS)}."
        )
    arr = _as_float32(values)
    if mapping == "diverging":
        lut = _diverging_lut(_diverging_name(colormap))
        flat = _channel_mean(arr)
        given = _limits(limits)
        limit = max(abs(given[0]), abs(given[1])) if given else diverging_limit(flat)
        half = (_DIVERGING_STEPS - 1) / 2  # 127: the centre entry
        if flat.size == 0:
            return np.zeros(flat.shape + (3,), dtype=np.uint8)
        if limit > 0 and half / limit > _SAFE_GAIN:
            # A map of tiny values: divide first (float64) so the gain cannot overflow float32.
            flat, limit = (flat / np.float64(limit)).astype(np.float32), 1.0
        alpha = half / limit if limit > 0 else 0.0
        return _apply_lut(_scaled_uint8(flat, alpha, half), lut)

    if arr.size == 0:
        out = np.zeros(arr.shape, dtype=np.uint8)
    elif mapping == "clip":
        out = _scaled_uint8(arr, 255.0, 0.0)
    elif mapping == "offset":
        out = _scaled_uint8(arr, 255.0, 127.5)
    elif mapping == "abs":
        # convertScaleAbs is saturate(round(|v * 255|)): the clip to [0, 1] comes from saturation.
        out = cv2.convertScaleAbs(arr, alpha=255.0).reshape(arr.shape)
    else:  # minmax
        lo, hi = _limits(limits) or _finite_range(arr)
        if hi > lo and 255.0 / (hi - lo) > _SAFE_GAIN:
            # A nearly constant map: subtract and divide first (float64), then scale.
            unit = ((arr - np.float64(lo)) / (hi - lo)).astype(np.float32)
            out = _scaled_uint8(unit, 255.0, 0.0)
        elif hi > lo:
            alpha = 255.0 / (hi - lo)
            out = _scaled_uint8(arr, alpha, -lo * alpha)
        else:
            out = np.zeros(arr.shape, dtype=np.uint8)

    if colormap is None or out.ndim == 3 and out.shape[2] != 1:
        return out
    name = _canonical(colormap)
    if name == "gray":
        return out
    gray = out.reshape(out.shape[:2])
    return _apply_lut(gray, colormap_lut(name))


def colorbar(
    colormap: str | None, length: int = 256, vertical: bool = True, *, thickness: int = 1
) -> np.ndarray:
    """The colour bar of a colour map as a uint8 RGB picture.

    Parameters
    ----------
    colormap : str or None
        A name from :data:`COLORMAPS` or :data:`DIVERGING_COLORMAPS`; ``None`` is ``"gray"``.
        A diverging map uses the same table as ``to_uint8(..., "diverging")``.
    length : int
        Pixels along the bar.
    vertical : bool
        ``True``: shape ``(length, thickness, 3)`` with the high end at the top (row 0).
        ``False``: shape ``(thickness, length, 3)`` with the low end at the left.
    thickness : int
        Pixels across the bar.

    Notes
    -----
    :func:`colorbar_ticks` gives positions measured from the low end, so on a vertical bar a
    tick at position ``p`` belongs at row ``(1 - p) * (length - 1)``.
    """
    length, thickness = int(length), int(thickness)
    if length < 1 or thickness < 1:
        raise ValueError("A colour bar needs a length and a thickness of at least 1 pixel.")
    name = "gray" if colormap is None else _canonical(colormap)
    if name in _DIVERGING:
        table, last = _diverging_lut(name), _DIVERGING_STEPS - 1
    else:
        table, last = colormap_lut(name), 255
    idx = np.rint(np.linspace(0.0, last, length)).astype(np.intp)
    strip = table[idx]  # (length, 3), low to high
    if vertical:
        return np.ascontiguousarray(np.repeat(strip[::-1, None, :], thickness, axis=1))
    return np.ascontiguousarray(np.repeat(strip[None, :, :], thickness, axis=0))


def _label(x: float) -> str:
    text = f"{x:.3g}"
    return "0" if text in ("-0", "0") else text


def colorbar_ticks(mapping: str, values) -> list[tuple[float, str]]:
    """Tick marks for the colour bar of ``mapping`` applied to ``values``.

    Returns
    -------
    list of (float, str)
        ``(position, label)`` with ``position`` from 0 (the low end of the bar) to 1 (the high
        end), and the map value drawn there.

    Examples
    --------
    >>> colorbar_ticks("offset", [[0.0]])
    [(0.0, '-0.5'), (0.5, '0'), (1.0, '0.5')]
    """
    if mapping not in MAPPINGS:
        raise ValueError(
            f"Unknown display mapping {mapping!r}; choose one of {', '.join(MAPPINGS)}."
        )
    if mapping == "clip":
        return [(0.0, "0"), (0.5, "0.5"), (1.0, "1")]
    if mapping == "abs":
        return [(0.0, "0"), (0.5, "\u00b10.5"), (1.0, "\u00b11")]
    if mapping == "offset":
        return [(0.0, "-0.5"), (0.5, "0"), (1.0, "0.5")]
    arr = np.asarray(values, dtype=np.float32)
    if arr.size == 0:
        return []
    if mapping == "diverging":
        if arr.ndim == 3:
            arr = _channel_mean(np.ascontiguousarray(arr))
        limit = diverging_limit(arr)
        if limit == 0:
            return [(0.5, "0")]
        return [(0.0, _label(-limit)), (0.5, "0"), (1.0, _label(limit))]
    lo, hi = _finite_range(arr)
    if hi <= lo:
        return [(0.0, _label(lo))]
    return [(0.0, _label(lo)), (0.5, _label((lo + hi) / 2)), (1.0, _label(hi))]


@dataclass(frozen=True, eq=False)
class MapStats:
    """Summary numbers of a feature map (all channels together).

    Attributes
    ----------
    min, max, mean : float
        Over the finite values; 0.0 for an empty map.
    negative_fraction : float
        Share of values below zero, 0 to 1.
    histogram : numpy.ndarray
        int64 counts, one per bin (read-only).
    edges : numpy.ndarray
        float64 bin edges, ``bins + 1`` of them (read-only). A constant map gets the bins of
        ``value - 0.5 .. value + 0.5`` with every count in the middle bin, as ``numpy.histogram``.
    count : int
        Number of values.
    """

    min: float
    max: float
    mean: float
    negative_fraction: float
    histogram: np.ndarray
    edges: np.ndarray
    count: int = 0


def map_stats(
    values, bins: int = 32, *, exact_limits: tuple[float, float] | None = None
) -> MapStats:
    """Minimum, maximum, mean, share of negatives and a histogram of a feature map.

    Exact over every value; for a live readout of a very large map, pass the output of
    :func:`downscale_for_display` instead (the histogram's shape hardly changes) together
    with ``exact_limits``.

    Parameters
    ----------
    values : array_like
        The map, any shape; all channels count together.
    bins : int
        Number of histogram bins.
    exact_limits : (float, float), optional
        The full map's ``(min, max)`` when ``values`` is a downscaled copy: reported as ``min``
        and ``max`` and used as the histogram's range, so the numbers shown are exact.

    Examples
    --------
    >>> s = map_stats([[-1.0, 0.0], [1.0, 2.0]], bins=3)
    >>> s.min, s.max, s.mean, s.negative_fraction, s.histogram.tolist()
    (-1.0, 2.0, 0.5, 0.25, [1, 1, 2])
    """
    bins = int(bins)
    if bins < 1:
        raise ValueError("A histogram needs at least 1 bin.")
    arr = np.asarray(values)
    if arr.dtype != np.float32:
        arr = arr.astype(np.float32)
    arr = np.ascontiguousarray(arr)
    if arr.size == 0:
        return MapStats(
            0.0,
            0.0,
            0.0,
            0.0,
            read_only(np.zeros(bins, dtype=np.int64)),
            read_only(np.linspace(0.0, 1.0, bins + 1)),
            0,
        )
    # One single-channel 2-D view of every value: what cv2 reductions want.
    flat = arr.reshape(arr.shape[0], -1) if arr.ndim >= 2 else arr.reshape(1, -1)
    lo, hi = float(np.min(arr)), float(np.max(arr))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        flat = np.ascontiguousarray(arr[np.isfinite(arr)]).reshape(1, -1)
        lo, hi = (float(flat.min()), float(flat.max())) if flat.size else (0.0, 0.0)
    given = _limits(exact_limits)
    if given is not None:
        lo, hi = given
    n = flat.size
    mean = float(cv2.mean(flat)[0]) if n else 0.0
    negative = float(np.count_nonzero(flat < 0)) / n if n else 0.0
    hist = np.zeros(bins, dtype=np.int64)
    if n == 0:
        edges = np.linspace(0.0, 1.0, bins + 1)
    elif hi > lo:
        edges = np.linspace(lo, hi, bins + 1)
        # Each value's bin, floor((v - lo) / width), as small whole numbers counted by OpenCV:
        # several times quicker than cv2.calcHist on floats. Clipping puts the maximum (the top
        # edge is inclusive, as numpy's is) in the last bin, and keeps the values that area
        # averaging lands a hair outside the full map's range.
        where = np.subtract(flat, np.float32(lo), dtype=np.float32)
        where *= np.float32(bins / (hi - lo))
        np.clip(where, 0, bins - 1, out=where)
        index = where.astype(np.uint8 if bins <= 256 else np.uint16)
        counts = cv2.calcHist([index], [0], None, [bins], [0, bins]).ravel()
        hist[:] = np.rint(counts).astype(np.int64)
    else:
        edges = np.linspace(lo - 0.5, lo + 0.5, bins + 1)
        hist[bins // 2] = n
    return MapStats(lo, hi, mean, negative, read_only(hist), read_only(edges), int(arr.size))


def downscale_for_display(
    values: np.ndarray, max_side: int, *, whole_factor: bool = False
) -> np.ndarray:
    """The map shrunk (area averaging) so that its longer side is at most ``max_side``.

    Values stay floats, so any mapping can be applied afterwards. A map that already fits is
    returned as it is (the same object).

    Parameters
    ----------
    values : numpy.ndarray
        ``(H, W)`` or ``(H, W, C)`` values.
    max_side : int
        The longest side the result may have (at least 1).
    whole_factor : bool
        Average blocks of ``f x f`` values, ``f`` the smallest whole factor that fits: OpenCV's
        fast path, several times quicker on a 12-megapixel map, reading the map in place
        without a copy; the last ``f - 1`` rows or columns at most are left out, well under a
        screen pixel at that size. Without it, the result is exactly ``max_side`` long.

    Examples
    --------
    >>> downscale_for_display(np.ones((10, 7), np.float32), 4).shape
    (4, 3)
    >>> downscale_for_display(np.ones((10, 7), np.float32), 4, whole_factor=True).shape
    (3, 2)
    """
    arr = np.asarray(values)
    max_side = int(max_side)
    if max_side < 1:
        raise ValueError("The largest display side must be at least 1 pixel.")
    h, w = arr.shape[:2]
    if max(h, w) <= max_side or h == 0 or w == 0:
        return values if isinstance(values, np.ndarray) else arr
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    if whole_factor:
        f = -(-max(h, w) // max_side)
        nh, nw = h // f, w // f
        # The crop is a view: OpenCV reads its rows in place, no copy of a 12 MP map. It reads
        # at most four interleaved channels in place.
        src = arr[: nh * f, : nw * f]
        if arr.ndim == 3 and arr.shape[2] > 4:
            src = np.ascontiguousarray(src)
    else:
        factor = max_side / max(h, w)
        nh, nw = max(1, round(h * factor)), max(1, round(w * factor))
        src = np.ascontiguousarray(arr)
    out = cv2.resize(src, (nw, nh), interpolation=cv2.INTER_AREA)
    return out.reshape((nh, nw) + arr.shape[2:])
