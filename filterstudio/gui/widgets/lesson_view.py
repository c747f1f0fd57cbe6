"""The classroom lesson: the kernel window sliding over the input while the feature map fills in."""

from __future__ import annotations

import html
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QStyle,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ...core.lesson import LessonPlan, build_lesson, format_number, step_lines
from ...core.lesson_export import (
    ExportCancelled,
    export_gif,
    export_png_sequence,
    frame_count,
    frame_file_names,
)

#: Speed slider range; the step interval is ``SPEED_BASE_MS / speed`` milliseconds.
SPEED_MIN, SPEED_MAX, SPEED_DEFAULT = 1, 10, 3
SPEED_BASE_MS = 1800


def step_interval_ms(speed: int) -> int:
    """Milliseconds between steps while playing at ``speed`` (1 slow ... 10 fast)."""
    return int(SPEED_BASE_MS // max(SPEED_MIN, min(SPEED_MAX, int(speed))))


# -- explanations ---------------------------------------------------------------------------------

#: (key, title, text) for every idea the lesson shows, in the order a class meets them.
CONCEPTS: tuple[tuple[str, str, str], ...] = (
    (
        "input",
        "Input image",
        (
            "The picture the lesson starts from, shown as a grid of numbers: each cell is the "
            "brightness of one pixel, from 0 (black) to 1 (white). A colour pixel has three "
            "numbers: red, green and blue."
        ),
    ),
    (
        "kernel",
        "Feature detector (kernel, filter)",
        (
            "A small grid of weights that slides over the image. At each position every input "
            "value under it is multiplied by the weight on top of it, and the products are added "
            "up. Where the image looks like the kernel's pattern, the sum is large."
        ),
    ),
    (
        "map",
        "Feature map (activation map)",
        (
            "The grid of results: one value for each position of the kernel. It fills in as the "
            "kernel moves, left to right and then one row down. Large values mark the places "
            "where the feature was found."
        ),
    ),
    (
        "stride",
        "Stride",
        (
            "How far the kernel moves at each step. With a stride of 2 it skips every other "
            "position, so the feature map is about half as wide and half as high."
        ),
    ),
    (
        "padding",
        "Padding",
        (
            "Extra cells around the border (shaded) so the kernel can also sit over the edge "
            "pixels. The border mode fills them: a constant such as 0, the nearest edge pixel, a "
            "mirror image of the inside, or the opposite side (wrap). With 'same' padding and "
            "stride 1 the map is as big as the image."
        ),
    ),
    (
        "dilation",
        "Dilation",
        (
            "Gaps between the kernel's taps: with a dilation of 2 the kernel reads every other "
            "pixel, so a small kernel looks at a larger area."
        ),
    ),
    (
        "filters",
        "Several filters",
        (
            "A layer of a convolutional network holds several filters. Each one slides over the "
            "same input and makes its own feature map; the layer's output is the stack of maps."
        ),
    ),
    (
        "channels",
        "Channels and depth",
        (
            "A colour image has three channels: red, green and blue. In colour mode each channel "
            "is filtered on its own. In depth mode the filter has one slice per channel; each "
            "slice gives a partial sum, and the partial sums add up to one value, as in a CNN."
        ),
    ),
    (
        "bias",
        "Bias",
        (
            "A number added after the sum. It moves every value of the map up or down, so a "
            "detector can ask for a stronger match before it responds."
        ),
    ),
    (
        "relu",
        "ReLU",
        (
            "An activation applied last: ReLU keeps positive values and turns negative ones into "
            "0, so the map says 'the feature is here' or nothing. (abs keeps the size and drops "
            "the sign.)"
        ),
    ),
    (
        "flip",
        "Correlation versus convolution",
        (
            "What neural networks call convolution is cross-correlation: the kernel is used as it "
            "is. True convolution first turns the kernel half a turn (180 degrees). For a kernel "
            "that looks the same turned around, both give the same map."
        ),
    ),
)


def relevant_concepts(plan: LessonPlan | None, *, filter_count: int = 1) -> set[str]:
    """The concepts the current lesson settings bring into play."""
    keys = {"input", "kernel", "map"}
    if plan is None:
        return keys
    g = plan.geometry
    if g.stride != (1, 1):
        keys.add("stride")
    if g.pad_top or g.pad_bottom or g.pad_left or g.pad_right:
        keys.add("padding")
    if g.dilation != (1, 1):
        keys.add("dilation")
    if filter_count > 1:
        keys.add("filters")
    if plan.channels > 1:
        keys.add("channels")
    if plan.bias:
        keys.add("bias")
    if plan.activation in ("relu", "abs"):
        keys.add("relu")
    if plan.flip:
        keys.add("flip")
    return keys


def explanations_html(relevant: set[str], *, presentation: bool = False) -> str:
    """The explanations panel: every concept, those in play first and highlighted."""
    size = 16 if presentation else 10
    ordered = [c for c in CONCEPTS if c[0] in relevant] + [
        c for c in CONCEPTS if c[0] not in relevant
    ]
    parts = [f"<div style='font-size:{size}pt'>"]
    for n, (key, title, text) in enumerate(ordered):
        if key in relevant:
            style = "background-color:#fff1b8;color:#000"
            title_html = f"&#9679; {html.escape(title)}"
        else:
            style = "color:#555"
            title_html = html.escape(title)
        if n and key not in relevant and ordered[n - 1][0] in relevant:
            parts.append("<hr/>")
        parts.append(
            f"<div style='{style};margin-bottom:6px'><a name='{key}'></a>"
            f"<b>{title_html}</b><br/>{html.escape(text)}</div>"
        )
    parts.append("</div>")
    return "".join(parts)


# -- drawing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Palette:
    background: QColor
    ink: QColor
    grid: QColor
    window: QColor
    match: QColor
    pad_fill: QColor
    pad_ink: QColor
    positive: QColor
    negative: QColor
    map_high: QColor
    empty: QColor
    line_scale: float
    font_scale: float


_NORMAL = _Palette(
    QColor(255, 255, 255), QColor(25, 25, 25), QColor(160, 160, 160), QColor(220, 30, 30),
    QColor(0, 160, 60), QColor(255, 226, 190), QColor(150, 80, 0), QColor(40, 90, 200),
    QColor(210, 60, 40), QColor(20, 40, 120), QColor(245, 245, 245), 1.0, 1.0,
)  # fmt: skip
_PROJECTOR = _Palette(
    QColor(255, 255, 255), QColor(0, 0, 0), QColor(60, 60, 60), QColor(255, 0, 0),
    QColor(0, 170, 0), QColor(255, 210, 150), QColor(120, 50, 0), QColor(0, 60, 220),
    QColor(220, 0, 0), QColor(0, 0, 110), QColor(235, 235, 235), 2.0, 1.25,
)  # fmt: skip


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    t = min(max(float(t), 0.0), 1.0)
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


def _pixel_color(values) -> QColor:
    v = np.clip(np.nan_to_num(np.atleast_1d(np.asarray(values, dtype=np.float64))), 0, 1)
    if v.size >= 3:
        return QColor(round(v[0] * 255), round(v[1] * 255), round(v[2] * 255))
    g = round(v[0] * 255)
    return QColor(g, g, g)


def _ink_on(fill: QColor, pal: _Palette) -> QColor:
    luma = 0.299 * fill.red() + 0.587 * fill.green() + 0.114 * fill.blue()
    return pal.ink if luma > 140 else QColor(255, 255, 255)


@dataclass(frozen=True)
class _Layout:
    cell: float
    input_origin: QPointF
    kernel_origins: tuple[QPointF, ...]
    map_origin: QPointF
    title_y: float
    title_px: float
    value_px: float
    eq_rect: QRectF
    eq_px: float


class LessonCanvas(QWidget):
    """Draws one lesson step; scales every grid, font and line to the widget's size."""

    cellClicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plan: LessonPlan | None = None
        self._step = 0
        self._palette = _NORMAL
        self._message = "Choose an image and a filter to start a lesson."
        self._lines: dict[int, list[str]] = {}
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumSize(360, 260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_plan(self, plan: LessonPlan | None, message: str = "") -> None:
        """Show ``plan`` (or ``message`` when there is none) from its first step."""
        self._plan = plan
        self._step = 0
        self._lines = {}
        self._message = message
        self.update()

    def set_step(self, k: int) -> None:
        self._step = int(k)
        self.update()

    def set_presentation(self, on: bool) -> None:
        self._palette = _PROJECTOR if on else _NORMAL
        self.update()

    def step_lines(self, k: int) -> list[str]:
        """The equation lines of step ``k`` (computed once)."""
        if self._plan is None:
            return []
        lines = self._lines.get(k)
        if lines is None:
            lines = step_lines(self._plan, k, products_only=self._plan.kernel.shape[1] > 5)
            self._lines[k] = lines
        return lines

    # -- geometry -----------------------------------------------------------------------------
    def _kernel_slices(self) -> list[np.ndarray]:
        k = self._plan.kernel
        return [k[:, :, c] for c in range(k.shape[2])] if k.ndim == 3 else [k]

    def layout(self) -> _Layout | None:
        """Where everything goes at the current size, or None without a lesson."""
        plan = self._plan
        if plan is None:
            return None
        pal = self._palette
        w, h = float(self.width()), float(self.height())
        margin = max(6.0, min(w, h) * 0.02)
        ph, pw = plan.padded_image.shape[:2]
        kh, kw = plan.kernel.shape[:2]
        oh, ow = plan.geometry.out_hw
        slices = len(self._kernel_slices())
        kernel_cols = slices * kw + (slices - 1) * 0.5
        cols = pw + 1 + kernel_cols + 1 + ow
        rows = max(ph, kh + (0.8 if slices > 1 else 0), oh)
        lines = self.step_lines(self._step)
        right_rows = max(kh + (0.8 if slices > 1 else 0), oh)
        # Two arrangements: the equation in the free space under the kernel and the map (big
        # grids), or under everything (when that space is too small for readable numbers).
        best = None
        best_score = -1.0
        for eq_below_all in (False, True):
            eq_share = min(0.45, 0.12 + 0.035 * len(lines)) if eq_below_all else 0.0
            grid_h = h * (1 - eq_share) - 2 * margin
            cell = min((w - 2 * margin) / cols, grid_h / (rows + 1.4), 120.0)
            cell = max(cell, 4.0)
            title_px = min(max(cell * 0.42, 11.0), 30.0) * pal.font_scale
            grid_top = margin + title_px * 1.8
            x0 = max(margin, (w - cols * cell) / 2)
            kx = x0 + (pw + 1) * cell
            if eq_below_all:
                eq_top = grid_top + rows * cell + margin
                eq_rect = QRectF(margin, eq_top, w - 2 * margin, max(h - eq_top - margin, 0.0))
            else:
                eq_top = grid_top + right_rows * cell + title_px
                eq_rect = QRectF(
                    kx, eq_top, max(w - kx - margin, 0.0), max(h - eq_top - margin, 0.0)
                )
            eq_px = self._equation_px(eq_rect, lines, title_px)
            # Both the numbers in the grids and the equation must be readable: keep the
            # arrangement whose smaller text is the larger.
            score = min(cell * 0.4, eq_px) if lines else cell
            if score > best_score * 1.05:
                best, best_score = (cell, title_px, grid_top, x0, kx, eq_rect, eq_px), score
        cell, title_px, grid_top, x0, kx, eq_rect, eq_px = best
        input_origin = QPointF(x0, grid_top)
        kernel_origins = tuple(QPointF(kx + s * (kw + 0.5) * cell, grid_top) for s in range(slices))
        map_origin = QPointF(kx + (kernel_cols + 1) * cell, grid_top)
        per_cell = 0.36 if plan.channels == 1 else 0.22
        value_px = cell * per_cell * min(pal.font_scale, 1.1)
        return _Layout(
            cell, input_origin, kernel_origins, map_origin, margin, title_px, value_px,
            eq_rect, eq_px,
        )  # fmt: skip

    def _equation_px(self, rect: QRectF, lines: list[str], title_px: float) -> float:
        if not lines or rect.height() <= 0:
            return 0.0
        px = min(title_px * 1.05, rect.height() / (len(lines) * 1.3 + 1.6))
        font = QFont(self._mono)
        font.setPixelSize(max(1, round(px)))
        widest = max(QFontMetricsF(font).horizontalAdvance(line) for line in lines)
        if widest > rect.width() > 0:
            # A little slack: glyph widths do not scale exactly with the pixel size.
            px *= 0.95 * rect.width() / widest
        return max(px, 6.0)

    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        """The feature-map cell drawn at widget point ``pos``, or None."""
        lay = self.layout()
        if lay is None:
            return None
        oh, ow = self._plan.geometry.out_hw
        i = math.floor((pos.y() - lay.map_origin.y()) / lay.cell)
        j = math.floor((pos.x() - lay.map_origin.x()) / lay.cell)
        if 0 <= i < oh and 0 <= j < ow:
            return i, j
        return None

    def map_cell_center(self, i: int, j: int) -> QPointF:
        """Widget coordinates of the centre of map cell ``(i, j)`` (for tests and scripts)."""
        lay = self.layout()
        if lay is None:
            return QPointF()
        return QPointF(
            lay.map_origin.x() + (j + 0.5) * lay.cell, lay.map_origin.y() + (i + 0.5) * lay.cell
        )

    # -- events -------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.cellClicked.emit(*cell)
            event.accept()
            return
        super().mousePressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        pal = self._palette
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.fillRect(self.rect(), pal.background)
        lay = self.layout()
        if lay is None:
            font = self.font()
            font.setPointSizeF(font.pointSizeF() * 1.3 * pal.font_scale)
            p.setFont(font)
            p.setPen(pal.ink)
            p.drawText(
                self.rect().adjusted(20, 20, -20, -20),
                int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap),
                self._message,
            )
            p.end()
            return
        self._draw_titles(p, lay)
        self._draw_input(p, lay)
        self._draw_kernel(p, lay)
        self._draw_map(p, lay)
        self._draw_connector(p, lay)
        self._draw_equation(p, lay)
        p.end()

    # -- painting helpers ---------------------------------------------------------------------
    def _font(self, px: float, *, bold: bool = False, mono: bool = False) -> QFont:
        font = QFont(self._mono) if mono else QFont(self.font())
        font.setPixelSize(max(1, round(px)))
        font.setBold(bold)
        return font

    def _pen(self, color: QColor, width: float) -> QPen:
        pen = QPen(color, width * self._palette.line_scale)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        return pen

    def _cell_rect(self, origin: QPointF, r: float, c: float, cell: float) -> QRectF:
        return QRectF(origin.x() + c * cell, origin.y() + r * cell, cell, cell)

    def _draw_values(self, p: QPainter, rect: QRectF, values, px: float, ink: QColor) -> None:
        if px < 5:
            return
        texts = [format_number(float(v), 2) for v in np.atleast_1d(values)]
        font = self._font(px)
        widest = max(QFontMetricsF(font).horizontalAdvance(t) for t in texts)
        room = rect.width() * 0.92
        if widest > room:
            # Shrink long numbers ("-0.46") to fit their cell rather than spill over.
            font = self._font(px * room / widest)
        p.setPen(ink)
        p.setFont(font)
        text = "\n".join(texts)
        p.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)

    def _draw_titles(self, p: QPainter, lay: _Layout) -> None:
        plan = self._plan
        g = plan.geometry
        p.setPen(self._palette.ink)
        p.setFont(self._font(lay.title_px, bold=True))
        padded = g.pad_top or g.pad_bottom or g.pad_left or g.pad_right
        y = lay.input_origin.y() - lay.title_px * 0.6
        p.drawText(QPointF(lay.input_origin.x(), y), "Input" + (" + padding" if padded else ""))
        kernel_title = "Kernel" + (" (turned 180°)" if plan.flip else "")
        p.drawText(QPointF(lay.kernel_origins[0].x(), y), kernel_title)
        p.drawText(QPointF(lay.map_origin.x(), y), "Feature map")

    def _draw_input(self, p: QPainter, lay: _Layout) -> None:
        plan, pal, cell = self._plan, self._palette, lay.cell
        g = plan.geometry
        pt, pl = plan.pad_offset
        h, w = g.in_hw
        padded = plan.padded_image
        ph, pw = padded.shape[:2]
        p.setPen(self._pen(pal.grid, 1))
        for r in range(ph):
            for c in range(pw):
                rect = self._cell_rect(lay.input_origin, r, c, cell)
                vals = padded[r, c]
                fill = _pixel_color(vals)
                inside = pt <= r < pt + h and pl <= c < pl + w
                if inside:
                    p.fillRect(rect, fill)
                    ink = _ink_on(fill, pal)
                else:
                    # Padding: a light cell; the corner swatch shows its fill intensity.
                    p.fillRect(rect, pal.pad_fill)
                    q = cell * 0.22
                    p.fillRect(QRectF(rect.x() + 2, rect.y() + 2, q, q), fill)
                    ink = pal.pad_ink
                p.setPen(self._pen(pal.grid, 1))
                p.drawRect(rect)
                self._draw_values(p, rect, vals, lay.value_px, ink)
        # The real image's outline, so padding reads as "outside".
        p.setPen(self._pen(pal.ink, 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(QRectF(lay.input_origin.x() + pl * cell, lay.input_origin.y() + pt * cell,
                          w * cell, h * cell))  # fmt: skip
        self._draw_window(p, lay)

    def _draw_window(self, p: QPainter, lay: _Layout) -> None:
        plan, pal, cell = self._plan, self._palette, lay.cell
        g = plan.geometry
        pt, pl = plan.pad_offset
        k = self._step
        i, j = plan.steps[k]
        matches = plan.matches(k)
        matched = {(t.y, t.x) for t in matches.taps} if matches else set()
        match_fill = QColor(pal.match)
        match_fill.setAlpha(110)
        tap_fill = QColor(pal.window)
        tap_fill.setAlpha(40)
        for _a, _b, y, x, _inside in g.taps(i, j):
            rect = self._cell_rect(lay.input_origin, y + pt, x + pl, cell)
            is_match = (y, x) in matched
            p.fillRect(rect, match_fill if is_match else tap_fill)
            p.setPen(self._pen(pal.match if is_match else pal.window, 2))
            p.drawRect(rect.adjusted(1.5, 1.5, -1.5, -1.5))
        oy, ox = g.window_origin(i, j)
        keh, kew = g.effective_kernel_hw
        p.setPen(self._pen(pal.window, 3))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(self._window_rect(lay))
        if g.dilation != (1, 1) and cell >= 14:
            # Dots mark the skipped pixels between dilated taps.
            taps = {(y, x) for _a, _b, y, x, _in in g.taps(i, j)}
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(pal.window)
            for y in range(oy, oy + keh):
                for x in range(ox, ox + kew):
                    if (y, x) not in taps:
                        r = self._cell_rect(lay.input_origin, y + pt, x + pl, cell)
                        corner = QPointF(r.right() - cell * 0.12, r.bottom() - cell * 0.12)
                        p.drawEllipse(corner, cell * 0.06, cell * 0.06)
            p.setBrush(Qt.BrushStyle.NoBrush)

    def _window_rect(self, lay: _Layout) -> QRectF:
        plan, cell = self._plan, lay.cell
        g = plan.geometry
        pt, pl = plan.pad_offset
        oy, ox = g.window_origin(*plan.steps[self._step])
        keh, kew = g.effective_kernel_hw
        return QRectF(lay.input_origin.x() + (ox + pl) * cell, lay.input_origin.y() + (oy + pt) * cell,
                      kew * cell, keh * cell)  # fmt: skip

    def _draw_kernel(self, p: QPainter, lay: _Layout) -> None:
        pal, cell = self._palette, lay.cell
        slices = self._kernel_slices()
        limit = float(np.abs(self._plan.kernel).max()) if self._plan.kernel.size else 0.0
        px = cell * 0.36 * min(pal.font_scale, 1.1)
        for s, weights in enumerate(slices):
            origin = lay.kernel_origins[s]
            for a in range(weights.shape[0]):
                for b in range(weights.shape[1]):
                    w = float(weights[a, b])
                    rect = self._cell_rect(origin, a, b, cell)
                    t = min(abs(w) / limit, 1.0) * 0.75 if limit else 0.0
                    fill = _mix(QColor(255, 255, 255), pal.positive if w > 0 else pal.negative, t)
                    p.fillRect(rect, fill)
                    p.setPen(self._pen(pal.grid, 1))
                    p.drawRect(rect)
                    self._draw_values(p, rect, w, px, _ink_on(fill, pal))
            p.setPen(self._pen(pal.window, 3))
            p.drawRect(QRectF(origin.x(), origin.y(), weights.shape[1] * cell,
                              weights.shape[0] * cell))  # fmt: skip
            if len(slices) > 1:
                p.setPen(pal.ink)
                p.setFont(self._font(lay.title_px * 0.8, bold=True))
                name = ("Red", "Green", "Blue", "Alpha")[s]
                p.drawText(
                    QPointF(origin.x(), origin.y() + weights.shape[0] * cell + lay.title_px), name
                )

    def _draw_map(self, p: QPainter, lay: _Layout) -> None:
        plan, pal, cell = self._plan, self._palette, lay.cell
        partial = plan.partial_map(self._step)
        finite = plan.result[np.isfinite(plan.result)]
        lo = float(finite.min()) if finite.size else 0.0
        hi = float(finite.max()) if finite.size else 1.0
        if lo >= 0 and hi <= 1:
            lo, hi = 0.0, 1.0
        oh, ow = plan.geometry.out_hw
        for r in range(oh):
            for c in range(ow):
                rect = self._cell_rect(lay.map_origin, r, c, cell)
                vals = partial[r, c]
                if np.isnan(np.atleast_1d(vals)).any():
                    p.fillRect(rect, pal.empty)
                    p.setPen(self._pen(pal.grid, 1))
                    p.drawRect(rect)
                    continue
                norm = (
                    (np.asarray(vals, dtype=np.float64) - lo) / (hi - lo) if hi > lo else 0 * vals
                )
                if plan.result.ndim == 3:
                    fill = _pixel_color(norm)
                else:
                    fill = _mix(QColor(255, 255, 255), pal.map_high, float(norm))
                p.fillRect(rect, fill)
                p.setPen(self._pen(pal.grid, 1))
                p.drawRect(rect)
                self._draw_values(p, rect, vals, lay.value_px, _ink_on(fill, pal))
        i, j = plan.steps[self._step]
        p.setPen(self._pen(pal.window, 3))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(self._cell_rect(lay.map_origin, i, j, cell))

    def _draw_connector(self, p: QPainter, lay: _Layout) -> None:
        """A dashed line from the window to the map cell it makes."""
        i, j = self._plan.steps[self._step]
        window = self._window_rect(lay)
        target = self._cell_rect(lay.map_origin, i, j, lay.cell)
        pen = self._pen(self._palette.window, 1.5)
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        start = QPointF(window.right(), window.center().y())
        p.drawLine(start, QPointF(target.left(), target.center().y()))

    def _draw_equation(self, p: QPainter, lay: _Layout) -> None:
        lines = self.step_lines(self._step)
        if not lines or lay.eq_px <= 0:
            return
        pal = self._palette
        rect = lay.eq_rect
        p.setPen(pal.ink)
        p.setFont(self._font(lay.eq_px * 1.05, bold=True))
        y = rect.top() + lay.eq_px * 1.2
        p.drawText(QPointF(rect.left(), y), "Multiply, then add:")
        font = self._font(lay.eq_px, mono=True)
        p.setFont(font)
        step = lay.eq_px * 1.3
        for line in lines:
            y += step
            p.setPen(pal.match if line[:1].isdigit() and "matching" in line else pal.ink)
            p.drawText(QPointF(rect.left(), y), line)


# -- exporting off the GUI thread -----------------------------------------------------------------


@dataclass(frozen=True)
class LessonExportJob:
    """One export, as handed to the worker thread: nothing in it is written to afterwards.

    ``image`` is the lesson's (already reduced, read-only) picture; ``flt`` and ``layer`` are the
    model's frozen values. The worker builds its own :class:`LessonPlan` from them, so the plan
    the window paints is never shared with it.
    """

    kind: str  # "gif" or "png"
    target: str  # the GIF file, or the folder for the PNG frames
    image: np.ndarray
    flt: object
    layer: object
    flip: bool
    frame_ms: int
    overwrite: bool

    @property
    def what(self) -> str:
        return "GIF" if self.kind == "gif" else "pictures"


class _ExportSignals(QObject):
    progress = Signal(int, int)  # frames done, frames in all
    done = Signal(str, str)  # "saved" | "cancelled" | "failed", a sentence for the user


class _ExportTask(QRunnable):
    """Render and write a lesson export on a pool thread; stop between frames when cancelled."""

    def __init__(self, job: LessonExportJob) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the widget keeps it until its done signal has arrived
        self.job = job
        self.signals = _ExportSignals()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the export to stop before its next frame (safe from any thread)."""
        self._cancel.set()

    def run(self) -> None:
        job = self.job
        try:
            plan = LessonPlan(job.image, job.flt, job.layer, flip=job.flip)
            hooks = {
                "overwrite": job.overwrite,
                "progress": self.signals.progress.emit,
                "cancelled": self._cancel.is_set,
            }
            if job.kind == "gif":
                path = export_gif(plan, job.target, frame_ms=job.frame_ms, **hooks)
                message = f"Saved the lesson as {path.name} ({frame_count(plan)} frames)."
            else:
                files = export_png_sequence(plan, job.target, **hooks)
                folder = Path(job.target).name or job.target
                message = f"Saved {len(files)} pictures of the lesson in {folder}."
        except ExportCancelled:
            self.signals.done.emit("cancelled", "The export was cancelled; nothing was written.")
        except ValueError as exc:  # the export's own one-sentence messages
            self.signals.done.emit("failed", str(exc))
        except MemoryError:
            self.signals.done.emit(
                "failed", f"The {job.what} was not saved: there is not enough memory."
            )
        except Exception as exc:  # noqa: BLE001 - shown as a sentence, never as a traceback
            self.signals.done.emit(
                "failed",
                f"The {job.what} was not saved because of an unexpected error "
                f"({type(exc).__name__}).",
            )
        else:
            self.signals.done.emit("saved", message)


# -- the lesson widget ----------------------------------------------------------------------------


class LessonWidget(QWidget):
    """The classroom lesson: step through (or play) the kernel sliding over the image.

    Keys when the widget has focus: Space plays or pauses, Right and Left step, Home and End
    jump to the first and last step. Clicking a feature-map cell jumps to the step that makes it.

    Exports (GIF, numbered PNGs) run on a worker thread: the window stays live, a progress bar
    with a Cancel button shows how far they are, and :attr:`exportFinished` reports the end.
    """

    stepChanged = Signal(int)
    #: ``(frames done, frames in all)`` while an export runs.
    exportProgress = Signal(int, int)
    #: ``(saved, message)`` once an export started by ``export_*_to`` ends: saved, failed or
    #: cancelled; ``message`` is the sentence the widget showed.
    exportFinished = Signal(bool, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plan: LessonPlan | None = None
        self._step = 0
        self._filter_count = 1
        self._presentation = False
        self._message_box: QMessageBox | None = None
        self._export: _ExportTask | None = None
        self._spent_export: _ExportTask | None = None
        # One export at a time, on a pool of its own so closing can stop and wait for it alone.
        self._export_pool = QThreadPool(self)
        self._export_pool.setMaxThreadCount(1)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self._note = QLabel(self)
        self._note.setWordWrap(True)
        self._note.hide()

        self.canvas = LessonCanvas(self)
        self.canvas.cellClicked.connect(self._on_canvas_cell_clicked)
        self._explain = QTextBrowser(self)
        self._explain.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._explain.setMinimumWidth(220)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.canvas)
        splitter.addWidget(self._explain)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        def button(text: str, tip: str, slot, icon=None) -> QPushButton:
            b = QPushButton(text, self)
            if icon is not None:
                b.setIcon(self.style().standardIcon(icon))
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(slot)
            return b

        sp = QStyle.StandardPixmap
        self._start_btn = button(
            "Start", "First step (Home)", self._on_start_clicked, sp.SP_MediaSkipBackward
        )
        self._back_btn = button(
            "Back", "One step back (Left arrow)", self._on_back_clicked, sp.SP_MediaSeekBackward
        )
        self._play_btn = button(
            "Play", "Play or pause (Space)", self._on_play_clicked, sp.SP_MediaPlay
        )
        self._forward_btn = button(
            "Next", "One step on (Right arrow)", self._on_forward_clicked, sp.SP_MediaSeekForward
        )
        self._end_btn = button(
            "End", "Last step (End)", self._on_end_clicked, sp.SP_MediaSkipForward
        )
        self._gif_btn = button(
            "Export GIF…", "Save the lesson as an animation", self._on_gif_clicked
        )
        self._png_btn = button(
            "Export PNGs…", "Save one picture per step in a folder", self._on_png_clicked
        )
        self._speed = QSlider(Qt.Orientation.Horizontal, self)
        self._speed.setRange(SPEED_MIN, SPEED_MAX)
        self._speed.setValue(SPEED_DEFAULT)
        self._speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._speed.setMaximumWidth(160)
        self._speed.setToolTip("Playing speed")
        self._speed.valueChanged.connect(self._on_speed_value_changed)
        self._step_label = QLabel(self)
        self._step_label.setWordWrap(True)
        # The export row: what the last export did, and while one runs, how far it is.
        self._export_label = QLabel(self)
        self._export_bar = QProgressBar(self)
        self._export_bar.setMinimumWidth(220)
        self._export_bar.setMaximumWidth(320)
        self._export_bar.setFormat("%v of %m frames")
        self._cancel_btn = button(
            "Cancel", "Stop the export; nothing is written", self.cancel_export
        )
        export_row = QHBoxLayout()
        export_row.addWidget(self._export_label, 1)
        export_row.addWidget(self._export_bar)
        export_row.addWidget(self._cancel_btn)
        for w in (self._export_label, self._export_bar, self._cancel_btn):
            w.hide()

        controls = QHBoxLayout()
        for w in (
            self._start_btn,
            self._back_btn,
            self._play_btn,
            self._forward_btn,
            self._end_btn,
        ):
            controls.addWidget(w)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Speed", self))
        controls.addWidget(self._speed)
        controls.addStretch(1)
        controls.addWidget(self._gif_btn)
        controls.addWidget(self._png_btn)

        # The step sentence has its own line so the controls fit a 1280-pixel screen.
        layout = QVBoxLayout(self)
        layout.addWidget(self._note)
        layout.addWidget(splitter, 1)
        layout.addWidget(self._step_label)
        layout.addLayout(controls)
        layout.addLayout(export_row)

        self._timer = QTimer(self)
        self._timer.setInterval(step_interval_ms(SPEED_DEFAULT))
        self._timer.timeout.connect(self._on_timer_timeout)
        self._refresh()

    # -- public API ---------------------------------------------------------------------------
    def set_lesson(self, image: np.ndarray, flt, layer, *, flip: bool = False,
                   filter_count: int = 1) -> bool:  # fmt: skip
        """Start a lesson of ``flt`` under ``layer`` on ``image`` (reduced if large).

        Returns False, and shows why in the lesson, when the lesson cannot be built.
        """
        self.pause()
        self._filter_count = max(1, int(filter_count))
        try:
            plan = build_lesson(image, flt, layer, flip=flip)
        except ValueError as exc:
            self._plan = None
            self.canvas.set_plan(None, str(exc))
            self._show_note(str(exc), error=True)
            self._step = 0
            self._refresh()
            return False
        self._plan = plan
        self._step = 0
        self.canvas.set_plan(plan)
        self._show_note(plan.note or "", error=False)
        self._refresh()
        self.stepChanged.emit(0)
        return True

    def plan(self) -> LessonPlan | None:
        """The lesson shown, or None."""
        return self._plan

    def current_step(self) -> int:
        """0-based step shown."""
        return self._step

    def step_count(self) -> int:
        """Steps in the lesson (0 without one)."""
        return self._plan.step_count if self._plan else 0

    def step_text(self) -> str:
        """The step label, e.g. ``Step 5 of 36: output cell (0, 4)``."""
        return self._step_label.text()

    def note_text(self) -> str:
        """The note above the lesson (how the image was reduced, or why there is no lesson)."""
        return self._note.text() if self._note.isVisibleTo(self) else ""

    def explanations_text(self) -> str:
        """The explanations panel as plain text."""
        return self._explain.toPlainText()

    def set_step(self, k: int) -> None:
        """Show step ``k`` (clamped to the lesson)."""
        if self._plan is None:
            return
        k = max(0, min(int(k), self._plan.step_count - 1))
        if k == self._step:
            return
        self._step = k
        self.canvas.set_step(k)
        self._refresh()
        self.stepChanged.emit(k)

    def step_forward(self) -> None:
        """One step on (stays at the last step)."""
        self.set_step(self._step + 1)

    def step_back(self) -> None:
        """One step back (stays at the first step)."""
        self.set_step(self._step - 1)

    def go_start(self) -> None:
        self.set_step(0)

    def go_end(self) -> None:
        self.set_step(self.step_count() - 1)

    def jump_to_cell(self, i: int, j: int) -> None:
        """Show the step that makes feature-map cell ``(i, j)``."""
        if self._plan is None:
            return
        try:
            k = self._plan.step_of_cell(i, j)
        except ValueError:
            return
        self.set_step(k)

    def play(self) -> None:
        """Step on by itself at the chosen speed; from the last step it starts over."""
        if self._plan is None or self._plan.step_count < 2:
            return
        if self._step >= self._plan.step_count - 1:
            self.go_start()
        self._timer.start()
        self._refresh()

    def pause(self) -> None:
        self._timer.stop()
        self._refresh()

    def is_playing(self) -> bool:
        return self._timer.isActive()

    def set_speed(self, speed: int) -> None:
        """Playing speed, 1 (slow) to 10 (fast)."""
        self._speed.setValue(int(speed))

    def interval_ms(self) -> int:
        """Milliseconds between steps while playing."""
        return self._timer.interval()

    def set_presentation(self, on: bool) -> None:
        """Projector mode: larger type, thicker lines, stronger colours."""
        self._presentation = bool(on)
        self.canvas.set_presentation(self._presentation)
        size = 16 if on else 0
        self.setStyleSheet(f"QPushButton, QLabel {{ font-size: {size}pt; }}" if size else "")
        self._refresh()

    def is_presentation(self) -> bool:
        return self._presentation

    def export_gif_to(
        self, path: str, *, frame_ms: int | None = None, overwrite: bool = False
    ) -> bool:
        """Start writing the lesson as a looping GIF at ``path`` in the background.

        Returns at once: True if the export started, and :attr:`exportFinished` then tells how
        it ended (a failure is also shown as a sentence). False, with nothing started, when
        there is no lesson, an export is already running, or ``path`` exists, ``overwrite`` is
        False and the user does not agree to replace it.
        """
        if not self._can_export():
            return False
        target = os.fspath(path)
        replace = overwrite or not os.path.lexists(target)
        if not replace:
            if not self._ask_replace(f"{Path(target).name} already exists. Replace it?"):
                return False
            replace = True
        return self._start_export("gif", target, frame_ms or self.interval_ms(), replace)

    def export_png_to(self, folder: str, *, overwrite: bool = False) -> bool:
        """Start writing one PNG per step (and the finished map) into ``folder``.

        As :meth:`export_gif_to`: returns whether the export started; frame files of an earlier
        export are replaced only with ``overwrite`` or once the user agrees.
        """
        if not self._can_export():
            return False
        target = os.fspath(folder)
        existing = [n for n in frame_file_names(self._plan) if os.path.lexists(Path(target, n))]
        replace = overwrite or not existing
        if not replace:
            where = Path(target).name or target
            names = "a picture" if len(existing) == 1 else f"{len(existing)} pictures"
            question = f"{where} already holds {names} of the same name. Replace them?"
            if not self._ask_replace(question):
                return False
            replace = True
        return self._start_export("png", target, self.interval_ms(), replace)

    def is_exporting(self) -> bool:
        """Whether an export is running."""
        return self._export is not None

    def export_text(self) -> str:
        """The export row's sentence: what the last export did (``""`` before any)."""
        return self._export_label.text() if self._export_label.isVisibleTo(self) else ""

    def cancel_export(self) -> None:
        """Stop the running export before its next frame; it then reports cancelled."""
        if self._export is not None:
            self._export.cancel()
            self._cancel_btn.setEnabled(False)
            self._export_label.setText("Cancelling the export…")

    def shutdown(self) -> None:
        """Cancel a running export and wait for its thread (the window is closing)."""
        self.pause()
        if self._export is not None:
            self._export.cancel()
        self._export_pool.waitForDone()

    # -- keys ---------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Space:
            self.pause() if self.is_playing() else self.play()
        elif key == Qt.Key.Key_Right:
            self.pause()
            self.step_forward()
        elif key == Qt.Key.Key_Left:
            self.pause()
            self.step_back()
        elif key == Qt.Key.Key_Home:
            self.pause()
            self.go_start()
        elif key == Qt.Key.Key_End:
            self.pause()
            self.go_end()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().mousePressEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    # -- slots --------------------------------------------------------------------------------
    def _on_canvas_cell_clicked(self, i: int, j: int) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.pause()
        self.jump_to_cell(i, j)

    def _on_start_clicked(self) -> None:
        self.pause()
        self.go_start()

    def _on_back_clicked(self) -> None:
        self.pause()
        self.step_back()

    def _on_play_clicked(self) -> None:
        self.pause() if self.is_playing() else self.play()

    def _on_forward_clicked(self) -> None:
        self.pause()
        self.step_forward()

    def _on_end_clicked(self) -> None:
        self.pause()
        self.go_end()

    def _on_speed_value_changed(self, value: int) -> None:
        self._timer.setInterval(step_interval_ms(value))

    def _on_timer_timeout(self) -> None:
        if self._plan is None or self._step >= self._plan.step_count - 1:
            self.pause()
            return
        self.step_forward()
        if self._step >= self._plan.step_count - 1:
            self.pause()

    def _on_gif_clicked(self) -> None:
        self.pause()
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the lesson as a GIF", "lesson.gif", "GIF animation (*.gif)"
        )
        if path:
            full = path if path.lower().endswith(".gif") else path + ".gif"
            # The dialog asked before replacing ``path``; a name it did not see is asked here.
            self.export_gif_to(full, overwrite=full == path)

    def _on_png_clicked(self) -> None:
        self.pause()
        folder = QFileDialog.getExistingDirectory(self, "Folder for the lesson pictures")
        if folder:
            self.export_png_to(folder)

    def _on_export_progress(self, done: int, total: int) -> None:
        self._export_bar.setRange(0, total)
        self._export_bar.setValue(done)
        self.exportProgress.emit(done, total)

    def _on_export_done(self, outcome: str, message: str) -> None:
        # Kept until the next export: the pool thread may still be returning from run().
        self._spent_export, self._export = self._export, None
        for w in (self._export_bar, self._cancel_btn):
            w.hide()
        self._export_label.setText(message)
        self._export_label.setVisible(outcome != "failed")
        self._refresh()
        if outcome == "failed":
            self._show_error(message)
        self.exportFinished.emit(outcome == "saved", message)

    # -- helpers ------------------------------------------------------------------------------
    def _can_export(self) -> bool:
        if self._plan is None:
            return False
        if self._export is not None:
            self._show_error("An export is already running; wait for it or cancel it first.")
            return False
        return True

    def _ask_replace(self, question: str) -> bool:
        answer = QMessageBox.question(
            self,
            "Replace files?",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _start_export(self, kind: str, target: str, frame_ms: int, overwrite: bool) -> bool:
        plan = self._plan
        job = LessonExportJob(
            kind=kind,
            target=target,
            image=plan.image,  # read-only, like the frozen filter and layer
            flt=plan.filter,
            layer=plan.layer,
            flip=plan.flip,
            frame_ms=int(frame_ms),
            overwrite=overwrite,
        )
        task = _ExportTask(job)
        task.signals.progress.connect(self._on_export_progress)
        task.signals.done.connect(self._on_export_done)
        self._export = task
        total = frame_count(plan)
        self._export_bar.setRange(0, total)
        self._export_bar.setValue(0)
        self._export_label.setText(
            f"Exporting the lesson as a GIF ({total} frames)…"
            if kind == "gif"
            else f"Exporting the lesson as {total} pictures…"
        )
        self._cancel_btn.setEnabled(True)
        for w in (self._export_label, self._export_bar, self._cancel_btn):
            w.show()
        self._refresh()
        self._export_pool.start(task)
        return True

    def _show_note(self, text: str, *, error: bool) -> None:
        self._note.setText(text)
        colour = "#a00000" if error else "#6a4a00"
        self._note.setStyleSheet(f"color: {colour};")
        self._note.setVisible(bool(text))

    def _show_error(self, text: str) -> None:
        # Window-modal and non-blocking: playing, tests and the rest of the window go on.
        box = QMessageBox(QMessageBox.Icon.Warning, "Filter Studio", text, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._message_box = box
        box.open()

    def last_message(self) -> str:
        """Text of the last error message shown (for tests)."""
        box = self._message_box
        try:
            return box.text() if box is not None else ""
        except RuntimeError:  # already closed and deleted
            return ""

    def _refresh(self) -> None:
        plan = self._plan
        has = plan is not None
        for w in (self._start_btn, self._back_btn, self._forward_btn, self._end_btn,
                  self._play_btn, self._gif_btn, self._png_btn, self._speed):  # fmt: skip
            w.setEnabled(has)
        exporting = self._export is not None
        self._gif_btn.setEnabled(has and not exporting)
        self._png_btn.setEnabled(has and not exporting)
        if has:
            n = plan.step_count
            i, j = plan.steps[self._step]
            self._step_label.setText(f"Step {self._step + 1} of {n}: output cell ({i}, {j})")
            self._back_btn.setEnabled(self._step > 0)
            self._start_btn.setEnabled(self._step > 0)
            self._forward_btn.setEnabled(self._step < n - 1)
            self._end_btn.setEnabled(self._step < n - 1)
        else:
            self._step_label.setText("No lesson yet")
        playing = self.is_playing()
        self._play_btn.setText("Pause" if playing else "Play")
        icon = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self._play_btn.setIcon(self.style().standardIcon(icon))
        relevant = relevant_concepts(plan, filter_count=self._filter_count)
        html_text = explanations_html(relevant, presentation=self._presentation)
        if html_text != getattr(self, "_explain_html", None):
            self._explain_html = html_text
            self._explain.setHtml(html_text)
