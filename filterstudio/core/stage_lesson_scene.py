"""One step of a stage lesson as a drawing: grids of numbered cells, outlines, lines and text.

The window (``gui/widgets/scene_canvas.py``) and the exported frames
(:mod:`filterstudio.core.scene_render`) both draw the :class:`Scene` of a step, each at its own
scale, so they show the same thing. Units are grid cells: a cell is 1 x 1, text sizes are in
cells, line widths in pixels at any scale. No Qt.

A pooling step: the map read (its padding tinted), the window and its winning cell, the pooled
map filling in. A conv step over several maps: each map with its kernel slice beside it and the
window on every map, then "Σ" and the output map filling in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .colors import RGB, ink_on, ramp_rgb, weight_rgb
from .stage_lesson import MapsLessonPlan, PoolLessonPlan, StageLessonPlan

__all__ = ["Cell", "Frame", "Scene", "Segment", "Text", "stage_scene"]

INK: RGB = (25, 25, 25)
GRID: RGB = (160, 160, 160)
WINDOW: RGB = (220, 30, 30)
WINNER: RGB = (0, 160, 60)
PAD_FILL: RGB = (255, 226, 190)
PAD_INK: RGB = (150, 80, 0)
POSITIVE: RGB = (40, 90, 200)
NEGATIVE: RGB = (210, 60, 40)
MAP_HIGH: RGB = (20, 40, 120)
EMPTY: RGB = (245, 245, 245)
#: Text sizes, in cells.
TITLE = 0.62
EQUATION = 0.5
LINE = 0.72


@dataclass(frozen=True)
class Cell:
    """A 1 x 1 cell at ``(x, y)``, filled, with its number in the middle."""

    x: float
    y: float
    fill: RGB
    text: str = ""
    ink: RGB = INK


@dataclass(frozen=True)
class Frame:
    """An outline ``w x h`` at ``(x, y)``; ``width`` in pixels; ``fill`` an RGBA tint or None."""

    x: float
    y: float
    w: float
    h: float
    color: RGB
    width: float = 2.0
    dashed: bool = False
    fill: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class Segment:
    x0: float
    y0: float
    x1: float
    y1: float
    color: RGB
    width: float = 1.5
    dashed: bool = True


@dataclass(frozen=True)
class Text:
    """Text whose baseline starts at ``(x, y)``; ``size`` in cells."""

    x: float
    y: float
    text: str
    size: float = TITLE
    ink: RGB = INK
    bold: bool = False
    mono: bool = False


@dataclass(frozen=True)
class Scene:
    """Everything one step draws, ``width x height`` cells; ``output`` is the output grid's
    ``(x, y, rows, cols)`` (a click there picks a step)."""

    width: float
    height: float
    cells: tuple[Cell, ...]
    frames: tuple[Frame, ...]
    segments: tuple[Segment, ...]
    texts: tuple[Text, ...]
    output: tuple[float, float, int, int]

    def output_cell(self, x: float, y: float) -> tuple[int, int] | None:
        """The output cell at scene point ``(x, y)``, or None."""
        ox, oy, rows, cols = self.output
        i, j = math.floor(y - oy), math.floor(x - ox)
        return (i, j) if 0 <= i < rows and 0 <= j < cols else None


class _Builder:
    def __init__(self, plan: StageLessonPlan) -> None:
        self.plan = plan
        self.cells: list[Cell] = []
        self.frames: list[Frame] = []
        self.segments: list[Segment] = []
        self.texts: list[Text] = []
        vals = np.concatenate([m.ravel() for m in plan.inputs] + [plan.result.ravel()])
        finite = vals[np.isfinite(vals)]
        self.lo = float(finite.min()) if finite.size else 0.0
        self.hi = float(finite.max()) if finite.size else 1.0

    def value_cell(self, x: float, y: float, v: float) -> None:
        fill = ramp_rgb(v, self.lo, self.hi, MAP_HIGH) if np.isfinite(v) else EMPTY
        self.cells.append(Cell(x, y, fill, self.plan.number_form.cell_text(float(v)), ink_on(fill, INK)))

    def padded_grid(self, x: float, y: float, padded: np.ndarray, pad: tuple[int, int],
                    inner_hw: tuple[int, int], pad_text: str | None = None) -> None:  # fmt: skip
        """A map with ``pad`` rows/columns of padding around ``inner_hw`` (padding tinted)."""
        py, px = pad
        h, w = inner_hw
        for r in range(padded.shape[0]):
            for c in range(padded.shape[1]):
                inside = py <= r < py + h and px <= c < px + w
                v = float(padded[r, c])
                if inside:
                    self.value_cell(x + c, y + r, v)
                else:
                    text = pad_text if pad_text is not None else self.plan.number_form.cell_text(v)
                    self.cells.append(Cell(x + c, y + r, PAD_FILL, text, PAD_INK))
        self.frames.append(Frame(x + px, y + py, w, h, INK, 2.0))

    def output(self, x: float, y: float, k: int | None) -> None:
        plan = self.plan
        part = plan.partial_map(plan.step_count - 1 if k is None else k)
        oh, ow = plan.out_hw
        for r in range(oh):
            for c in range(ow):
                v = float(part[r, c])
                if np.isnan(v):
                    self.cells.append(Cell(x + c, y + r, EMPTY))
                else:
                    self.value_cell(x + c, y + r, v)
        if k is not None:
            i, j = plan.steps[k]
            self.frames.append(Frame(x + j, y + i, 1, 1, WINDOW, 3.0))

    def equation(self, x: float, y: float, lines: list[str]) -> float:
        for n, line in enumerate(lines):
            self.texts.append(Text(x, y + (n + 1) * LINE, line, EQUATION, mono=True))
        return y + (len(lines) + 0.5) * LINE

    def scene(self, width: float, height: float, output) -> Scene:
        return Scene(width, height, tuple(self.cells), tuple(self.frames), tuple(self.segments),
                     tuple(self.texts), output)  # fmt: skip


def _caption(plan: StageLessonPlan, k: int | None) -> str:
    if k is None:
        return f"Done: all {plan.step_count} cells of the map are computed."
    i, j = plan.steps[k]
    return f"Step {k + 1} of {plan.step_count}: output cell ({i}, {j})"


def _heading(b: _Builder, plan: StageLessonPlan, k: int | None, m: float) -> float:
    """The lesson's title and the step's caption; returns where the grids' titles end."""
    b.texts.append(Text(m, m + TITLE, plan.title, TITLE, bold=True))
    b.texts.append(Text(m, m + 2 * TITLE + 0.3, _caption(plan, k), TITLE * 0.85))
    return m + 2 * TITLE + 1.6


def _pool_scene(plan: PoolLessonPlan, k: int | None, lines: list[str]) -> Scene:
    b = _Builder(plan)
    m = 0.5
    top = _heading(b, plan, k, m)
    plane = plan.inputs[0]
    h, w = plane.shape
    py, px = plan.pad
    padded = np.pad(plane, ((py, py), (px, px)), constant_values=np.nan) if (py or px) else plane
    b.texts.append(Text(m, top - 0.3, f"Map read: {plan.labels[0]}", TITLE * 0.85, bold=True))
    b.padded_grid(m, top, padded, (py, px), (h, w), pad_text="-∞" if plan.mode == "max" else "0")
    ox = m + padded.shape[1] + 2.0
    word = "Max" if plan.mode == "max" else "Average"
    b.texts.append(Text(ox, top - 0.3, f"{word} pooled ({plan.size[0]}x{plan.size[1]})",
                        TITLE * 0.85, bold=True))  # fmt: skip
    b.output(ox, top, k)
    if k is not None:
        c = plan.cell(k)
        wt, wl, wr, wc = plan.window(k)
        if c.winner is not None:
            yy, xx = c.winner
            b.frames.append(Frame(m + px + xx, top + py + yy, 1, 1, WINNER, 3.0,
                                  fill=(*WINNER, 90)))  # fmt: skip
        b.frames.append(Frame(m + px + wl, top + py + wt, wc, wr, WINDOW, 3.0))
        i, j = plan.steps[k]
        b.segments.append(Segment(m + px + wl + wc, top + py + wt + wr / 2, ox + j, top + i + 0.5,
                                  WINDOW))  # fmt: skip
    oh, ow = plan.out_hw
    bottom = top + max(padded.shape[0], oh) + 0.6
    end = b.equation(m, bottom, lines)
    width = max(ox + ow + m, m + 0.32 * max((len(t) for t in lines), default=0) + m)
    return b.scene(width, end + m, (ox, top, oh, ow))


def _maps_scene(plan: MapsLessonPlan, k: int | None, lines: list[str]) -> Scene:
    b = _Builder(plan)
    m = 0.5
    n = len(plan.inputs)
    cols = 1 if n == 1 else 2 if n <= 4 else 3 if n <= 9 else 4
    ph, pw = plan.padded[0].shape
    kh, kw = plan.kernel.shape[:2]
    block_w, block_h = pw + 0.5 + kw, 1.0 + max(ph, kh)
    top = _heading(b, plan, k, m) - 0.8
    limit = float(np.abs(plan.kernel).max()) if plan.kernel.size else 0.0
    h, w = plan.inputs[0].shape
    py, px = plan.pad
    win = plan.window(k) if k is not None else None
    for c in range(n):
        bx = m + (c % cols) * (block_w + 1.0)
        by = top + (c // cols) * (block_h + 0.6)
        b.texts.append(Text(bx, by + 0.7, f"{c + 1}: {plan.labels[c]}", TITLE * 0.8, bold=True))
        gy = by + 1.0
        b.padded_grid(bx, gy, plan.padded[c], (py, px), (h, w))
        kx = bx + pw + 0.5
        for a in range(kh):
            for bb in range(kw):
                wv = float(plan.kernel[a, bb, c])
                fill = weight_rgb(wv, limit, POSITIVE, NEGATIVE, strength=0.75)
                b.cells.append(Cell(kx + bb, gy + a, fill, plan.number_form.weight(wv).text))
        b.frames.append(Frame(kx, gy, kw, kh, WINDOW, 2.0))
        if win is not None:
            wt, wl, wr, wc = win
            b.frames.append(Frame(bx + px + wl, gy + py + wt, wc, wr, WINDOW, 3.0,
                                  fill=(*WINDOW, 30)))  # fmt: skip
    rows = math.ceil(n / cols)
    blocks_right = m + cols * block_w + (cols - 1) * 1.0
    ox = blocks_right + 2.2
    oh, ow = plan.out_hw
    oy = top + 1.0
    b.texts.append(Text(blocks_right + 0.4, oy + min(oh, 3) / 2 + 0.5, "Σ", 1.4, bold=True))
    b.texts.append(Text(ox, oy - 0.3, f"Map of {plan.filter_name}", TITLE * 0.85, bold=True))
    b.output(ox, oy, k)
    if k is not None:
        i, j = plan.steps[k]
        b.segments.append(Segment(blocks_right + 1.6, oy + i + 0.5, ox + j, oy + i + 0.5, WINDOW))
    bottom = max(top + rows * (block_h + 0.6), oy + oh + 0.6)
    end = b.equation(m, bottom, lines)
    width = max(ox + ow + m, m + 0.32 * max((len(t) for t in lines), default=0) + m)
    return b.scene(width, end + m, (ox, oy, oh, ow))


def stage_scene(plan: StageLessonPlan, k: int | None, *, lines: list[str] | None = None) -> Scene:
    """The drawing of step ``k`` (None: the finished map) of a stage lesson; ``lines`` are the
    equation to write under it (default: the plan's own, none for the finished map)."""
    if lines is None:
        lines = [] if k is None else plan.lines(k)
    if isinstance(plan, PoolLessonPlan):
        return _pool_scene(plan, k, lines)
    if isinstance(plan, MapsLessonPlan):
        return _maps_scene(plan, k, lines)
    raise ValueError(f"No drawing for a {type(plan).__name__}.")
