"""The drawing of a kernel's frequency response: magnitude as colours, labelled axes, colour bar.

Zero frequency (flat areas) is in the centre; the edges are the finest detail a picture holds,
stripes two pixels apart (0.5 cycles per pixel). A stride above 1 adds a dashed square: the
frequencies the strided map can still hold.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

from filterstudio.core import display
from filterstudio.gui.imaging import array_to_qimage

from .map_style import BACKGROUND
from .panel_parts import ColorBarWidget, small_font

__all__ = ["COLORMAP", "FrequencyPlot", "FrequencyView", "LOG_FLOOR", "response_to_uint8"]

#: Colour map of the response (dark: removed, bright: let through).
COLORMAP = "viridis"
#: The log scale shows gains from the peak down to this fraction of it (-40 dB).
LOG_FLOOR = 1e-2
_TICKS = (-0.5, -0.25, 0.0, 0.25, 0.5)
NYQUIST_COLOR = QColor(255, 255, 255)


def response_to_uint8(response: np.ndarray, *, log: bool = False) -> np.ndarray:
    """The response as 8-bit colour-mapped RGB: ``value / peak`` (log: from 1 % to the peak)."""
    r = np.asarray(response, dtype=np.float64)
    peak = float(r.max()) if r.size else 0.0
    if peak <= 0.0:
        scaled = np.zeros(r.shape)
    elif log:
        rel = np.maximum(r / peak, LOG_FLOOR)
        scaled = (np.log10(rel) - np.log10(LOG_FLOOR)) / -np.log10(LOG_FLOOR)
    else:
        scaled = r / peak
    index = np.rint(np.clip(scaled, 0.0, 1.0) * 255).astype(np.intp)
    return np.ascontiguousarray(display.colormap_lut(COLORMAP)[index])


def _gain_label(x: float) -> str:
    text = f"{x:.3g}"
    return "0" if text in ("0", "-0") else text


def colorbar_ticks(peak: float, *, log: bool) -> list[tuple[float, str]]:
    """``(position, label)`` ticks of the colour bar for a response peaking at ``peak``."""
    if peak <= 0.0:
        return [(0.0, "0")]
    if log:
        return [(0.0, _gain_label(peak * LOG_FLOOR)), (0.5, _gain_label(peak * LOG_FLOOR**0.5)),
                (1.0, _gain_label(peak))]  # fmt: skip
    return [(0.0, "0"), (0.5, _gain_label(peak / 2)), (1.0, _gain_label(peak))]


class FrequencyPlot(QWidget):
    """The response picture with frequency axes (cycles per pixel) and a stride's square."""

    #: Side of the drawn square in pixels (a 64 x 64 grid, about two pixels a sample).
    SIDE = 132

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._pixels: np.ndarray | None = None
        self._n = 0
        self._nyquist: tuple[float, float] | None = None
        self.setFont(small_font(self, -1.5))
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            "How strongly the kernel lets each frequency through (bright: kept, dark: removed).\n"
            "Centre: zero frequency, flat areas. Edges: the finest detail, stripes 2 pixels\n"
            "apart (0.5 cycles per pixel). Left-right: detail across columns; up-down: across rows."
        )
        self.setAccessibleName("frequency response")

    def set_pixels(self, pixels: np.ndarray | None, nyquist: tuple[float, float] | None) -> None:
        """Show 8-bit RGB ``pixels`` (``(n, n, 3)``); ``nyquist`` draws the stride's square."""
        self._pixels = pixels
        self._image = None if pixels is None else array_to_qimage(pixels)
        self._n = 0 if pixels is None else int(pixels.shape[0])
        self._nyquist = nyquist
        self.update()

    def plot_side(self) -> int:
        """Side of the square the response is drawn in, in pixels."""
        return self.SIDE

    def _top_margin(self) -> float:
        """As the colour bar's (same font), so the bar and the square line up."""
        return self.fontMetrics().ascent() / 2.0 + 1

    def _left_margin(self) -> int:
        fm = self.fontMetrics()
        return fm.height() + fm.horizontalAdvance("-0.25") + 6

    def _bottom_margin(self) -> int:
        return 2 * self.fontMetrics().height() + 6

    def sizeHint(self) -> QSize:
        side = self.SIDE
        height = side + self._bottom_margin() + 2 * self._top_margin()
        return QSize(self._left_margin() + side + 8, int(round(height)))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def plot_rect(self) -> QRectF:
        side = self.plot_side()
        return QRectF(self._left_margin(), self._top_margin(), side, side)

    def _x(self, rect: QRectF, f: float) -> float:
        """Where frequency ``f`` lies across the plot: the centre of its grid column."""
        n = max(self._n, 1)
        return rect.left() + min(max((f * n + n // 2 + 0.5) / n, 0.0), 1.0) * rect.width()

    def _y(self, rect: QRectF, f: float) -> float:
        n = max(self._n, 1)
        return rect.top() + min(max((f * n + n // 2 + 0.5) / n, 0.0), 1.0) * rect.height()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        rect = self.plot_rect()
        painter.fillRect(rect, BACKGROUND)
        if self._image is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(rect, self._image)
        text = self.palette().windowText().color()
        painter.setPen(QPen(text, 1.0))
        painter.drawRect(rect)
        fm = self.fontMetrics()
        for f in _TICKS:
            label = "0" if f == 0 else f"{f:g}"
            x, y = self._x(rect, f), self._y(rect, f)
            painter.drawLine(QPointF(x, rect.bottom()), QPointF(x, rect.bottom() + 3))
            painter.drawLine(QPointF(rect.left() - 3, y), QPointF(rect.left(), y))
            if f in (-0.5, 0.0, 0.5):
                w = fm.horizontalAdvance(label)
                tx = min(max(x - w / 2, rect.left() - w / 2), rect.right() - w / 2)
                painter.drawText(QPointF(tx, rect.bottom() + 3 + fm.ascent()), label)
                painter.drawText(QPointF(rect.left() - 5 - w, y + fm.ascent() / 2 - 1), label)
        title_y = rect.bottom() + 5 + fm.height() + fm.ascent()
        painter.drawText(
            QRectF(rect.left() - 20, title_y - fm.ascent(), rect.width() + 40, fm.height()),
            Qt.AlignmentFlag.AlignHCenter,
            "left-right, cycles/pixel",
        )
        painter.save()
        painter.translate(fm.ascent(), rect.center().y())
        painter.rotate(-90)
        painter.drawText(
            QRectF(-rect.height() / 2 - 20, -fm.ascent(), rect.height() + 40, fm.height()),
            Qt.AlignmentFlag.AlignHCenter,
            "up-down, cycles/pixel",
        )
        painter.restore()
        if self._nyquist is not None and self._image is not None:
            fy, fx = self._nyquist
            box = QRectF(
                QPointF(self._x(rect, -fx), self._y(rect, -fy)),
                QPointF(self._x(rect, fx), self._y(rect, fy)),
            )
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(QColor(0, 0, 0, 160), 3.0))
            painter.drawRect(box)
            pen = QPen(NYQUIST_COLOR, 1.5, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawRect(box)
        painter.end()


class FrequencyView(QWidget):
    """:class:`FrequencyPlot` and its colour bar, side by side."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = FrequencyPlot(self)
        self.colorbar = ColorBarWidget(self)
        self.colorbar.setToolTip(
            "The gain: how many times stronger (or weaker) a pattern comes out."
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.plot, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.colorbar, 0, Qt.AlignmentFlag.AlignTop)
        self._pixels: np.ndarray | None = None

    def set_response(
        self, response: np.ndarray | None, *, log: bool, nyquist: tuple[float, float] | None
    ) -> None:
        """Draw ``response`` (float magnitudes, zero frequency in the centre), or clear."""
        if response is None:
            self._pixels = None
            self.plot.set_pixels(None, None)
            self.colorbar.set_colorbar(COLORMAP, [])
            return
        self._pixels = response_to_uint8(response, log=log)
        self._pixels.setflags(write=False)
        self.plot.set_pixels(self._pixels, nyquist)
        self.colorbar.set_colorbar(COLORMAP, colorbar_ticks(float(np.max(response)), log=log))
        # The bar spans the plot's square, not the axis labels under it.
        pad = self.colorbar.fontMetrics().ascent() / 2.0 + 1
        self.colorbar.setFixedHeight(int(round(self.plot.plot_side() + 2 * pad)))

    def pixels(self) -> np.ndarray | None:
        """The 8-bit RGB picture drawn (read-only), or None."""
        return self._pixels
