"""What a hovered cell reads, drawn over a map view: its taps, its receptive field, a winning cell.

A view's scene is in picture pixels (:mod:`.map_view`); the overlay puts outlines in it with
cosmetic pens, so they keep their width at every zoom. Three kinds: the taps of a first-stage
window (each pixel outlined, padding dashed), the rectangle a later-stage cell reads (filled
lightly, so a large field reads as an area rather than a crowd of outlines), and the one cell
that won a max pool.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsScene

from .map_style import (
    PADDED_TAP_COLOR,
    TAP_COLOR,
    WINDOW_COLOR,
    Z_TAPS,
    Z_WINDOW,
    OutlineItem,
    cosmetic_pen,
)

#: The cell that won a max pool: a colour no tap or window uses.
WINNER_COLOR = QColor(60, 255, 90)


def _translucent(color: QColor, alpha: int) -> QBrush:
    return QBrush(QColor(color.red(), color.green(), color.blue(), alpha))


class FieldOverlay:
    """The outlines of one view's scene (see the module doc); each kind hides on None."""

    def __init__(self, scene: QGraphicsScene) -> None:
        self._scene = scene
        self._taps: list[QGraphicsRectItem] = []
        self.window = self._item(WINDOW_COLOR, 1.0, Z_WINDOW, Qt.PenStyle.DashLine)
        self.field = self._item(TAP_COLOR, 2.0, Z_WINDOW)
        self.field.setBrush(_translucent(TAP_COLOR, 45))
        self.mark = self._item(WINNER_COLOR, 3.0, Z_TAPS + 1)

    def _item(self, color: QColor, width: float, z: float,
              style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QGraphicsRectItem:  # fmt: skip
        item = OutlineItem()
        item.setPen(cosmetic_pen(color, width, style))
        item.setZValue(z)
        item.setVisible(False)
        self._scene.addItem(item)
        return item

    def tap_items(self) -> list[QGraphicsRectItem]:
        return list(self._taps)

    def set_taps(self, taps: Sequence[tuple[int, int, int, int, bool]] | None) -> None:
        """Outline each tap ``(a, b, y, x, inside)`` and their bounding window; None clears."""
        for item in self._taps:
            self._scene.removeItem(item)
        self._taps = []
        if not taps:
            self.window.setVisible(False)
            return
        inside_pen = cosmetic_pen(TAP_COLOR, 2.0)
        padded_pen = cosmetic_pen(PADDED_TAP_COLOR, 2.0, Qt.PenStyle.DashLine)
        padded_brush = _translucent(PADDED_TAP_COLOR, 70)
        for _a, _b, y, x, inside in taps:
            item = OutlineItem(QRectF(float(x), float(y), 1.0, 1.0))
            item.setPen(inside_pen if inside else padded_pen)
            if not inside:
                item.setBrush(padded_brush)
            item.setZValue(Z_TAPS)
            self._scene.addItem(item)
            self._taps.append(item)
        ys = [t[2] for t in taps]
        xs = [t[3] for t in taps]
        y0, y1, x0, x1 = min(ys), max(ys) + 1, min(xs), max(xs) + 1
        self.window.setRect(QRectF(float(x0), float(y0), float(x1 - x0), float(y1 - y0)))
        self.window.setVisible(True)

    @staticmethod
    def _show(item: QGraphicsRectItem, rect: QRectF | None) -> None:
        if rect is None or rect.isEmpty():
            item.setVisible(False)
            return
        item.setRect(rect)
        item.setVisible(True)

    def set_field(self, rect: QRectF | None) -> None:
        """Fill and outline the scene rectangle a cell reads; None hides it."""
        self._show(self.field, rect)

    def set_mark(self, rect: QRectF | None) -> None:
        """Outline the scene rectangle of the winning cell; None hides it."""
        self._show(self.mark, rect)
