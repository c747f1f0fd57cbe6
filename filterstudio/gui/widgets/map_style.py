"""How the map views draw: colours, zoom and detail thresholds, halo outlines, one value's text."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QStyleOptionGraphicsItem

#: Background behind the picture: mid-dark neutral grey, so black and white maps both stand out.
BACKGROUND = QColor(68, 68, 68)
FRAME_COLOR = QColor(150, 150, 150)
INPUT_OUTLINE_COLOR = QColor(200, 200, 200, 110)
GRID_COLOR = QColor(128, 128, 128, 170)
TAP_COLOR = QColor(255, 214, 0)
PADDED_TAP_COLOR = QColor(255, 90, 220)
WINDOW_COLOR = QColor(0, 229, 255)
HIGHLIGHT_COLOR = QColor(0, 229, 255)
HALO_COLOR = QColor(0, 0, 0, 200)

#: A map cell at least this many screen pixels wide gets grid lines.
GRID_MIN_PX = 14.0
#: A map cell at least this many screen pixels wide also shows its value.
VALUES_MIN_PX = 36.0
#: Multiplicative step of one wheel notch or one +/- key press.
ZOOM_STEP = 1.25
MAX_ZOOM = 512.0

#: A downscaled overview magnified at least this much is replaced, where it is seen, by a tile
#: drawn from the exact values at full resolution.
DETAIL_MIN_MAGNIFICATION = 1.25
#: The detail tile covers the visible cells and this share of the viewport beyond each edge, so
#: that a short pan shows no soft border before the next tile.
DETAIL_MARGIN = 0.25
#: Quiet time after the last zoom or pan before the tile is redrawn.
DETAIL_DELAY_MS = 60

Z_PIXMAP = 0.0
Z_DETAIL = 0.5
Z_FRAME = 1.0
Z_HIGHLIGHT = 3.0
Z_WINDOW = 4.0
Z_TAPS = 5.0


def detail_level(cell_px: float, *, has_values: bool = True) -> str:
    """What to draw over a map whose cells are ``cell_px`` screen pixels wide.

    Parameters
    ----------
    cell_px : float
        On-screen size of the smaller side of one map cell, in screen pixels.
    has_values : bool
        Whether exact values are known; without them the densest level is ``"grid"``.

    Returns
    -------
    str
        ``"pixels"`` (the picture only), ``"grid"`` (cell outlines) or ``"values"``
        (outlines and each cell's number).
    """
    if cell_px >= VALUES_MIN_PX and has_values:
        return "values"
    if cell_px >= GRID_MIN_PX:
        return "grid"
    return "pixels"


def format_value(value: float, *, digits: int = 3) -> str:
    """A compact text for one map value: ``3``, ``-2.31``, ``0.125``, ``1.5e+03``.

    Parameters
    ----------
    value : float
        The value to write.
    digits : int
        Significant digits.

    Returns
    -------
    str
        The text; ``-0`` is written ``0``, NaN as ``nan``.
    """
    v = float(value)
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    text = f"{v:.{digits}g}"
    if text in ("-0", "-0.0"):
        text = "0"
    return text


def cosmetic_pen(color: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    """A pen of ``width`` screen pixels at any zoom, with square corners."""
    pen = QPen(color, width, style)
    pen.setCosmetic(True)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    return pen


class OutlineItem(QGraphicsRectItem):
    """A rectangle outline with a dark halo under its line, readable on any picture."""

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        pen = self.pen()
        halo = cosmetic_pen(HALO_COLOR, pen.widthF() + 2.0)
        painter.setBrush(self.brush())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRect(self.rect())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(halo)
        painter.drawRect(self.rect())
        painter.setPen(pen)
        painter.drawRect(self.rect())
