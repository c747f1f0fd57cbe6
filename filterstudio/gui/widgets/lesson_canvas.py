"""Draws one step of a lesson: the padded input, the kernel and the feature map filling in.

Every grid, font and line scales to the widget's size; where the grids go and what colour each
cell is come from :mod:`filterstudio.core.lesson_layout`, which the exported frames use too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QLinearGradient,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QWidget

from filterstudio.core.colors import RGB, ink_on, pixel_rgb
from filterstudio.core.lesson import LessonPlan
from filterstudio.core.lesson_layout import (
    GridCrop,
    crop_around,
    kernel_limit,
    kernel_slices,
    map_cell_rgb,
    map_range,
    scene_columns,
    weight_cell_rgb,
    window_cells,
)
from filterstudio.core.lesson_text import step_lines

from .step_canvas import StepCanvas


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


def _rgb(c: QColor) -> RGB:
    return c.red(), c.green(), c.blue()


def _qcolor(rgb: RGB) -> QColor:
    return QColor(*rgb)


def _ink_on(fill: QColor, pal: _Palette) -> QColor:
    return _qcolor(ink_on(_rgb(fill), _rgb(pal.ink)))


#: The least pixel size of a number in a lesson cell: below it the lesson shows the part of
#: its grids around the current step, with cells large enough to read.
READABLE_VALUE_PX = 9.0
#: How much larger a number must be on a projector, to be read from the back of a room.
PROJECTED_READABLE = 1.6


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
    input_crop: GridCrop
    map_crop: GridCrop
    input_view: QRectF  # where the (part of the) input grid is drawn
    map_view: QRectF  # where the (part of the) map grid is drawn


class LessonCanvas(StepCanvas):
    """Draws one lesson step; scales every grid, font and line to the widget's size."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plan: LessonPlan | None = None
        self._palette = _NORMAL
        self._message = "Choose an image and a filter to start a lesson."
        self._lines: dict[int, list[str]] = {}

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
    def layout(self) -> _Layout | None:
        """Where everything goes at the current size, or None without a lesson.

        When the whole input and map would leave their numbers too small to read
        (:data:`READABLE_VALUE_PX`), the grids show the part around the kernel's window and
        the map cell of the current step, with cells large enough for their numbers.
        """
        plan = self._plan
        if plan is None:
            return None
        pal = self._palette
        w, h = float(self.width()), float(self.height())
        margin = max(6.0, min(w, h) * 0.02)
        ph, pw = plan.padded_image.shape[:2]
        kh, kw = plan.kernel.shape[:2]
        oh, ow = plan.geometry.out_hw
        slices = len(kernel_slices(plan))
        kernel_rows = kh + (0.8 if slices > 1 else 0)
        lines = self.step_lines(self._step)
        per_cell = (0.36 if plan.channels == 1 else 0.22) * min(pal.font_scale, 1.1)
        whole_input = crop_around((ph, pw), (0, 0, ph, pw), (ph, pw))
        whole_map = crop_around((oh, ow), (0, 0, oh, ow), (oh, ow))
        # Two arrangements: the equation in the free space under the kernel and the map (big
        # grids), or under everything (when that space is too small for readable numbers).
        best = None
        best_score = -1.0
        for eq_below_all in (False, True):
            eq_share = min(0.45, 0.12 + 0.035 * len(lines)) if eq_below_all else 0.0
            grid_h = h * (1 - eq_share) - 2 * margin
            rows = max(ph, kernel_rows, oh)
            cell = min((w - 2 * margin) / scene_columns(plan), grid_h / (rows + 1.4), 120.0)
            cell = max(cell, 4.0)
            crops = (whole_input, whole_map)
            readable = READABLE_VALUE_PX * (PROJECTED_READABLE if pal is _PROJECTOR else 1.0)
            if cell * per_cell < readable:
                cropped = self._cropped(w - 2 * margin, grid_h, readable / per_cell)
                if cropped is not None and cropped[0] > cell:
                    cell, crops = cropped[0], cropped[1:]
            in_crop, map_crop = crops
            title_px = min(max(cell * 0.42, 11.0), 30.0) * pal.font_scale
            grid_top = margin + title_px * 1.8
            scene_w = in_crop.cols + 1 + slices * kw + (slices - 1) * 0.5 + 1 + map_crop.cols
            x0 = max(margin, (w - scene_w * cell) / 2)
            kx = x0 + (in_crop.cols + 1) * cell
            shown_rows = max(in_crop.rows, kernel_rows, map_crop.rows)
            right_rows = max(kernel_rows, map_crop.rows)
            if eq_below_all:
                eq_top = grid_top + shown_rows * cell + margin
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
                best, best_score = (cell, crops, title_px, grid_top, x0, eq_rect, eq_px), score
        cell, (in_crop, map_crop), title_px, grid_top, x0, eq_rect, eq_px = best
        gap = cell / 2
        kx = x0 + (in_crop.cols + 1) * cell
        kernel_origins = tuple(QPointF(kx + s * (kw * cell + gap), grid_top) for s in range(slices))
        map_x = kx + slices * (kw * cell + gap) + gap
        # Origins of the whole grids: the crop's first cell lands where the grid is drawn.
        input_origin = QPointF(x0 - in_crop.col0 * cell, grid_top - in_crop.row0 * cell)
        map_origin = QPointF(map_x - map_crop.col0 * cell, grid_top - map_crop.row0 * cell)
        return _Layout(
            cell, input_origin, kernel_origins, map_origin, margin, title_px, cell * per_cell,
            eq_rect, eq_px, in_crop, map_crop,
            QRectF(x0, grid_top, in_crop.cols * cell, in_crop.rows * cell),
            QRectF(map_x, grid_top, map_crop.cols * cell, map_crop.rows * cell),
        )  # fmt: skip

    def _cropped(self, width: float, grid_h: float, readable_cell: float):
        """``(cell, input crop, map crop)``: the parts of the input and the map around the
        current step that fit ``width`` x ``grid_h`` with cells of about ``readable_cell``."""
        plan = self._plan
        ph, pw = plan.padded_image.shape[:2]
        kh, kw = plan.kernel.shape[:2]
        oh, ow = plan.geometry.out_hw
        slices = len(kernel_slices(plan))
        fixed = 1 + slices * kw + (slices - 1) * 0.5 + 1  # gaps and the kernel, in cells
        wx, wy, kew, keh = window_cells(plan, self._step)
        kernel_rows = kh + (0.8 if slices > 1 else 0)
        cell = min(readable_cell, grid_h / (max(kernel_rows, keh) + 1.4), 120.0)
        # The window and one map cell at least, beside the kernel.
        cell = min(cell, width / (fixed + kew + 1))
        if cell <= 0:
            return None
        spare = int(width / cell - fixed)
        in_cols = min(pw, max(kew, round(spare * pw / (pw + ow))))
        map_cols = min(ow, max(1, spare - in_cols))
        in_cols = min(pw, max(kew, spare - map_cols))
        rows_room = max(1, int(grid_h / cell - 1.4))
        i, j = plan.steps[self._step]
        in_crop = crop_around((ph, pw), (wy, wx, keh, kew), (max(keh, rows_room), in_cols))
        map_crop = crop_around((oh, ow), (i, j, 1, 1), (rows_room, map_cols))
        return cell, in_crop, map_crop

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
        i = math.floor((pos.y() - lay.map_origin.y()) / lay.cell)
        j = math.floor((pos.x() - lay.map_origin.x()) / lay.cell)
        return (i, j) if lay.map_crop.contains(i, j) else None

    def map_cell_center(self, i: int, j: int) -> QPointF:
        """Widget coordinates of the centre of map cell ``(i, j)`` (for tests and scripts); a
        cell outside the part of the map drawn lies outside the map's area."""
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
            self._draw_focus(p)
            p.end()
            return
        self._draw_titles(p, lay)
        self._draw_input(p, lay)
        self._draw_kernel(p, lay)
        self._draw_map(p, lay)
        self._draw_connector(p, lay)
        self._draw_equation(p, lay)
        self._draw_focus(p)
        p.end()

    # -- painting helpers ---------------------------------------------------------------------
    def _pen(self, color: QColor, width: float) -> QPen:
        pen = QPen(color, width * self._palette.line_scale)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        return pen

    def _cell_rect(self, origin: QPointF, r: float, c: float, cell: float) -> QRectF:
        return QRectF(origin.x() + c * cell, origin.y() + r * cell, cell, cell)

    def _draw_values(self, p: QPainter, rect: QRectF, values, px: float, ink: QColor,
                     *, weight: bool = False) -> None:  # fmt: skip
        """The cell's number(s) as the lesson writes them: a weight exactly (0.0625, 1/9), a
        value exactly where it has up to 4 decimals, else rounded to 2."""
        if px < 5:
            return
        form = self._plan.number_form
        texts = [
            form.weight(float(v)).text if weight else form.cell_text(float(v))
            for v in np.atleast_1d(values)
        ]
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
        y = lay.input_view.top() - lay.title_px * 0.6
        part = " (part)" if not lay.input_crop.whole else ""
        input_title = "Input" + (" + padding" if padded else "") + part
        p.drawText(QPointF(lay.input_view.left(), y), input_title)
        kernel_title = "Kernel" + (" (turned 180°)" if plan.flip else "")
        p.drawText(QPointF(lay.kernel_origins[0].x(), y), kernel_title)
        map_title = "Feature map" + (" (part)" if not lay.map_crop.whole else "")
        p.drawText(QPointF(lay.map_view.left(), y), map_title)

    def _draw_input(self, p: QPainter, lay: _Layout) -> None:
        plan, pal, cell = self._plan, self._palette, lay.cell
        g = plan.geometry
        pt, pl = plan.pad_offset
        h, w = g.in_hw
        padded = plan.padded_image
        crop = lay.input_crop
        p.save()
        p.setClipRect(lay.input_view.adjusted(-3, -3, 3, 3))
        p.setPen(self._pen(pal.grid, 1))
        for r in range(crop.row0, crop.row0 + crop.rows):
            for c in range(crop.col0, crop.col0 + crop.cols):
                rect = self._cell_rect(lay.input_origin, r, c, cell)
                vals = padded[r, c]
                fill = _qcolor(pixel_rgb(vals))
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
        p.restore()
        self._draw_cut_sides(p, lay.input_view, crop, cell)

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
        wx, wy, kew, keh = window_cells(plan, k)
        oy, ox = wy - pt, wx - pl
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
        cell = lay.cell
        wx, wy, kew, keh = window_cells(self._plan, self._step)
        return QRectF(lay.input_origin.x() + wx * cell, lay.input_origin.y() + wy * cell,
                      kew * cell, keh * cell)  # fmt: skip

    def _draw_kernel(self, p: QPainter, lay: _Layout) -> None:
        pal, cell = self._palette, lay.cell
        slices = kernel_slices(self._plan)
        limit = kernel_limit(self._plan)
        positive, negative = _rgb(pal.positive), _rgb(pal.negative)
        px = cell * 0.36 * min(pal.font_scale, 1.1)
        for s, weights in enumerate(slices):
            origin = lay.kernel_origins[s]
            for a in range(weights.shape[0]):
                for b in range(weights.shape[1]):
                    w = float(weights[a, b])
                    rect = self._cell_rect(origin, a, b, cell)
                    fill = _qcolor(weight_cell_rgb(w, limit, positive, negative))
                    p.fillRect(rect, fill)
                    p.setPen(self._pen(pal.grid, 1))
                    p.drawRect(rect)
                    self._draw_values(p, rect, w, px, _ink_on(fill, pal), weight=True)
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
        lo, hi = map_range(plan)
        high = _rgb(pal.map_high)
        crop = lay.map_crop
        for r in range(crop.row0, crop.row0 + crop.rows):
            for c in range(crop.col0, crop.col0 + crop.cols):
                rect = self._cell_rect(lay.map_origin, r, c, cell)
                vals = partial[r, c]
                if np.isnan(np.atleast_1d(vals)).any():
                    p.fillRect(rect, pal.empty)
                    p.setPen(self._pen(pal.grid, 1))
                    p.drawRect(rect)
                    continue
                fill = _qcolor(map_cell_rgb(vals, lo, hi, high))
                p.fillRect(rect, fill)
                p.setPen(self._pen(pal.grid, 1))
                p.drawRect(rect)
                self._draw_values(p, rect, vals, lay.value_px, _ink_on(fill, pal))
        i, j = plan.steps[self._step]
        p.setPen(self._pen(pal.window, 3))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(self._cell_rect(lay.map_origin, i, j, cell))
        self._draw_cut_sides(p, lay.map_view, crop, cell)

    def _draw_cut_sides(self, p: QPainter, view: QRectF, crop: GridCrop, cell: float) -> None:
        """Where only part of a grid is drawn, its cut sides fade out: the grid goes on."""
        if crop.whole:
            return
        depth = cell * 0.45
        clear = QColor(self._palette.background)
        clear.setAlpha(0)
        solid = QColor(self._palette.background)
        solid.setAlpha(235)
        top, right, bottom, left = crop.cut_sides()
        bands = (
            (top, QRectF(view.left(), view.top(), view.width(), depth), "down"),
            (bottom, QRectF(view.left(), view.bottom() - depth, view.width(), depth), "up"),
            (left, QRectF(view.left(), view.top(), depth, view.height()), "right"),
            (right, QRectF(view.right() - depth, view.top(), depth, view.height()), "left"),
        )
        for cut, band, towards in bands:
            if not cut:
                continue
            start, end = {
                "down": (band.topLeft(), band.bottomLeft()),
                "up": (band.bottomLeft(), band.topLeft()),
                "right": (band.topLeft(), band.topRight()),
                "left": (band.topRight(), band.topLeft()),
            }[towards]
            fade = QLinearGradient(start, end)
            fade.setColorAt(0.0, solid)
            fade.setColorAt(1.0, clear)
            p.fillRect(band, fade)

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
