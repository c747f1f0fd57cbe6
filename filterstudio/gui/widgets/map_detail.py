"""What a map view adds when zoomed in deep: the full-resolution tile, the cell grid, the values.

A large map is shown as a downscaled overview. Zoomed in far enough, :class:`DetailTile` draws
the visible cells again from the exact values (sharp, not magnified pixels), and
:func:`draw_cell_grid` outlines each cell and writes its value once cells are big enough.
Both work on :class:`ShownPicture`, the record of what the view shows and where it lies.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLineF, QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene

from filterstudio.core.colors import LIGHT_FILL_LUMA, luma
from filterstudio.gui.imaging import array_to_qimage

from .map_style import (
    DETAIL_DELAY_MS,
    DETAIL_MARGIN,
    DETAIL_MIN_MAGNIFICATION,
    GRID_COLOR,
    Z_DETAIL,
    cosmetic_pen,
    format_value,
)

#: Turns a float crop of exact values into uint8 display pixels of the same ``(h, w)``.
DetailRenderer = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ShownPicture:
    """A picture a map view shows and where its cells lie in the scene.

    ``pixels`` are the display pixels (possibly a downscaled overview), ``values`` the exact
    values of the full map (or None), ``full_hw`` the real size in cells, ``origin`` and
    ``cell_hw`` the scene position of cell ``(0, 0)`` and the scene size of one cell, and
    ``display_scale`` the scene size of one display pixel.
    """

    pixels: np.ndarray
    values: np.ndarray | None
    full_hw: tuple[int, int]
    origin: tuple[float, float]
    cell_hw: tuple[float, float]
    display_scale: tuple[float, float]

    def cell_rect(self, i: int, j: int) -> QRectF:
        """Scene rectangle of cell ``(i, j)``."""
        oy, ox = self.origin
        cy, cx = self.cell_hw
        return QRectF(ox + j * cx, oy + i * cy, cx, cy)

    def cells_in(self, rect: QRectF) -> tuple[int, int, int, int] | None:
        """Cells ``(i0, i1, j0, j1)`` (ends exclusive) that meet scene ``rect``, or None."""
        oy, ox = self.origin
        cy, cx = self.cell_hw
        fh, fw = self.full_hw
        i0 = max(0, math.floor((rect.top() - oy) / cy))
        i1 = min(fh, math.ceil((rect.bottom() - oy) / cy))
        j0 = max(0, math.floor((rect.left() - ox) / cx))
        j1 = min(fw, math.ceil((rect.right() - ox) / cx))
        if i1 <= i0 or j1 <= j0:
            return None
        return i0, i1, j0, j1

    def is_overview(self) -> bool:
        """Whether the pixels are a reduced copy of exact values the view also has."""
        if self.values is None:
            return False
        ph, pw = self.pixels.shape[:2]
        fh, fw = self.full_hw
        return self.values.shape[:2] == (fh, fw) and (ph < fh or pw < fw)


class DetailTile(QObject):
    """The full-resolution tile over a downscaled overview, redrawn a moment after zoom or pan.

    The owner calls :meth:`schedule` whenever the view moves; after :data:`DETAIL_DELAY_MS` of
    quiet, :attr:`due` asks it to call :meth:`refresh` with what it now shows.
    """

    #: The tile was redrawn or hidden.
    changed = Signal()
    #: The quiet time after the last :meth:`schedule` is over.
    due = Signal()

    def __init__(self, scene: QGraphicsScene, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._item = QGraphicsPixmapItem()
        self._item.setZValue(Z_DETAIL)
        self._item.setShapeMode(QGraphicsPixmapItem.ShapeMode.BoundingRectShape)
        self._item.setVisible(False)
        scene.addItem(self._item)
        self._renderer: DetailRenderer | None = None
        self._pixels: np.ndarray | None = None
        self._cells: tuple[int, int, int, int] | None = None  # i0, i1, j0, j1
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DETAIL_DELAY_MS)
        self._timer.timeout.connect(self.due)

    def item(self) -> QGraphicsPixmapItem:
        """The item that draws the tile (hidden when the overview suffices)."""
        return self._item

    def cells(self) -> tuple[int, int, int, int] | None:
        """Cells ``(i0, i1, j0, j1)`` the shown tile covers, or None."""
        return self._cells if self._item.isVisible() else None

    def renderer(self) -> DetailRenderer | None:
        return self._renderer

    def set_renderer(self, renderer: DetailRenderer | None) -> None:
        """How exact values become display pixels; None keeps the overview only."""
        self._renderer = renderer
        self.hide()

    def schedule(self, shown: ShownPicture | None) -> None:
        """Ask for a :attr:`due` signal after the quiet time, if a tile could be needed."""
        if self._renderer is not None and shown is not None and shown.values is not None:
            self._timer.start()

    def wanted(self, shown: ShownPicture | None, zoom: float) -> bool:
        """Whether ``shown`` at ``zoom`` needs the tile: an overview magnified past
        :data:`DETAIL_MIN_MAGNIFICATION`."""
        if self._renderer is None or shown is None or not shown.is_overview():
            return False
        return zoom * min(shown.display_scale) >= DETAIL_MIN_MAGNIFICATION

    def hide(self) -> None:
        """Drop the tile (no signal)."""
        if self._cells is None and not self._item.isVisible():
            return
        self._item.setVisible(False)
        self._item.setPixmap(QPixmap())
        self._pixels = None
        self._cells = None

    def refresh(
        self, shown: ShownPicture | None, zoom: float, seen: QRectF, *, force: bool = False
    ) -> bool:
        """Redraw the tile for scene rectangle ``seen`` at ``zoom`` (or hide it when not needed).

        The tile covers ``seen`` and :data:`DETAIL_MARGIN` of it beyond each edge. Unless
        ``force``, a tile already covering the same cells is kept. Returns whether anything
        changed (and :attr:`changed` was emitted).
        """
        if not self.wanted(shown, zoom):
            if self._item.isVisible():
                self.hide()
                self.changed.emit()
                return True
            return False
        mx, my = seen.width() * DETAIL_MARGIN, seen.height() * DETAIL_MARGIN
        cells = shown.cells_in(seen.adjusted(-mx, -my, mx, my))
        if cells is None:
            self.hide()
            self.changed.emit()
            return True
        if not force and self._item.isVisible() and self._cells == cells:
            return False
        i0, i1, j0, j1 = cells
        pixels = np.ascontiguousarray(self._renderer(shown.values[i0:i1, j0:j1]))
        self._pixels = pixels  # kept to read back the colour under a value
        self._item.setPixmap(QPixmap.fromImage(array_to_qimage(pixels)))
        oy, ox = shown.origin
        cy, cx = shown.cell_hw
        self._item.setTransform(QTransform.fromScale(cx, cy))
        self._item.setPos(ox + j0 * cx, oy + i0 * cy)
        self._item.setVisible(True)
        self._cells = cells
        self.changed.emit()
        return True

    def pixel_at(self, i: int, j: int) -> np.ndarray | None:
        """The tile's display pixel of cell ``(i, j)``, or None where the tile does not cover it."""
        cells, tile = self.cells(), self._pixels
        if cells is None or tile is None:
            return None
        i0, i1, j0, j1 = cells
        if i0 <= i < i1 and j0 <= j < j1:
            return tile[i - i0, j - j0]
        return None


def draw_cell_grid(
    painter: QPainter,
    shown: ShownPicture,
    rect: QRectF,
    *,
    with_values: bool,
    font: QFont,
    tile: DetailTile | None = None,
) -> None:
    """Outline the cells of ``shown`` inside scene ``rect`` and, ``with_values``, write each
    cell's exact value in dark or light ink, whichever reads on the pixel drawn under it."""
    cells = shown.cells_in(rect)
    if cells is None:
        return
    i0, i1, j0, j1 = cells
    oy, ox = shown.origin
    cy, cx = shown.cell_hw
    painter.save()
    painter.setPen(cosmetic_pen(GRID_COLOR, 1.0))
    top, bottom = oy + i0 * cy, oy + i1 * cy
    left, right = ox + j0 * cx, ox + j1 * cx
    lines = [QLineF(ox + j * cx, top, ox + j * cx, bottom) for j in range(j0, j1 + 1)]
    lines += [QLineF(left, oy + i * cy, right, oy + i * cy) for i in range(i0, i1 + 1)]
    painter.drawLines(lines)
    if with_values and shown.values is not None:
        _draw_values(painter, shown, cells, font, tile)
    painter.restore()


def _draw_values(painter: QPainter, shown: ShownPicture, cells, base_font: QFont,
                 tile: DetailTile | None) -> None:  # fmt: skip
    i0, i1, j0, j1 = cells
    values, pixels = shown.values, shown.pixels
    to_device = painter.worldTransform()
    painter.resetTransform()
    cell = to_device.mapRect(shown.cell_rect(0, 0))
    cw, ch = cell.width(), cell.height()
    channels = values.shape[2] if values.ndim == 3 else 1
    px = int(max(8, min(15, min(cw / 4.2, ch / 2.6))))
    font = QFont(base_font)
    font.setPixelSize(px)
    painter.setFont(font)
    line_h = painter.fontMetrics().height()
    lines = channels if channels > 1 and ch >= channels * line_h + 4 else 1
    digits = 4 if cw >= 64 else 3
    fm = painter.fontMetrics()
    room = cw - 8

    def fit(value) -> str:
        # Fewer significant digits until the number fits its cell.
        for d in range(digits, 0, -1):
            text = format_value(value, digits=d)
            if fm.horizontalAdvance(text) <= room:
                break
        return text

    vh, vw = values.shape[:2]
    ph, pw = pixels.shape[:2]
    fh, fw = shown.full_hw
    dark, light = QColor(20, 20, 20), QColor(245, 245, 245)
    flags = Qt.AlignmentFlag.AlignCenter
    for i in range(i0, i1):
        vi = min(vh - 1, i * vh // fh) if fh else 0
        pi = min(ph - 1, i * ph // fh) if fh else 0
        for j in range(j0, j1):
            vj = min(vw - 1, j * vw // fw) if fw else 0
            pj = min(pw - 1, j * pw // fw) if fw else 0
            under = tile.pixel_at(i, j) if tile is not None else None
            shown_pixel = pixels[pi, pj] if under is None else under
            painter.setPen(dark if luma(shown_pixel) >= LIGHT_FILL_LUMA else light)
            v = values[vi, vj]
            if channels == 1:
                text = fit(v if values.ndim == 2 else v[0])
            elif lines > 1:
                text = "\n".join(fit(c) for c in v[:lines])
            else:
                text = fit(v[0])
            painter.drawText(to_device.mapRect(shown.cell_rect(i, j)), flags, text)
