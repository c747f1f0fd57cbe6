"""The loss of a descent, step by step, on a log scale, with the exact answer's loss as a floor.

Drawn with QPainter: decade lines and labels on the left, steps along the bottom, the curve
thinned to two points (lowest and highest) per pixel column however many steps it holds, and
a dashed line at the loss of the exact least-squares kernel, where the steps lead.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

__all__ = ["LossCurveWidget", "column_envelope", "nice_ceiling", "nice_step"]

_CURVE = QColor(31, 119, 180)
_EXACT = QColor(44, 160, 44)
_TITLE = "Loss (mean squared error, log scale) by step"
# Losses are drawn down to this fraction of the largest (a noise-free fit reaches 1e-20).
_DEPTH = 1e-14


def nice_step(span: float, count: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) that cuts ``span`` into about ``count``."""
    if span <= 0:
        return 1.0
    raw = span / max(1, count)
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def column_envelope(x: np.ndarray, y: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """At most two points per column of ``columns``: each column's lowest and highest ``y``.

    ``x`` is in ``[0, 1]`` and increasing; a curve with fewer points than ``2 * columns`` is
    returned as it is.
    """
    if x.size <= 2 * columns:
        return x, y
    col = np.minimum((x * columns).astype(np.int64), columns - 1)
    starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
    lo = np.minimum.reduceat(y, starts)
    hi = np.maximum.reduceat(y, starts)
    xs = np.repeat(x[starts], 2)
    ys = np.empty(2 * starts.size)
    # Drawn falling (high then low) as a loss mostly does.
    ys[0::2], ys[1::2] = hi, lo
    return xs, ys


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(value))
    for m in (1, 2, 5, 10):
        if m * power >= value:
            return m * power
    return 10 * power


def _label(decade: int) -> str:
    return "1" if decade == 0 else f"1e{decade}"


class LossCurveWidget(QWidget):
    """The loss curve of a descent (log scale) and the exact answer's loss."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._steps = np.zeros(0)
        self._losses = np.zeros(0)
        self._exact: float | None = None
        self._placeholder = ""
        self._background: tuple[tuple, QPixmap] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 120)
        self.setAccessibleName("loss curve")

    def set_curve(self, steps, losses, exact: float | None = None) -> None:
        """Draw ``losses`` against ``steps``; ``exact`` is the loss the steps lead to."""
        self._steps = np.asarray(steps, dtype=np.float64)
        self._losses = np.asarray(losses, dtype=np.float64)
        self._exact = exact
        self.update()

    def clear(self, placeholder: str = "") -> None:
        self.set_curve(np.zeros(0), np.zeros(0), None)
        self._placeholder = placeholder

    def point_count(self) -> int:
        return int(self._steps.size)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(420, 220)

    def _decades(self) -> tuple[int, int]:
        """The chart's lowest and highest power of ten."""
        finite = self._losses[np.isfinite(self._losses) & (self._losses > 0)]
        top = float(finite.max()) if finite.size else 1.0
        floor = top * _DEPTH
        low = float(finite.min()) if finite.size else top / 10
        if self._exact is not None and self._exact > floor:
            low = min(low, self._exact)
        low = max(low, floor)
        lo, hi = math.floor(math.log10(low)), math.ceil(math.log10(top))
        return lo, max(hi, lo + 1)

    def _layout(self) -> tuple[QRectF, int, int, float] | None:
        """The plot's rectangle, its lowest and highest decade and its last step, or None."""
        fm = self.fontMetrics()
        line = fm.height()
        lo, hi = self._decades()
        left = fm.horizontalAdvance(f"1e{lo}") + 10
        plot = QRectF(left, line + 8, self.width() - left - 10, self.height() - 2 * line - 16)
        if plot.width() < 20 or plot.height() < 20:
            return None
        # The step axis reaches a round number past the newest step, so it stays put (and the
        # background is drawn once) while the curve grows into it.
        last = float(self._steps[-1]) if self._steps.size else 0.0
        return plot, lo, hi, nice_ceiling(max(last, 10.0))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        layout = self._layout() if self._steps.size else None
        if layout is None:
            self._paint_empty(p)
            p.end()
            return
        plot, lo, hi, last = layout
        key = (self.size().toTuple(), lo, hi, last, self.devicePixelRatioF())
        if self._background is None or self._background[0] != key:
            self._background = (key, self._draw_background(plot, lo, hi, last))
        p.drawPixmap(0, 0, self._background[1])
        self._paint_curve(p, plot, lo, hi, last)
        p.end()

    def _paint_empty(self, p: QPainter) -> None:
        pal = self.palette()
        p.setPen(pal.color(QPalette.ColorRole.WindowText))
        p.drawText(QRectF(4, 2, self.width() - 8, self.fontMetrics().height()),
                   Qt.AlignmentFlag.AlignLeft, _TITLE)  # fmt: skip
        p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                   self._placeholder)  # fmt: skip

    def _draw_background(self, plot: QRectF, lo: int, hi: int, last: float) -> QPixmap:
        """Title, decade lines and labels, step ticks and the frame, drawn once per layout."""
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap((self.size().toSizeF() * ratio).toSize())
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(self.palette().color(QPalette.ColorRole.Window))
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        ink = self.palette().color(QPalette.ColorRole.WindowText)
        faint = QColor(ink)
        faint.setAlpha(50)
        fm = self.fontMetrics()
        line = fm.height()
        p.setPen(ink)
        title = fm.elidedText(_TITLE, Qt.TextElideMode.ElideRight, self.width() - 8)
        p.drawText(QRectF(4, 2, self.width() - 8, line), Qt.AlignmentFlag.AlignLeft, title)
        # Decade lines, labelled (every n-th when they crowd).
        every = max(1, math.ceil((hi - lo) * line * 1.5 / plot.height()))
        for d in range(lo, hi + 1):
            y = plot.bottom() - (d - lo) / (hi - lo) * plot.height()
            p.setPen(QPen(faint, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            if (d - lo) % every == 0:
                p.setPen(ink)
                p.drawText(QRectF(0, y - line / 2, plot.left() - 5, line),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, _label(d))  # fmt: skip
        # Steps along the bottom.
        step = nice_step(last, max(2, int(plot.width() // 90)))
        p.setPen(ink)
        tick = 0.0
        while tick <= last + 1e-9:
            x = plot.left() + tick / last * plot.width()
            p.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 3))
            text = f"{tick:g}"
            half = fm.horizontalAdvance(text) / 2
            x_text = min(max(x - half, plot.left() - half), self.width() - 2 * half - 2)
            p.drawText(QPointF(x_text, plot.bottom() + 4 + fm.ascent()), text)
            tick += step
        p.setPen(QPen(ink, 1))
        p.drawRect(plot)
        p.end()
        return pixmap

    def _paint_curve(self, p: QPainter, plot: QRectF, lo: int, hi: int, last: float) -> None:
        """The curve (clamped to the chart's floor), the exact answer's line, the legend."""
        ok = np.isfinite(self._losses)
        x = self._steps[ok] / last
        y = np.log10(np.clip(self._losses[ok], 10.0**lo, None))
        xs, ys = column_envelope(x, y, max(1, int(plot.width() / 2)))
        if xs.size:
            px = (plot.left() + xs * plot.width()).tolist()
            py = (plot.bottom() - (ys - lo) / (hi - lo) * plot.height()).tolist()
            # Two one-pixel polylines a pixel apart, not antialiased: an antialiased wide pen
            # over the zigzag of a momentum run costs hundreds of milliseconds a frame.
            p.setPen(QPen(_CURVE, 1))
            poly = QPolygonF([QPointF(a, b) for a, b in zip(px, py)])
            if poly.size() == 1:
                p.drawRect(QRectF(poly[0].x() - 1, poly[0].y() - 1, 2, 2))
            else:
                p.drawPolyline(poly)
                p.drawPolyline(poly.translated(0.0, 1.0))
        line = self.fontMetrics().height()
        lines = [(_CURVE, f"step {int(self._steps[-1])}: {self._losses[-1]:.3g}")]
        if self._exact is not None and math.isfinite(self._exact):
            top = float(np.nanmax(self._losses)) if self._losses.size else 0.0
            shown = "≈ 0" if self._exact <= top * _DEPTH else f"{self._exact:.3g}"
            where = "" if self._exact >= 10.0**lo else " (off the chart)"
            lines.append((_EXACT, f"exact answer: {shown}{where}"))
            if not where:
                ye = plot.bottom() - (math.log10(self._exact) - lo) / (hi - lo) * plot.height()
                p.setPen(QPen(_EXACT, 1.5, Qt.PenStyle.DashLine))
                p.drawLine(QPointF(plot.left(), ye), QPointF(plot.right(), ye))
        box = plot.adjusted(4, 2, -4, 0)
        fm = self.fontMetrics()
        for i, (colour, text) in enumerate(lines):
            shown = fm.elidedText(text, Qt.TextElideMode.ElideRight, int(box.width()))
            p.setPen(colour.darker(130))
            p.drawText(QRectF(box.left(), box.top() + i * line, box.width(), line),
                       Qt.AlignmentFlag.AlignRight, shown)  # fmt: skip
