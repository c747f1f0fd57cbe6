"""A kernel's weights as a read-only grid of tinted cells, drawn fast enough to follow a descent.

The same tints and number format as the editable grid (:mod:`.kernel_grid`), painted in one
pass instead of a line edit per cell, so a frame of a descent costs one repaint.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from .kernel_grid import cell_colors, format_cell

__all__ = ["KernelValuesView", "format_weight"]

_GAP = 2
_MIN_CELL_W, _MIN_CELL_H = 30, 22
_MAX_CELL = 64
_PAD = 6


def format_weight(value: float, largest: float) -> str:
    """A weight to three significant digits of the kernel's ``largest`` one, zeros dropped.

    Every cell of a kernel then has the same resolution, so a weight on its way to 0 reads 0
    (and float noise of a solve reads 0) while the weights that matter stay legible.

    Examples
    --------
    >>> [format_weight(v, 0.3775) for v in (0.3775, -0.009327, 0.11, 3e-9)]
    ['0.378', '-0.009', '0.11', '0']
    >>> [format_weight(v, 7.0) for v in (7.0, -1.5, 0.004)]
    ['7', '-1.5', '0']
    """
    if not math.isfinite(value):
        return format_cell(value)
    if largest <= 0 or not math.isfinite(largest):
        return format_cell(value)
    decimals = max(0, min(8, 2 - math.floor(math.log10(largest))))
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class KernelValuesView(QWidget):
    """Weights of a 2-D kernel, tinted blue (negative) to red (positive); the exact values in
    the tooltip."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kernel: np.ndarray | None = None
        self._placeholder = ""
        self._title = title
        self._caption = ""
        self._font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(3 * (_MIN_CELL_W + _GAP), 3 * (_MIN_CELL_H + _GAP))
        self.setAccessibleName("kernel weights")

    def set_kernel(self, kernel: np.ndarray | None, caption: str | None = None) -> None:
        """Show ``kernel`` (``(kh, kw)``), or nothing, and a new caption if one is given.

        The caption is painted, not a label: a label whose text changes every frame of a
        descent would lay the whole page out again each time.
        """
        if caption is not None:
            self._caption = caption
        self._kernel = None if kernel is None else np.asarray(kernel, dtype=np.float32)
        if self._kernel is not None:
            rows = "\n".join(" ".join(f"{v:.6g}" for v in row) for row in self._kernel)
            self.setToolTip(rows)
        else:
            self.setToolTip("")
        self.update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def kernel(self) -> np.ndarray | None:
        return self._kernel

    def caption(self) -> str:
        return self._caption

    def _top(self) -> int:
        """Height of the title and the two caption lines above the cells."""
        lines = (1 if self._title else 0) + (2 if self._title or self._caption else 0)
        return lines * self.fontMetrics().height() + (4 if lines else 0)

    def texts(self) -> list[list[str]]:
        """The numbers as the cells show them (see :func:`format_weight`)."""
        k = self._kernel
        if k is None:
            return []
        finite = np.abs(k[np.isfinite(k)])
        top = float(finite.max()) if finite.size else 0.0
        return [[format_weight(float(v), top) for v in row] for row in k]

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        kh, kw = (3, 3) if self._kernel is None else self._kernel.shape
        return QSize(kw * (54 + _GAP) + 2 * _PAD, kh * (34 + _GAP) + 2 * _PAD)

    def _cells(self) -> tuple[float, float, float, float]:
        """Cell width and height and the grid's top-left corner, centred in the widget."""
        kh, kw = self._kernel.shape
        top = self._top()
        w = min(_MAX_CELL * 1.6, (self.width() - 2 * _PAD) / kw - _GAP)
        h = min(_MAX_CELL, (self.height() - top - 2 * _PAD) / kh - _GAP)
        w, h = max(w, 8.0), max(h, 8.0)
        x0 = (self.width() - kw * (w + _GAP)) / 2
        y0 = top + (self.height() - top - kh * (h + _GAP)) / 2
        return w, h, x0, y0

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        pal = self.palette()
        self._paint_text(p)
        k = self._kernel
        if k is None or k.size == 0:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            box = self.rect().adjusted(0, self._top(), 0, 0)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self._placeholder)  # fmt: skip
            p.end()
            return
        kh, kw = k.shape
        w, h, x0, y0 = self._cells()
        texts = self.texts()
        longest = max((t for row in texts for t in row), key=len)
        font = QFont(self._font)
        size = max(6.0, min(14.0, h * 0.45))
        font.setPointSizeF(size)
        while size > 6.0 and QFontMetrics(font).horizontalAdvance(longest) > w - 4:
            size -= 0.5
            font.setPointSizeF(size)
        p.setFont(font)
        max_abs = float(np.abs(k[np.isfinite(k)]).max()) if np.isfinite(k).any() else 0.0
        grid = QColor(170, 170, 170)
        for r in range(kh):
            for c in range(kw):
                cell = QRectF(x0 + c * (w + _GAP), y0 + r * (h + _GAP), w, h)
                bg, fg = cell_colors(float(k[r, c]), max_abs)
                p.fillRect(cell, bg)
                p.setPen(QPen(grid, 1))
                p.drawRect(cell)
                p.setPen(fg)
                p.drawText(cell, Qt.AlignmentFlag.AlignCenter, texts[r][c])
        p.end()

    def _paint_text(self, p: QPainter) -> None:
        """The bold title and the caption (wrapped to two lines) above the cells."""
        line = self.fontMetrics().height()
        width = self.width() - 8
        y = 2
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        if self._title:
            bold = QFont(self.font())
            bold.setBold(True)
            p.setFont(bold)
            p.drawText(QRectF(4, y, width, line), Qt.AlignmentFlag.AlignLeft, self._title)
            p.setFont(self.font())
            y += line
        if self._caption:
            flags = Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap
            p.drawText(QRectF(4, y, width, 2 * line), flags, self._caption)
