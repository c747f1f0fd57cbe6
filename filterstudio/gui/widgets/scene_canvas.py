"""Draws one step of a later stage's lesson (pooling, a sum over maps) scaled to the widget.

What is drawn comes from :func:`filterstudio.core.stage_lesson_scene.stage_scene`, which the
exported frames draw too; this widget only scales it and turns a click on the output map into
the cell clicked.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QWidget

from filterstudio.core.stage_lesson import StageLessonPlan
from filterstudio.core.stage_lesson_scene import Scene, stage_scene

from .step_canvas import StepCanvas

#: Numbers are written in a cell once it is at least this many pixels wide.
MIN_TEXT_CELL = 16


def _color(rgb, alpha: int = 255) -> QColor:
    return QColor(rgb[0], rgb[1], rgb[2], alpha)


class SceneCanvas(StepCanvas):
    """One step of a stage lesson; every grid, text and line scales to the widget's size."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plan: StageLessonPlan | None = None
        self._scene: Scene | None = None
        self._line_scale = 1.0

    def set_plan(self, plan: StageLessonPlan | None) -> None:
        self._plan = plan
        self._step = 0
        self._scene = None
        self.update()

    def set_step(self, k: int) -> None:
        self._step = int(k)
        self._scene = None
        self.update()

    def set_presentation(self, on: bool) -> None:
        self._line_scale = 2.0 if on else 1.0
        self.update()

    def scene(self) -> Scene | None:
        """The drawing of the step shown (None without a lesson)."""
        if self._scene is None and self._plan is not None:
            self._scene = stage_scene(self._plan, self._step)
        return self._scene

    def _transform(self) -> tuple[float, float, float]:
        """``(scale, x0, y0)``: widget pixels per scene cell and where the scene starts."""
        s = self.scene()
        w, h = float(self.width()), float(self.height())
        scale = min(w / max(s.width, 1.0), h / max(s.height, 1.0), 90.0)
        return scale, (w - s.width * scale) / 2, (h - s.height * scale) / 2

    def output_cell_center(self, i: int, j: int) -> QPointF:
        """Widget point at the centre of output cell ``(i, j)`` (scripts and tests)."""
        s = self.scene()
        if s is None:
            return QPointF()
        scale, x0, y0 = self._transform()
        ox, oy, _r, _c = s.output
        return QPointF(x0 + (ox + j + 0.5) * scale, y0 + (oy + i + 0.5) * scale)

    def mousePressEvent(self, event) -> None:
        s = self.scene()
        if s is not None and event.button() == Qt.MouseButton.LeftButton:
            scale, x0, y0 = self._transform()
            p = event.position()
            cell = s.output_cell((p.x() - x0) / scale, (p.y() - y0) / scale)
            if cell is not None:
                self.cellClicked.emit(*cell)
                event.accept()
                return
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.fillRect(self.rect(), QColor(255, 255, 255))
        s = self.scene()
        if s is not None:
            self._paint_scene(p, s)
        self._draw_focus(p)
        p.end()

    def _paint_scene(self, p: QPainter, s: Scene) -> None:
        scale, x0, y0 = self._transform()

        def rect(x, y, w, h) -> QRectF:
            return QRectF(x0 + x * scale, y0 + y * scale, w * scale, h * scale)

        grid = QPen(QColor(160, 160, 160), 1)
        value_font = self._font(scale * 0.3)
        metrics = QFontMetricsF(value_font)
        for c in s.cells:
            r = rect(c.x, c.y, 1, 1)
            p.fillRect(r, _color(c.fill))
            p.setPen(grid)
            p.drawRect(r)
            if c.text and scale >= MIN_TEXT_CELL:
                wide = metrics.horizontalAdvance(c.text)
                p.setFont(value_font if wide <= r.width() * 0.92
                          else self._font(scale * 0.3 * r.width() * 0.92 / wide))  # fmt: skip
                p.setPen(_color(c.ink))
                p.drawText(r, int(Qt.AlignmentFlag.AlignCenter), c.text)
        for f in s.frames:
            r = rect(f.x, f.y, f.w, f.h)
            if f.fill is not None:
                p.fillRect(r, _color(f.fill[:3], f.fill[3]))
            pen = QPen(_color(f.color), f.width * self._line_scale)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            if f.dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(r)
        for g in s.segments:
            pen = QPen(_color(g.color), g.width * self._line_scale)
            pen.setStyle(Qt.PenStyle.DashLine if g.dashed else Qt.PenStyle.SolidLine)
            p.setPen(pen)
            p.drawLine(QPointF(x0 + g.x0 * scale, y0 + g.y0 * scale),
                       QPointF(x0 + g.x1 * scale, y0 + g.y1 * scale))  # fmt: skip
        for t in s.texts:
            p.setFont(self._font(t.size * scale, bold=t.bold, mono=t.mono))
            p.setPen(_color(t.ink))
            p.drawText(QPointF(x0 + t.x * scale, y0 + t.y * scale), t.text)
