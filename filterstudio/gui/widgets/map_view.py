"""A zoomable picture of the input or of one feature map, drawn in input-pixel coordinates."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from filterstudio.core.geometry import MapGeometry
from filterstudio.gui.imaging import array_to_qimage

from .field_overlay import FieldOverlay
from .map_detail import DetailRenderer, DetailTile, ShownPicture, draw_cell_grid
from .map_style import (
    BACKGROUND,
    FRAME_COLOR,
    HIGHLIGHT_COLOR,
    INPUT_OUTLINE_COLOR,
    MAX_ZOOM,
    Z_FRAME,
    Z_HIGHLIGHT,
    Z_PIXMAP,
    ZOOM_STEP,
    OutlineItem,
    cosmetic_pen,
    detail_level,
)


class MapView(QGraphicsView):
    """One picture (the input, or a feature map) in input-pixel scene coordinates.

    Input pixel ``(y, x)`` covers the scene square ``[x, x+1) x [y, y+1)``; a feature map's cell
    ``(i, j)`` covers ``geometry.cell_rect(i, j)``, so a feature sits at the same scene place in
    the input and in every map, and views that share zoom and centre show the same region.

    Signals
    -------
    hoveredCell(int, int)
        Map cell ``(i, j)`` under the cursor (for the input: pixel ``(y, x)``); ``(-1, -1)`` when
        the cursor is off the picture or has left the view. Emitted only when it changes.
    clicked()
        A press and release without dragging.
    viewChanged()
        Zoom or centre was changed by the user (wheel, keys, drag) or by a zoom/centre method;
        not emitted for changes pushed by :class:`ViewSync`, by resizes or by new content.
    detailChanged()
        The full-resolution detail tile was redrawn or hidden (see :meth:`set_detail_renderer`).
    """

    #: The keys a picture or map answers while it has the focus, for the list of shortcuts.
    KEYS: tuple[tuple[str, str], ...] = (
        ("+, -", "zoom in or out (every picture follows)"),
        ("0, 1", "fit the picture, or one screen pixel per picture pixel"),
        ("Wheel", "zoom about the pointer; zoomed far in, each cell shows its number"),
        ("Drag", "move the picture"),
    )

    hoveredCell = Signal(int, int)
    clicked = Signal()
    viewChanged = Signal()
    detailChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setBackgroundBrush(BACKGROUND)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("map view: zoom with the wheel or + and -, drag to pan")
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        self.setMinimumSize(32, 32)

        self._pixmap_item = QGraphicsPixmapItem()
        # Scaling a large pixmap smoothly on every repaint (each hover redraws the overlay) is
        # costly; the device-coordinate cache scales it once per zoom level.
        self._pixmap_item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._pixmap_item.setShapeMode(QGraphicsPixmapItem.ShapeMode.BoundingRectShape)
        self._pixmap_item.setZValue(Z_PIXMAP)
        self.scene().addItem(self._pixmap_item)
        self._frame_item = self._add_outline(QGraphicsRectItem(), FRAME_COLOR, 1.0, Z_FRAME)
        self._input_outline_item = self._add_outline(
            QGraphicsRectItem(), INPUT_OUTLINE_COLOR, 1.0, Z_FRAME, Qt.PenStyle.DotLine
        )
        self._highlight_item = self._add_outline(OutlineItem(), HIGHLIGHT_COLOR, 2.0, Z_HIGHLIGHT)
        # A hovered cell's taps, field and winning cell.
        self._overlay = FieldOverlay(self.scene())
        # Deep zoom into a downscaled overview: the visible cells drawn from the exact values.
        self._detail = DetailTile(self.scene(), self)
        self._detail.due.connect(self.refresh_detail)
        self._detail.changed.connect(self.detailChanged)

        # The arrays behind the shown picture: kept so the QImage memory stays valid and so the
        # value overlay can read exact numbers and pick a readable text colour.
        self._shown: ShownPicture | None = None
        self._image: QImage | None = None
        self._geometry: MapGeometry | None = None
        self._full_hw: tuple[int, int] = (0, 0)
        self._in_hw: tuple[int, int] = (0, 0)
        self._cell_hw: tuple[float, float] = (1.0, 1.0)
        self._origin: tuple[float, float] = (0.0, 0.0)
        self._display_scale: tuple[float, float] = (1.0, 1.0)

        self._fit_mode = True
        self._applying = 0
        self._press_pos: QPoint | None = None
        self._dragging = False
        self._hovered: tuple[int, int] = (-1, -1)

    def _add_outline(self, item: QGraphicsRectItem, color: QColor, width: float, z: float,
                     style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QGraphicsRectItem:  # fmt: skip
        """Put a hidden outline ``item`` in the scene, drawn with a cosmetic pen at ``z``."""
        item.setPen(cosmetic_pen(color, width, style))
        item.setZValue(z)
        item.setVisible(False)
        self.scene().addItem(item)
        return item

    # ------------------------------------------------------------------ content

    def set_content(
        self,
        pixels: np.ndarray | None,
        *,
        geometry: MapGeometry | None,
        values: np.ndarray | None = None,
        full_hw: tuple[int, int] | None = None,
    ) -> None:
        """Show a picture, or nothing.

        Parameters
        ----------
        pixels : numpy.ndarray or None
            uint8 ``(h, w)`` or ``(h, w, 3)`` display pixels, possibly a downscaled copy of the
            full map; wrapped without copying when C-contiguous and kept alive by the view.
            None clears the view.
        geometry : MapGeometry or None
            None: ``pixels`` is the input image. Otherwise where the map's cells lie on the input.
        values : numpy.ndarray or None
            Exact float values of the full map (``(H, W)`` or ``(H, W, C)``), written into the
            cells when zoomed in far enough.
        full_hw : tuple of int, optional
            The real size ``(H, W)`` of the map (or input) that ``pixels`` shows; defaults to
            ``geometry.out_hw`` for a map and ``pixels.shape[:2]`` for the input.
        """
        old_in_hw = self._in_hw
        if pixels is None:
            self._shown = self._image = None
            self._geometry = None
            self._detail.hide()
            self._pixmap_item.setPixmap(QPixmap())
            self._frame_item.setVisible(False)
            self._input_outline_item.setVisible(False)
            self.set_highlight_cell(None)
            self.viewport().update()
            return
        if not pixels.flags.c_contiguous:
            pixels = np.ascontiguousarray(pixels)
        image = array_to_qimage(pixels)
        ph, pw = pixels.shape[:2]
        if full_hw is None:
            full_hw = geometry.out_hw if geometry is not None else (ph, pw)
        fh, fw = int(full_hw[0]), int(full_hw[1])
        if geometry is None:
            in_hw = (fh, fw)
            oy, ox = 0.0, 0.0
            cy, cx = 1.0, 1.0
        else:
            in_hw = (int(geometry.in_hw[0]), int(geometry.in_hw[1]))
            oy, ox = geometry.placement_offset()
            cy, cx = float(geometry.stride[0]), float(geometry.stride[1])
        self._image = image
        self._geometry = geometry
        self._full_hw, self._in_hw = (fh, fw), in_hw
        self._origin, self._cell_hw = (oy, ox), (cy, cx)
        # Display pixel -> scene: one display pixel spans (fh/ph) cells of cy scene units.
        sy = fh * cy / ph if ph else 1.0
        sx = fw * cx / pw if pw else 1.0
        self._display_scale = (sy, sx)
        self._shown = ShownPicture(pixels, values, (fh, fw), (oy, ox), (cy, cx), (sy, sx))
        self._pixmap_item.setPixmap(QPixmap.fromImage(image))
        self._pixmap_item.setTransform(QTransform.fromScale(sx, sy))
        self._pixmap_item.setPos(ox, oy)
        self._frame_item.setRect(self.content_rect())
        self._frame_item.setVisible(True)
        self._input_outline_item.setRect(QRectF(0.0, 0.0, in_hw[1], in_hw[0]))
        self._input_outline_item.setVisible(geometry is not None)
        if in_hw != old_in_hw:
            self._update_scene_rect()
            if self._fit_mode:
                self._apply_fit()
        self._update_smoothing()
        # The old tile shows the old values: redrawn at once while it is needed, else dropped.
        if self._detail.wanted(self._shown, self.zoom()):
            self.refresh_detail(force=True)
        else:
            self._detail.hide()
        self.viewport().update()

    def set_detail_renderer(self, renderer: DetailRenderer | None) -> None:
        """How to draw exact values as display pixels, for sharp deep zoom into a large map.

        The overview of a large map is a downscaled copy; zoomed in so far that it is magnified
        more than :data:`DETAIL_MIN_MAGNIFICATION` times, the view draws the visible cells of
        the exact values (given to :meth:`set_content`) with ``renderer``, which takes a float
        crop ``(h, w)`` or ``(h, w, C)`` and returns uint8 pixels of the same ``(h, w)``, drawn
        as the overview is. None (the default) keeps the overview only.
        """
        self._detail.set_renderer(renderer)
        self._detail.schedule(self._shown)

    def detail_item(self) -> QGraphicsPixmapItem:
        """The item that draws the full-resolution tile (hidden when the overview suffices)."""
        return self._detail.item()

    def detail_cells(self) -> tuple[int, int, int, int] | None:
        """Cells ``(i0, i1, j0, j1)`` the shown detail tile covers, or None."""
        return self._detail.cells()

    def refresh_detail(self, force: bool = False) -> None:
        """Bring the detail tile up to date now instead of after the quiet time (for scripts,
        tests and screenshots); ``force`` redraws it even where it covers the same cells."""
        seen = self.mapToScene(self.viewport().rect()).boundingRect()
        if self._detail.refresh(self._shown, self.zoom(), seen, force=force):
            self.viewport().update()

    def content_rect(self) -> QRectF:
        """Scene rectangle covered by the whole picture (all map cells, or all input pixels)."""
        oy, ox = self._origin
        cy, cx = self._cell_hw
        return QRectF(ox, oy, self._full_hw[1] * cx, self._full_hw[0] * cy)

    def input_rect(self) -> QRectF:
        """Scene rectangle of the input image (the same in every view of one input)."""
        return QRectF(0.0, 0.0, float(self._in_hw[1]), float(self._in_hw[0]))

    def pixmap_item(self) -> QGraphicsPixmapItem:
        """The item that draws the picture (its scene bounding rect is the content rect)."""
        return self._pixmap_item

    def map_geometry(self) -> MapGeometry | None:
        """The map geometry of the shown picture; None for the input."""
        return self._geometry

    def _update_scene_rect(self) -> None:
        # Every view of one input gets the same scene rectangle, with room to pan past the edges
        # and to show padded receptive-field taps; equal rects keep synced views aligned even
        # when zoomed out further than the scene.
        h, w = self._in_hw
        margin = max(h, w, 8) * 0.75 + 32.0
        self.setSceneRect(QRectF(-margin, -margin, w + 2 * margin, h + 2 * margin))

    # ------------------------------------------------------------------ overlays

    def set_highlight_cell(self, i: int | None, j: int | None = None) -> None:
        """Outline map cell ``(i, j)`` (input pixel ``(y, x)`` for the input); None clears it.

        Parameters
        ----------
        i, j : int or None
            Cell index; None or a negative index removes the outline.
        """
        if i is None or j is None or i < 0 or j < 0 or self._shown is None:
            self._highlight_item.setVisible(False)
            return
        rect = self.cell_rect(i, j)
        self._highlight_item.setRect(rect)
        self._highlight_item.setVisible(True)

    def highlight_item(self) -> QGraphicsRectItem:
        """The item outlining the highlighted cell (hidden when none)."""
        return self._highlight_item

    def cell_rect(self, i: int, j: int) -> QRectF:
        """Scene rectangle of cell ``(i, j)`` of the shown picture."""
        oy, ox = self._origin
        cy, cx = self._cell_hw
        return QRectF(ox + j * cx, oy + i * cy, cx, cy)

    def set_receptive_field(self, taps: Sequence[tuple[int, int, int, int, bool]] | None) -> None:
        """Outline the input pixels a map cell reads, and their window; None clears.

        Parameters
        ----------
        taps : sequence of (a, b, y, x, inside) or None
            As :meth:`MapGeometry.taps`: kernel index, input pixel, and whether the pixel is a
            real one (True) or padding (False). Real taps get a solid bright outline; padded
            taps a dashed outline in another colour with a translucent fill (they lie outside
            the image). The bounding box of all taps is outlined with a thin dashed line.
        """
        self._overlay.set_taps(taps)

    def receptive_field_items(self) -> list[QGraphicsRectItem]:
        """One outline item per tap of the current receptive field, in tap order."""
        return self._overlay.tap_items()

    def window_item(self) -> QGraphicsRectItem:
        """The item outlining the bounding box of the receptive field."""
        return self._overlay.window

    def cells_rect(self, top: int, left: int, rows: int, cols: int) -> QRectF:
        """Scene rectangle of ``rows x cols`` cells of the shown picture from ``(top, left)``
        (input pixels for the input; cells may lie past the edge)."""
        return self.cell_rect(top, left).united(self.cell_rect(top + rows - 1, left + cols - 1))

    def set_field(self, cells: tuple[int, int, int, int] | None) -> None:
        """Fill and outline the cells ``(top, left, rows, cols)`` a hovered cell of a later
        stage reads (picture pixels in the input); None hides it."""
        rect = None if cells is None or self._shown is None else self.cells_rect(*cells)
        self._overlay.set_field(rect)

    def set_mark(self, cell: tuple[int, int] | None) -> None:
        """Outline cell ``(i, j)``: the one that won a max pool; None hides it."""
        rect = None if cell is None or self._shown is None else self.cell_rect(*cell)
        self._overlay.set_mark(rect)

    def field_item(self) -> QGraphicsRectItem:
        """The item drawn by :meth:`set_field` (hidden when none)."""
        return self._overlay.field

    def mark_item(self) -> QGraphicsRectItem:
        """The item drawn by :meth:`set_mark` (hidden when none)."""
        return self._overlay.mark

    # ------------------------------------------------------------------ zoom and centre

    def zoom(self) -> float:
        """Screen pixels per input pixel."""
        return float(self.transform().m11())

    def center(self) -> QPointF:
        """Scene point at the centre of the viewport."""
        return self._to_scene(
            QPointF(self.viewport().width() / 2.0, self.viewport().height() / 2.0)
        )

    def is_fit(self) -> bool:
        """Whether the view fits the whole input (and refits on resize)."""
        return self._fit_mode

    def min_zoom(self) -> float:
        """Smallest zoom: the input at most ~50 screen pixels wide (never more than 1)."""
        side = max(self._in_hw[0], self._in_hw[1], 1)
        return min(1.0, 50.0 / side)

    def fit_zoom(self) -> float:
        """The zoom at which the whole input fits the viewport, with a small margin."""
        h, w = self._in_hw
        if h <= 0 or w <= 0:
            return 1.0
        vw = max(self.viewport().width() - 8, 1)
        vh = max(self.viewport().height() - 8, 1)
        return self._clamp_zoom(min(vw / w, vh / h))

    def set_zoom(self, factor: float) -> None:
        """Set the zoom (screen pixels per input pixel), keeping the scene centre."""
        self.apply_view_state(factor, self.center())
        self.viewChanged.emit()

    def zoom_in(self) -> None:
        """Zoom in one step about the viewport centre."""
        self.set_zoom(self.zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        """Zoom out one step about the viewport centre."""
        self.set_zoom(self.zoom() / ZOOM_STEP)

    def zoom_fit(self) -> None:
        """Show the whole input, centred, and keep fitting it when the view is resized."""
        self._apply_fit()
        self.viewChanged.emit()

    def zoom_100(self) -> None:
        """One input pixel per screen pixel, keeping the scene centre."""
        self.set_zoom(1.0)

    def center_on_point(self, x: float, y: float) -> None:
        """Put scene point ``(x, y)`` (input coordinates) at the viewport centre."""
        self.apply_view_state(self.zoom(), QPointF(x, y))
        self.viewChanged.emit()

    def apply_view_state(self, zoom: float, center: QPointF) -> None:
        """Set zoom and centre without emitting :attr:`viewChanged` (used by ViewSync)."""
        self._fit_mode = False
        self._set_transform_and_center(self._clamp_zoom(zoom), center)

    def apply_fit(self) -> None:
        """Fit the input without emitting :attr:`viewChanged` (used by ViewSync)."""
        self._apply_fit()

    def _apply_fit(self) -> None:
        self._fit_mode = True
        self._set_transform_and_center(self.fit_zoom(), self.input_rect().center())

    def _clamp_zoom(self, zoom: float) -> float:
        return max(self.min_zoom(), min(MAX_ZOOM, float(zoom)))

    def _set_transform_and_center(self, zoom: float, center: QPointF) -> None:
        self._applying += 1
        try:
            self.setTransform(QTransform.fromScale(zoom, zoom))
            self.centerOn(center)
        finally:
            self._applying -= 1
        self._update_smoothing()
        self._detail.schedule(self._shown)
        self.viewport().update()

    def _zoom_about(self, factor: float, anchor: QPointF) -> None:
        """Zoom by ``factor`` keeping the scene point under viewport point ``anchor`` in place."""
        old = self.zoom()
        new = self._clamp_zoom(old * factor)
        if new == old:
            return
        p = self._to_scene(anchor)
        c = self.center()
        ratio = old / new
        center = QPointF(p.x() + (c.x() - p.x()) * ratio, p.y() + (c.y() - p.y()) * ratio)
        self.apply_view_state(new, center)
        self.viewChanged.emit()

    def _to_scene(self, viewport_point: QPointF) -> QPointF:
        inverse, _ok = self.viewportTransform().inverted()
        return inverse.map(QPointF(viewport_point))

    def _update_smoothing(self) -> None:
        # Nearest neighbour whenever a display pixel covers at least one screen pixel, so cells
        # stay crisp squares; smooth only when a downscaled overview is shrunk further.
        shown = self.zoom() * min(self._display_scale)
        mode = (
            Qt.TransformationMode.FastTransformation
            if shown >= 1.0
            else Qt.TransformationMode.SmoothTransformation
        )
        if self._pixmap_item.transformationMode() != mode:
            self._pixmap_item.setTransformationMode(mode)

    def cell_screen_px(self) -> float:
        """On-screen size (screen pixels) of the smaller side of one cell at the current zoom."""
        return self.zoom() * min(self._cell_hw)

    def current_detail_level(self) -> str:
        """The overlay level at the current zoom; see :func:`detail_level`."""
        if self._shown is None:
            return "pixels"
        return detail_level(self.cell_screen_px(), has_values=self._shown.values is not None)

    # ------------------------------------------------------------------ events

    def resizeEvent(self, event) -> None:
        self._applying += 1
        try:
            super().resizeEvent(event)
        finally:
            self._applying -= 1
        if self._fit_mode:
            self._apply_fit()
        self._detail.schedule(self._shown)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._detail.schedule(self._shown)
        if self._dragging and not self._applying:
            self.viewChanged.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta == 0:
            event.ignore()
            return
        self._zoom_about(ZOOM_STEP ** (delta / 120.0), event.position())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_out()
        elif key == Qt.Key.Key_0:
            self.zoom_fit()
        elif key == Qt.Key.Key_1:
            self.zoom_100()
        else:
            before = self.center()
            super().keyPressEvent(event)
            if self.center() != before:
                self._fit_mode = False
                self.viewChanged.emit()
            return
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_pos = event.position().toPoint()
            self._dragging = True
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._dragging:
            self._fit_mode = False
        super().mouseMoveEvent(event)
        self._update_hover(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._dragging = False
            press, self._press_pos = self._press_pos, None
            if press is not None:
                moved = (event.position().toPoint() - press).manhattanLength()
                if moved < QApplication.startDragDistance():
                    self.clicked.emit()

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        self._set_hovered((-1, -1))

    def cell_at_scene(self, point: QPointF) -> tuple[int, int]:
        """Cell ``(i, j)`` of the shown picture at a scene point, or ``(-1, -1)``."""
        if self._shown is None:
            return (-1, -1)
        if self._geometry is not None:
            cell = self._geometry.cell_at(point.y(), point.x())
            return cell if cell is not None else (-1, -1)
        y, x = math.floor(point.y()), math.floor(point.x())
        if 0 <= y < self._full_hw[0] and 0 <= x < self._full_hw[1]:
            return (int(y), int(x))
        return (-1, -1)

    def _update_hover(self, viewport_pos: QPointF) -> None:
        self._set_hovered(self.cell_at_scene(self._to_scene(viewport_pos)))

    def _set_hovered(self, cell: tuple[int, int]) -> None:
        if cell != self._hovered:
            self._hovered = cell
            self.hoveredCell.emit(cell[0], cell[1])

    # ------------------------------------------------------------------ painting

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if self.hasFocus():
            # The keyboard focus shows as a frame inside the view (the map is custom painted,
            # so no style draws one for it).
            painter = QPainter(self.viewport())
            pen = QPen(self.palette().color(QPalette.ColorRole.Highlight), 2.0)
            painter.setPen(pen)
            painter.drawRect(QRectF(self.viewport().rect()).adjusted(1, 1, -1, -1))
            painter.end()

    def focusInEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().focusInEvent(event)
        self.viewport().update()

    def focusOutEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().focusOutEvent(event)
        self.viewport().update()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        level = self.current_detail_level()
        if level == "pixels":
            return
        visible = rect.intersected(self.content_rect())
        if visible.isEmpty():
            return
        draw_cell_grid(painter, self._shown, visible, with_values=level == "values",
                       font=self.font(), tile=self._detail)  # fmt: skip
