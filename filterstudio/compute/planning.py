"""How much of a map to compute first, and how to make its display copy: pure numpy decisions.

A map with more cells than its panel has pixels is answered twice: first an exact strided
preview (stride times ``f``, the same top-left padding: every ``f``-th cell of the real map),
then the full map once its filter has been left alone for :data:`SETTLE_SECONDS`. Display copies
are 8-bit, sized to the panels, and keep the full map's exact limits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np

from ..core import display
from ..core.geometry import MapGeometry
from ..model.bank import Layer
from .requests import ComputeResult, Request, answer

__all__ = [
    "PREVIEW_CELLS",
    "SETTLE_SECONDS",
    "STATS_CELLS",
    "display_copy",
    "preview_cells",
    "preview_factor",
    "preview_layer",
    "value_range",
]

#: Maps with more output cells than this are shown first as an exact strided preview.
PREVIEW_CELLS = 600_000
#: How long a filter must stay unedited before its full-resolution map is computed.
SETTLE_SECONDS = 0.12
#: At most this many cells of a display copy are read for its statistics.
STATS_CELLS = 400_000


def preview_factor(out_hw: tuple[int, int], max_cells: int = PREVIEW_CELLS) -> int:
    """Whole subsampling factor that brings a map of ``out_hw`` under ``max_cells`` cells."""
    cells = out_hw[0] * out_hw[1]
    if cells <= max_cells:
        return 1
    return int(np.ceil(np.sqrt(cells / max_cells)))


def preview_cells(max_display_side: int) -> int:
    """A preview needs about as many cells as its panel has pixels, and no more than the cap."""
    return min(PREVIEW_CELLS, max(160_000, max_display_side**2 * 3 // 4))


def preview_layer(layer: Layer, geometry: MapGeometry, f: int) -> Layer:
    """The layer whose map is exactly every ``f``-th cell of ``layer``'s map (see ``geometry``).

    Same top/left padding and a stride ``f`` times larger put the preview's cell ``(i, j)``
    exactly on the full map's cell ``(f*i, f*j)``; only a last row or column that reads the
    extra bottom/right padding of "same" can be missing.
    """
    return Layer(
        stride=(layer.stride[0] * f, layer.stride[1] * f),
        padding=(geometry.pad_top, geometry.pad_left),
        border=layer.border,
        cval=layer.cval,
        dilation=layer.dilation,
        channel_mode=layer.channel_mode,
    )


def previewed(req, geometry: Callable[[], MapGeometry]):
    """``req`` with the preview factor its map calls for; as it is when ``geometry()`` fails."""
    try:
        geo = geometry()
    except ValueError:
        return req
    if 0 in geo.out_hw:
        return req
    f = preview_factor(geo.out_hw, preview_cells(req.max_display_side))
    return replace(req, preview=f) if f > 1 else req


def value_range(values: np.ndarray) -> tuple[float, float]:
    """``(min, max)`` of a map: one OpenCV pass that lets the GUI thread run meanwhile."""
    flat = values.reshape(values.shape[0], -1) if values.ndim >= 2 else values.reshape(1, -1)
    if values.size and values.dtype == np.float32 and flat.strides[-1] == values.itemsize:
        lo, hi, _, _ = cv2.minMaxLoc(flat)
        if math.isfinite(lo) and math.isfinite(hi):
            return float(lo), float(hi)
    return float(values.min()), float(values.max())


def display_copy(
    values: np.ndarray, mapping: str, colormap: str | None, max_side: int, limits=None
):
    """8-bit display pixels (downscaled for large maps) and stats for a float map.

    ``limits`` are the full map's (min, max) when ``values`` is already a preview of it.
    """
    small = display.downscale_for_display(values, max_side, whole_factor=True)
    lo, hi = value_range(values) if limits is None else limits
    pixels = display.to_uint8(small, mapping, colormap=colormap, limits=(lo, hi))
    step = max(1, int(np.ceil(np.sqrt(small.shape[0] * small.shape[1] / STATS_CELLS))))
    stats = display.map_stats(small[::step, ::step], exact_limits=(lo, hi))
    return pixels, stats


def map_answer(
    req: Request, start: float, geometry: MapGeometry, values: np.ndarray, *, recomputed: bool
) -> ComputeResult:
    """The answer carrying the exact map ``values`` of ``req`` and its display copy."""
    pixels, stats = display_copy(values, req.mapping, req.colormap, req.max_display_side)
    return answer(
        req,
        start,
        geometry,
        values=values,
        pixels=pixels,
        stats=stats,
        recomputed=recomputed,
        full_hw=values.shape[:2],
    )
