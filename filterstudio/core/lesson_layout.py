"""Where the lesson scene's grids go and what colour each cell is, for every medium that draws it.

The lesson scene is the padded input, the kernel (one grid per channel slice of a depth
kernel) and the feature map, left to right on one row of cells, with the window and the map
cell of the current step marked. The window (``gui/widgets/lesson_canvas.py``) and the exported
frames (:mod:`filterstudio.core.lesson_export`) scale it differently but place and colour it
from here, so the two pictures cannot drift apart. No Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .colors import RGB, pixel_rgb, ramp_rgb, weight_rgb
from .lesson import LessonPlan

__all__ = [
    "KERNEL_TINT",
    "GridCrop",
    "GridPlacement",
    "crop_around",
    "kernel_limit",
    "kernel_slices",
    "map_cell_rgb",
    "map_range",
    "place_grids",
    "scene_columns",
    "weight_cell_rgb",
    "window_cells",
]

#: How far towards its colour the largest weight of a kernel is tinted.
KERNEL_TINT = 0.75


def kernel_slices(plan: LessonPlan) -> list[np.ndarray]:
    """The kernel as 2-D grids: itself, or one per channel of a depth kernel."""
    k = plan.kernel
    return [k[:, :, c] for c in range(k.shape[2])] if k.ndim == 3 else [k]


def kernel_limit(plan: LessonPlan) -> float:
    """``max |K|``: the weight that gets the strongest tint (0 for an empty kernel)."""
    return float(np.abs(plan.kernel).max()) if plan.kernel.size else 0.0


def map_range(plan: LessonPlan) -> tuple[float, float]:
    """The values the map's colour ramp spans: ``(0, 1)`` for a map within it, else its range."""
    finite = plan.result[np.isfinite(plan.result)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 1.0
    if lo >= 0 and hi <= 1:
        return 0.0, 1.0
    return lo, hi


def weight_cell_rgb(w: float, limit: float, positive: RGB, negative: RGB) -> RGB:
    """The fill of a kernel cell holding ``w``."""
    return weight_rgb(w, limit, positive, negative, strength=KERNEL_TINT)


def map_cell_rgb(values, lo: float, hi: float, high: RGB) -> RGB:
    """The fill of a computed map cell: a colour cell as its RGB on ``[lo, hi]``, a grey map's
    cell on a ramp from white to ``high``."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim:
        return pixel_rgb((v - lo) / (hi - lo) if hi > lo else v * 0)
    return ramp_rgb(float(v), lo, hi, high)


@dataclass(frozen=True)
class GridPlacement:
    """Top-left corners of the scene's grids, in the drawing's own units."""

    input_xy: tuple[float, float]
    kernel_xys: tuple[tuple[float, float], ...]
    map_xy: tuple[float, float]
    right: float  # x of the map's right edge


def place_grids(
    plan: LessonPlan, *, left: float, top: float, cell: float, gap: float
) -> GridPlacement:
    """Put the input at ``(left, top)``, one empty cell, the kernel slices ``gap`` apart, two
    gaps, then the map, all with cells of side ``cell``.

    Examples
    --------
    >>> from filterstudio.core.lesson import LessonPlan
    >>> from filterstudio.model.bank import Filter, Layer
    >>> plan = LessonPlan(np.zeros((4, 4), np.float32), Filter("f", np.ones((3, 3))), Layer())
    >>> p = place_grids(plan, left=0, top=0, cell=10, gap=5)
    >>> p.input_xy, p.kernel_xys, p.map_xy, p.right
    ((0, 0), ((50, 0),), (90, 0), 110)
    """
    pw = plan.padded_image.shape[1]
    kw = plan.kernel.shape[1]
    ow = plan.geometry.out_hw[1]
    slices = len(kernel_slices(plan))
    kx = left + (pw + 1) * cell
    kernel_xys = tuple((kx + s * (kw * cell + gap), top) for s in range(slices))
    map_x = kx + slices * (kw * cell + gap) + gap
    return GridPlacement((left, top), kernel_xys, (map_x, top), map_x + ow * cell)


def scene_columns(plan: LessonPlan) -> float:
    """The scene's width in cells when the gaps are half a cell (as :func:`place_grids` puts
    them with ``gap = cell / 2``)."""
    pw = plan.padded_image.shape[1]
    kw = plan.kernel.shape[1]
    ow = plan.geometry.out_hw[1]
    slices = len(kernel_slices(plan))
    return pw + 1 + (slices * kw + (slices - 1) * 0.5) + 1 + ow


def window_cells(plan: LessonPlan, k: int) -> tuple[int, int, int, int]:
    """The kernel window of step ``k`` on the padded input grid: ``(col, row, cols, rows)``."""
    pt, pl = plan.pad_offset
    oy, ox = plan.geometry.window_origin(*plan.steps[k])
    keh, kew = plan.geometry.effective_kernel_hw
    return ox + pl, oy + pt, kew, keh


@dataclass(frozen=True)
class GridCrop:
    """The part of a grid that is drawn: ``rows`` x ``cols`` cells from ``(row0, col0)``."""

    row0: int
    col0: int
    rows: int
    cols: int
    total_rows: int
    total_cols: int

    @property
    def whole(self) -> bool:
        """Whether the crop is the whole grid."""
        return (self.rows, self.cols) == (self.total_rows, self.total_cols)

    def contains(self, r: int, c: int) -> bool:
        return self.row0 <= r < self.row0 + self.rows and self.col0 <= c < self.col0 + self.cols

    def cut_sides(self) -> tuple[bool, bool, bool, bool]:
        """Which sides cut the grid (more cells lie beyond): ``(top, right, bottom, left)``."""
        return (
            self.row0 > 0,
            self.col0 + self.cols < self.total_cols,
            self.row0 + self.rows < self.total_rows,
            self.col0 > 0,
        )


def crop_around(
    total_hw: tuple[int, int], focus: tuple[int, int, int, int], room_hw: tuple[int, int]
) -> GridCrop:
    """The part of a ``total_hw`` grid at most ``room_hw`` cells large that holds the block
    ``focus = (row, col, rows, cols)``, centred on it as far as the grid's edges allow.

    A block larger than the room keeps its top-left corner in view.

    Examples
    --------
    >>> crop_around((12, 16), (5, 9, 3, 3), (6, 8))
    GridCrop(row0=3, col0=6, rows=6, cols=8, total_rows=12, total_cols=16)
    >>> crop_around((12, 16), (0, 14, 3, 2), (6, 8)).col0
    8
    """

    def span(total: int, start: int, size: int, room: int) -> tuple[int, int]:
        room = max(1, min(int(room), int(total)))
        first = start + size / 2 - room / 2
        first = int(max(0, min(math.floor(first), total - room)))
        if size > room:
            first = int(max(0, min(start, total - room)))
        return first, room

    th, tw = int(total_hw[0]), int(total_hw[1])
    r0, rows = span(th, int(focus[0]), int(focus[2]), room_hw[0])
    c0, cols = span(tw, int(focus[1]), int(focus[3]), room_hw[1])
    return GridCrop(r0, c0, rows, cols, th, tw)
