"""Feature-map panels, the input panel, and the grid that lays the map panels out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QImage, QMouseEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from filterstudio.core import display
from filterstudio.core.geometry import MapGeometry
from filterstudio.core.vocabulary import MAPPING_TERMS, MAPPINGS, Term

from .choices import fill_choices
from .map_view import BACKGROUND, MapView, format_value, wrap_uint8

ACCENT = QColor(45, 140, 255)
DEFAULT_CHOICE = "default"
DEFAULT_MAPPING = Term(DEFAULT_CHOICE, DEFAULT_CHOICE, "The mapping chosen for every map (View menu).")
#: Space a panel needs around its picture: colour bar (width) and title, controls, stats (height).
PANEL_OVERHEAD = (40, 76)
#: The least a map panel shrinks to, even when its compact form would fit in less.
PANEL_FLOOR = (120, 100)
#: The least the feature grid shrinks to when it holds no panels.
GRID_MINIMUM = (160, 130)
GRID_SPACING = 4
NEGATIVE_BAR = QColor(96, 150, 220)
POSITIVE_BAR = QColor(230, 150, 60)


def grid_shape(
    count: int,
    width: float,
    height: float,
    *,
    aspect: float = 4 / 3,
    overhead: tuple[float, float] = PANEL_OVERHEAD,
    spacing: float = GRID_SPACING,
    minimum: tuple[float, float] = (0.0, 0.0),
) -> tuple[int, int]:
    """Rows and columns that show ``count`` panels in ``width x height`` as large as possible.

    Parameters
    ----------
    count : int
        Number of panels.
    width, height : float
        Space for the whole grid, in pixels.
    aspect : float
        Width / height of the pictures the panels show.
    overhead : tuple of float
        Pixels of each panel that are not picture: ``(horizontal, vertical)``.
    spacing : float
        Gap between panels.
    minimum : tuple of float
        The smallest ``(width, height)`` a panel can take. A layout whose cells are smaller
        loses to every layout whose cells hold a panel (its panels would be cut off); when no
        layout holds them, the one that comes closest wins.

    Returns
    -------
    tuple of int
        ``(rows, cols)``; ``(0, 0)`` for no panels. Ties go to the layout with fewer empty
        cells, then to fewer columns.

    Examples
    --------
    >>> grid_shape(4, 1200, 800)
    (2, 2)
    """
    if count <= 0:
        return (0, 0)
    aspect = aspect if aspect > 0 and math.isfinite(aspect) else 4 / 3
    best: tuple[bool, float, int, int] | None = None
    best_shape = (count, 1)
    for cols in range(1, count + 1):
        rows = math.ceil(count / cols)
        if (rows - 1) * cols >= count:
            continue  # a whole empty row: another column count does it better
        cell_w = (width - spacing * (cols - 1)) / cols
        cell_h = (height - spacing * (rows - 1)) / rows
        # The layout hands out whole pixels: some cells get the rounded-down share.
        fits = math.floor(cell_w) >= minimum[0] and math.floor(cell_h) >= minimum[1]
        if fits:
            # Width of the picture fitted into the cell; rounded so that near-ties are ties.
            cw, ch = cell_w - overhead[0], cell_h - overhead[1]
            score = round(max(0.0, min(cw, ch * aspect)), 0)
        else:
            # The share of a panel's minimum that the tighter side of a cell offers.
            score = round(min(cell_w / max(minimum[0], 1.0), cell_h / max(minimum[1], 1.0)), 3)
        key = (fits, score, -(rows * cols - count), -cols)
        if best is None or key > best:
            best, best_shape = key, (rows, cols)
    return best_shape


def _small_font(widget: QWidget, delta: float = -1.0) -> QFont:
    font = QFont(widget.font())
    size = font.pointSizeF()
    if size > 0:
        font.setPointSizeF(max(7.0, size + delta))
    return font


def _mono_font(widget: QWidget) -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    size = _small_font(widget).pointSizeF()
    if size > 0:
        font.setPointSizeF(size)
    return font


def format_stats(stats, *, compact: bool = False) -> str:
    """The statistics line of a :class:`~filterstudio.core.display.MapStats`.

    Parameters
    ----------
    stats : MapStats
        Minimum, maximum, mean and share of negative values.
    compact : bool
        Leave out the mean and use single spaces, for narrow panels.

    Returns
    -------
    str
        ``"min -2.31  max 3.02  mean 0.01  neg 48%"`` (compact: ``"min -2.31 max 3.02 neg 48%"``).
        A mean that is float noise next to the range (below a millionth of it) is written ``0``.
    """
    neg = float(stats.negative_fraction) * 100.0
    if 0.0 < neg < 0.5:
        neg_text = "<1%"
    elif 99.5 <= neg < 100.0:
        neg_text = ">99%"
    else:
        neg_text = f"{neg:.0f}%"
    scale = max(abs(float(stats.min)), abs(float(stats.max)))
    mean = float(stats.mean)
    if abs(mean) <= 1e-6 * scale:
        mean = 0.0
    lo, hi = format_value(stats.min), format_value(stats.max)
    if compact:
        return f"min {lo} max {hi} neg {neg_text}"
    return f"min {lo}  max {hi}  mean {format_value(mean)}  neg {neg_text}"


class ElidingLabel(QLabel):
    """A one-line label that shortens its text with "…" to fit its width (Qt's elidedText).

    ``text()`` returns the full text; only the painting is shortened.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = text
        self.setMinimumWidth(1)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        super().setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._full = text
        self._elide()

    def text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.width())
        super().setText(shown)


class HistogramWidget(QWidget):
    """A small histogram of a map's values: bars (square-root height), a line at zero."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._counts: np.ndarray | None = None
        self._edges: np.ndarray | None = None
        # The bars drawn once per histogram and size: panels repaint far more often than that.
        self._cache: QPixmap | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(40)
        self.setFixedHeight(18)

    def sizeHint(self) -> QSize:
        return QSize(80, 18)

    def set_histogram(self, counts: np.ndarray | None, edges: np.ndarray | None) -> None:
        """Show ``counts`` per bin between ``edges`` (``len(counts) + 1`` values); None clears."""
        self._counts = None if counts is None else np.asarray(counts, dtype=np.float64)
        self._edges = None if edges is None else np.asarray(edges, dtype=np.float64)
        self._cache = None
        self.update()

    def zero_position(self) -> float | None:
        """Where zero lies across the widget (0..1), or None when zero is outside the range."""
        if self._edges is None or len(self._edges) < 2:
            return None
        lo, hi = float(self._edges[0]), float(self._edges[-1])
        if not lo <= 0.0 <= hi or hi <= lo:
            return None
        return (0.0 - lo) / (hi - lo)

    def paintEvent(self, event) -> None:
        counts, edges = self._counts, self._edges
        if counts is None or edges is None or counts.size == 0 or counts.max() <= 0:
            return
        ratio = self.devicePixelRatioF()
        cache = self._cache
        if cache is None or cache.size() != self.size() * ratio:
            cache = QPixmap(self.size() * ratio)
            cache.setDevicePixelRatio(ratio)
            cache.fill(Qt.GlobalColor.transparent)
            painter = QPainter(cache)
            self._draw_bars(painter)
            painter.end()
            self._cache = cache
        painter = QPainter(self)
        painter.drawPixmap(0, 0, cache)
        painter.end()

    def _draw_bars(self, painter: QPainter) -> None:
        counts, edges = self._counts, self._edges
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.fillRect(rect, BACKGROUND)
        # Square-root heights: edge maps pile up near zero and would flatten every other bar.
        heights = np.sqrt(counts / counts.max())
        n = counts.size
        bar_w = rect.width() / n
        centres = (edges[:-1] + edges[1:]) / 2.0
        for k in range(n):
            if heights[k] <= 0:
                continue
            h = max(1.0, heights[k] * (rect.height() - 1))
            color = NEGATIVE_BAR if centres[k] < 0 else POSITIVE_BAR
            painter.fillRect(
                QRectF(rect.left() + k * bar_w, rect.bottom() - h, max(1.0, bar_w - 0.5), h), color
            )
        zero = self.zero_position()
        if zero is not None:
            x = rect.left() + zero * rect.width()
            painter.setPen(QPen(QColor(240, 240, 240), 1.0))
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))


class ColorBarWidget(QWidget):
    """A vertical colour bar (high end on top) with value labels at its ticks."""

    BAR_WIDTH = 10

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bar: np.ndarray | None = None
        self._image: QImage | None = None
        self._ticks: list[tuple[float, str]] = []
        self.setFont(_small_font(self, -1.5))
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)

    def set_colorbar(self, colormap: str | None, ticks: Sequence[tuple[float, str]]) -> None:
        """Show the bar of ``colormap`` with ``ticks`` ``(position 0..1 from the low end, label)``."""
        self._bar = display.colorbar(colormap, 256, True)
        self._image = wrap_uint8(self._bar)
        self._ticks = list(ticks)
        self.updateGeometry()
        self.update()

    def ticks(self) -> list[tuple[float, str]]:
        """The ticks shown."""
        return list(self._ticks)

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        label_w = max((fm.horizontalAdvance(t) for _, t in self._ticks), default=0)
        return QSize(self.BAR_WIDTH + 6 + label_w + 2, 60)

    def minimumSizeHint(self) -> QSize:
        return QSize(self.sizeHint().width(), 20)

    def paintEvent(self, event) -> None:
        if self._image is None:
            return
        painter = QPainter(self)
        fm = self.fontMetrics()
        pad = fm.ascent() / 2.0 + 1
        bar = QRectF(1, pad, self.BAR_WIDTH, max(1.0, self.height() - 2 * pad))
        painter.drawImage(bar, self._image)
        painter.setPen(QPen(self.palette().windowText().color(), 1.0))
        painter.drawRect(bar)
        for pos, label in self._ticks:
            y = bar.bottom() - pos * bar.height()
            painter.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 3, y))
            painter.drawText(QPointF(bar.right() + 5, y + fm.ascent() / 2.0 - 1), label)


class _ClickFilter(QObject):
    """Reports a mouse press on any watched child without consuming it."""

    def __init__(self, callback, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._callback = callback

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonPress:
            self._callback()
        return False


class _PanelFrame(QFrame):
    """A frame that paints its own border: thin normally, thick accent when selected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._selected = False
        self.setFrameShape(QFrame.Shape.NoFrame)

    def is_selected(self) -> bool:
        """Whether the selection frame is shown."""
        return self._selected

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        if self._selected:
            pen = QPen(ACCENT, 3.0)
            painter.setPen(pen)
            painter.drawRect(QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5))
        else:
            painter.setPen(QPen(self.palette().mid().color(), 1.0))
            painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))


class MapPanelWidget(_PanelFrame):
    """One filter's panel in the feature-map grid: title, map, display controls, stats.

    Signals
    -------
    selectRequested()
        The user clicked the panel (anywhere, or the map without dragging it).
    mappingChanged(str, str)
        The user picked a display mapping or colour map: ``(mapping, colormap)`` as names;
        ``"default"`` mapping and ``""`` colour map mean "the studio's default".
    reluToggled(bool)
        The ReLU button was toggled by the user.
    hoveredCell(int, int)
        Map cell under the cursor, ``(-1, -1)`` when none.
    """

    selectRequested = Signal()
    mappingChanged = Signal(str, str)
    reluToggled = Signal(bool)
    hoveredCell = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # No fixed minimum: minimumSizeHint() gives the compact form's, which follows the font.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._shown_mapping: str | None = None
        self._busy = False
        self._stats_full = ""
        self._stats_compact = ""

        self._title = ElidingLabel("")
        title_font = QFont(self.font())
        title_font.setBold(True)
        self._title.setFont(title_font)
        # Shown and hidden with every preview of a large map: a note over the picture's corner,
        # outside the layout, so it neither takes room from the title nor lays the panel out.
        self._busy_label = QLabel("updating\u2026", self)
        self._busy_label.setFont(_small_font(self))
        self._busy_label.setStyleSheet(
            "color: rgb(235, 235, 235); background: rgba(30, 30, 30, 170); padding: 1px 4px;"
        )
        self._busy_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._busy_label.adjustSize()
        self._busy_label.setVisible(False)

        self._view = MapView()
        self._colorbar = ColorBarWidget()
        self._colorbar.setVisible(False)
        self._error = QLabel()
        self._error.setWordWrap(True)
        self._error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._error.setStyleSheet(f"background: {BACKGROUND.name()}; color: #ffb4a8; padding: 8px;")
        self._error.setMinimumSize(40, 30)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._view)
        self._stack.addWidget(self._error)

        small = _small_font(self)
        self._mapping_combo = QComboBox()
        self._mapping_combo.setToolTip("How values become grey levels or colours")
        fill_choices(self._mapping_combo, (DEFAULT_MAPPING, *MAPPING_TERMS))
        self._colormap_combo = QComboBox()
        self._colormap_combo.setToolTip("Colour map")
        for combo in (self._mapping_combo, self._colormap_combo):
            combo.setFont(small)
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(4)
            combo.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._fill_colormaps(self._colormap_kind(DEFAULT_CHOICE), "")
        self._relu_button = QToolButton()
        self._relu_button.setText("ReLU")
        self._relu_button.setFont(small)
        self._relu_button.setCheckable(True)
        self._relu_button.setToolTip("Activation: max(0, v) after the bias")
        self._histogram = HistogramWidget()
        self._histogram.setToolTip("Histogram of the values (blue below zero, orange above)")
        self._stats = ElidingLabel("")
        self._stats.setFont(_mono_font(self))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(5, 4, 5, 4)
        layout.setSpacing(3)
        # The minimum is minimumSizeHint()'s compact form, also for a panel shown on its own.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        title_row = QHBoxLayout()
        title_row.setSpacing(4)
        title_row.addWidget(self._title, 1)
        layout.addLayout(title_row)
        picture_row = QHBoxLayout()
        picture_row.setSpacing(3)
        picture_row.addWidget(self._stack, 1)
        picture_row.addWidget(self._colorbar)
        layout.addLayout(picture_row, 1)
        self._controls = controls = QHBoxLayout()
        controls.setSpacing(3)
        controls.addWidget(self._mapping_combo, 1)
        controls.addWidget(self._colormap_combo, 1)
        controls.addWidget(self._relu_button)
        controls.addWidget(self._histogram, 1)
        layout.addLayout(controls)
        layout.addWidget(self._stats)

        self._click_filter = _ClickFilter(self.selectRequested.emit, self)
        for child in (
            self._title,
            self._busy_label,
            self._colorbar,
            self._error,
            self._mapping_combo,
            self._colormap_combo,
            self._relu_button,
            self._histogram,
            self._stats,
        ):
            child.installEventFilter(self._click_filter)

        self._view.clicked.connect(self.selectRequested)
        self._view.hoveredCell.connect(self.hoveredCell)
        self._mapping_combo.currentIndexChanged.connect(self._on_mapping_combo_changed)
        self._colormap_combo.currentIndexChanged.connect(self._on_colormap_combo_changed)
        self._relu_button.toggled.connect(self._on_relu_button_toggled)

    # ------------------------------------------------------------------ public API

    @property
    def view(self) -> MapView:
        """The map view of this panel."""
        return self._view

    def title(self) -> str:
        """The title text."""
        return self._title.text()

    def stats_text(self) -> str:
        """The full statistics line (a narrow panel shows a shorter form)."""
        return self._stats_full

    def error_text(self) -> str:
        """The error message shown instead of the map, or ``""``."""
        return self._error.text() if self.has_error() else ""

    def has_error(self) -> bool:
        """Whether an error message is shown instead of the map."""
        return self._stack.currentWidget() is self._error

    def is_busy(self) -> bool:
        """Whether the panel shows that a new map is being computed."""
        return self._busy

    def mapping(self) -> str:
        """The mapping chosen in the combo (``"default"`` or one of the mappings)."""
        return str(self._mapping_combo.currentData())

    def colormap(self) -> str:
        """The colour map chosen in the combo (``""`` for the default)."""
        return str(self._colormap_combo.currentData())

    def colorbar_widget(self) -> ColorBarWidget:
        """The colour bar beside the map."""
        return self._colorbar

    def histogram_widget(self) -> HistogramWidget:
        """The histogram in the controls row."""
        return self._histogram

    def set_title(self, text: str) -> None:
        """Set the title line, e.g. ``"sobel_x  3x3 -> 1500x2000"``."""
        self._title.setText(text)
        self._title.setToolTip(text)

    def set_map(
        self,
        pixels: np.ndarray | None,
        *,
        geometry: MapGeometry | None,
        values: np.ndarray | None = None,
        full_hw: tuple[int, int] | None = None,
        stats=None,
        mapping: str | None = None,
        colormap: str | None = None,
        ticks: Sequence[tuple[float, str]] | None = None,
    ) -> None:
        """Show a computed map with its statistics, histogram and colour bar.

        Parameters
        ----------
        pixels : numpy.ndarray or None
            uint8 display pixels (possibly downscaled), as :meth:`MapView.set_content`.
        geometry : MapGeometry or None
            Where the cells lie on the input.
        values : numpy.ndarray, optional
            Exact float values of the full map (shown in the cells when zoomed in).
        full_hw : tuple of int, optional
            The map's real size.
        stats : MapStats, optional
            From :func:`filterstudio.core.display.map_stats`; fills the stats line and histogram.
        mapping, colormap : str, optional
            The mapping and colour map the pixels were made with (not ``"default"``); decide
            whether a colour bar is shown and what it says.
        ticks : sequence of (float, str), optional
            Colour bar ticks computed off the GUI thread; by default they come from ``stats``
            (exact for every mapping except ``diverging`` on a colour map, whose limit is taken
            over the channel mean and so is read from ``values``).
        """
        self._stack.setCurrentWidget(self._view)
        # Deep zoom draws the exact cells exactly as the worker drew the overview.
        renderer = None
        if values is not None and stats is not None and mapping:
            renderer = partial(
                display.to_uint8, mapping=mapping, colormap=colormap, limits=(stats.min, stats.max)
            )
        self._view.set_detail_renderer(renderer)
        self._view.set_content(pixels, geometry=geometry, values=values, full_hw=full_hw)
        self._shown_mapping = mapping
        if self.mapping() == DEFAULT_CHOICE:
            self._refill_colormaps_for_mapping()
        if stats is not None:
            self._stats_full = format_stats(stats)
            self._stats_compact = format_stats(stats, compact=True)
            self._stats.setToolTip(self._stats_full)
            self._histogram.set_histogram(stats.histogram, stats.edges)
        else:
            self._stats_full = self._stats_compact = ""
            self._histogram.set_histogram(None, None)
        self._update_colorbar(mapping, colormap, stats, values, ticks)
        self._apply_compact_mode()
        grid = self.parentWidget()
        if isinstance(grid, FeatureGridWidget):
            grid.refresh_layout()  # a new input may have another aspect ratio

    def set_error(self, message: str) -> None:
        """Show ``message`` in place of the map (the map and its numbers are cleared)."""
        self._error.setText(message)
        self._stack.setCurrentWidget(self._error)
        self._view.set_content(None, geometry=None)
        self._stats_full = self._stats_compact = ""
        self._stats.setText("")
        self._histogram.set_histogram(None, None)
        self._colorbar.setVisible(False)

    def set_busy(self, busy: bool) -> None:
        """Show or hide the small "updating" note over the picture's top-right corner."""
        if self._busy != bool(busy):
            self._busy = bool(busy)
            if self._busy:
                self._place_busy_label()
                self._busy_label.raise_()
            self._busy_label.setVisible(self._busy)

    def _place_busy_label(self) -> None:
        area = self._stack.geometry()
        label = self._busy_label
        label.move(max(area.left(), area.right() - label.width() - 3), area.top() + 3)

    def set_selected(self, selected: bool) -> None:
        """Show the thick accent frame of the selected filter."""
        if self._selected != bool(selected):
            self._selected = bool(selected)
            self.update()

    def set_relu(self, on: bool) -> None:
        """Set the ReLU button without emitting :attr:`reluToggled`."""
        self._relu_button.blockSignals(True)
        try:
            self._relu_button.setChecked(bool(on))
        finally:
            self._relu_button.blockSignals(False)

    def is_relu(self) -> bool:
        """Whether the ReLU button is on."""
        return self._relu_button.isChecked()

    def set_mapping(self, mapping: str, colormap: str | None = "") -> None:
        """Set the mapping and colour map combos without emitting :attr:`mappingChanged`.

        Parameters
        ----------
        mapping : str
            ``"default"`` or one of :data:`~filterstudio.core.MAPPINGS`.
        colormap : str or None
            A colour map name; ``""`` or None for the default.
        """
        self._mapping_combo.blockSignals(True)
        self._colormap_combo.blockSignals(True)
        try:
            index = self._mapping_combo.findData(mapping or DEFAULT_CHOICE)
            self._mapping_combo.setCurrentIndex(max(0, index))
            self._fill_colormaps(self._colormap_kind(self.mapping()), colormap or "")
        finally:
            self._mapping_combo.blockSignals(False)
            self._colormap_combo.blockSignals(False)

    # ------------------------------------------------------------------ internals

    def _colormap_kind(self, mapping: str) -> str:
        effective = self._shown_mapping if mapping == DEFAULT_CHOICE else mapping
        return "diverging" if effective == "diverging" else "sequential"

    def _fill_colormaps(self, kind: str, current: str) -> None:
        names = display.DIVERGING_COLORMAPS if kind == "diverging" else display.COLORMAPS
        combo = self._colormap_combo
        if combo.property("kind") == kind and combo.count():
            combo.setCurrentIndex(max(0, combo.findData(current)))
            return
        combo.clear()
        combo.addItem(DEFAULT_CHOICE, "")
        for name in names:
            combo.addItem(name, name)
        combo.setProperty("kind", kind)
        combo.setCurrentIndex(max(0, combo.findData(current)))

    def _refill_colormaps_for_mapping(self) -> None:
        self._colormap_combo.blockSignals(True)
        try:
            self._fill_colormaps(self._colormap_kind(self.mapping()), self.colormap())
        finally:
            self._colormap_combo.blockSignals(False)

    def _update_colorbar(self, mapping, colormap, stats, values, ticks) -> None:
        colored = mapping == "diverging" or (colormap not in (None, "", "gray", "grey"))
        if not colored or mapping not in MAPPINGS:
            self._colorbar.setVisible(False)
            return
        if ticks is None:
            ticks = self._ticks_for(mapping, stats, values)
        bar_map = colormap if colormap else None
        if mapping == "diverging" and bar_map not in display.DIVERGING_COLORMAPS:
            bar_map = display.DEFAULT_DIVERGING
        try:
            self._colorbar.set_colorbar(bar_map, ticks)
        except ValueError:
            self._colorbar.setVisible(False)
            return
        self._colorbar.setVisible(True)

    @staticmethod
    def _ticks_for(mapping: str, stats, values) -> list[tuple[float, str]]:
        # The ticks depend only on the map's range: ask for them with a two-value stand-in
        # instead of passing the whole map through the GUI thread.
        if mapping == "diverging" and values is not None and np.ndim(values) == 3:
            return display.colorbar_ticks(mapping, values)
        if stats is None:
            if values is None:
                return display.colorbar_ticks(mapping, np.zeros((0, 0), np.float32))
            return display.colorbar_ticks(mapping, values)
        return display.colorbar_ticks(mapping, np.array([[stats.min, stats.max]], np.float32))

    def sizeHint(self) -> QSize:
        return QSize(360, 300)

    def minimumSizeHint(self) -> QSize:
        """The compact form's size: title, a small map, the mapping combo and the ReLU button.

        The colour-map combo, histogram and stats only appear when there is room for them
        (see ``_apply_compact_mode``), so they do not count here; a grid may therefore shrink a
        panel this far and the panel still shows everything it keeps.
        """
        margins = self.layout().contentsMargins()
        spacing = self.layout().spacing()
        width = margins.left() + margins.right() + self._controls_width(colormap=False)
        title_h = self._title.sizeHint().height()
        controls_h = max(
            self._mapping_combo.minimumSizeHint().height(),
            self._relu_button.minimumSizeHint().height(),
        )
        picture_h = self._stack.minimumSizeHint().height()
        height = margins.top() + margins.bottom() + title_h + picture_h + controls_h + 2 * spacing
        return QSize(max(width, PANEL_FLOOR[0]), max(height, PANEL_FLOOR[1]))

    def _controls_width(self, *, colormap: bool, histogram: bool = False) -> int:
        """Width of the controls row with the optional colour-map combo and histogram."""
        gap = self._controls.spacing()
        width = self._mapping_combo.minimumSizeHint().width()
        width += gap + self._relu_button.minimumSizeHint().width()
        if colormap:
            width += gap + self._colormap_combo.minimumSizeHint().width()
        if histogram:
            width += gap + self._histogram.minimumWidth()
        return width

    def _apply_compact_mode(self) -> None:
        w, h = self.width(), self.height()
        margins = self.layout().contentsMargins()
        room = w - margins.left() - margins.right()
        # Each optional control appears only once the row holds it at its minimum width.
        self._histogram.setVisible(
            w >= 300 and room >= self._controls_width(colormap=True, histogram=True)
        )
        self._stats.setVisible(h >= 150)
        self._colormap_combo.setVisible(w >= 200 and room >= self._controls_width(colormap=True))
        fm = self._stats.fontMetrics()
        wide = fm.horizontalAdvance(self._stats_full) <= w - 12
        self._stats.setText(self._stats_full if wide else self._stats_compact)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._apply_compact_mode()
        self._place_busy_label()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.selectRequested.emit()
        super().mousePressEvent(event)

    def _on_mapping_combo_changed(self, _index: int) -> None:
        self._refill_colormaps_for_mapping()
        self.mappingChanged.emit(self.mapping(), self.colormap())

    def _on_colormap_combo_changed(self, _index: int) -> None:
        self.mappingChanged.emit(self.mapping(), self.colormap())

    def _on_relu_button_toggled(self, on: bool) -> None:
        self.reluToggled.emit(bool(on))


class InputPanelWidget(_PanelFrame):
    """The input image panel: a title (file name, size, mode) over a MapView of the input.

    Signals
    -------
    hoveredPixel(int, int)
        Input pixel ``(y, x)`` under the cursor, ``(-1, -1)`` when none.
    """

    hoveredPixel = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(150, 120)
        self._title = ElidingLabel("No image")
        title_font = QFont(self.font())
        title_font.setBold(True)
        self._title.setFont(title_font)
        self._view = MapView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(5, 4, 5, 4)
        layout.setSpacing(3)
        layout.addWidget(self._title)
        layout.addWidget(self._view, 1)
        self._view.hoveredCell.connect(self.hoveredPixel)

    def sizeHint(self) -> QSize:
        return QSize(420, 420)

    @property
    def view(self) -> MapView:
        """The view of the input image."""
        return self._view

    def title(self) -> str:
        """The title text."""
        return self._title.text()

    def set_image(
        self,
        pixels: np.ndarray | None,
        values: np.ndarray | None = None,
        *,
        title: str = "",
        full_hw: tuple[int, int] | None = None,
    ) -> None:
        """Show the input image.

        Parameters
        ----------
        pixels : numpy.ndarray or None
            uint8 display pixels, possibly a downscaled copy.
        values : numpy.ndarray, optional
            The exact float image (written into the pixels when zoomed in); its size is the
            image's real size.
        title : str
            E.g. ``"photo.jpg  4000x3000 RGB"``.
        full_hw : tuple of int, optional
            The real size, when ``values`` is not given and ``pixels`` is downscaled.
        """
        if full_hw is None and values is not None:
            full_hw = tuple(values.shape[:2])
        # The input's overview is its values clipped to [0, 1]: deep zoom draws them the same way.
        self._view.set_detail_renderer(partial(display.to_uint8, mapping="clip"))
        self._view.set_content(pixels, geometry=None, values=values, full_hw=full_hw)
        self._title.setText(title)
        self._title.setToolTip(title)


class FeatureGridWidget(QWidget):
    """Lays out map panels in a grid whose shape follows the available space.

    The number of columns is chosen (see :func:`grid_shape`) so that the pictures are as large
    as the width, height and the input's aspect ratio allow, among the shapes whose cells hold
    a panel at its minimum size; it is recomputed on resize. The grid's own minimum size is
    what the panels need in the narrowest shape that fits its current height (and the lowest
    that fits its width), so a splitter beside it cannot squeeze the panels off its edge.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._panels: list[QWidget] = []
        self._shape: tuple[int, int] = (0, 0)
        self._aspect: float | None = None
        self._minimum_hint = QSize(GRID_MINIMUM[0], GRID_MINIMUM[1])
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(GRID_SPACING)
        # The grid's minimum is minimumSizeHint(), not that of whatever shape is laid out now
        # (a shape chosen for a tall grid would otherwise pin the width of a short one).
        self._layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)

    def sizeHint(self) -> QSize:
        return QSize(760, 600)

    def minimumSizeHint(self) -> QSize:
        return QSize(self._minimum_hint)

    def panel_minimum(self) -> QSize:
        """The smallest size that holds every panel (the largest of their minimum sizes)."""
        size = QSize(1, 1)
        for panel in self._panels:
            size = size.expandedTo(panel.minimumSizeHint()).expandedTo(panel.minimumSize())
        return size

    def _compute_minimum_hint(self) -> QSize:
        n = len(self._panels)
        if n == 0:
            return QSize(GRID_MINIMUM[0], GRID_MINIMUM[1])
        least = self.panel_minimum()
        pw, ph = least.width(), least.height()

        def needed(cols: int) -> tuple[int, int]:
            rows = math.ceil(n / cols)
            return cols * pw + (cols - 1) * GRID_SPACING, rows * ph + (rows - 1) * GRID_SPACING

        # The squarest shape bounds both sides, so that a grid not yet laid out (height 0)
        # never asks for all its panels side by side.
        square_w, square_h = needed(math.ceil(math.sqrt(n)))
        height = max(self.height(), square_h)
        width = max(self.width(), square_w)
        shapes = [needed(cols) for cols in range(1, n + 1)]
        min_w = min(w for w, h in shapes if h <= height)
        min_h = min(h for w, h in shapes if w <= width)
        return QSize(max(min_w, GRID_MINIMUM[0]), max(min_h, GRID_MINIMUM[1]))

    def _update_minimum_hint(self) -> None:
        hint = self._compute_minimum_hint()
        if hint != self._minimum_hint:
            self._minimum_hint = hint
            self.updateGeometry()

    def panels(self) -> list[QWidget]:
        """The panels, in order."""
        return list(self._panels)

    def shape(self) -> tuple[int, int]:
        """Current ``(rows, cols)``."""
        return self._shape

    def set_aspect(self, aspect: float | None) -> None:
        """Width / height of the pictures; None takes it from the first panel's input."""
        self._aspect = aspect
        self._relayout(force=True)

    def set_panels(self, panels: Sequence[QWidget]) -> None:
        """Show ``panels`` in this order; widgets already shown stay (no re-creation).

        Panels no longer in the list are hidden and unparented; deleting them is up to the
        caller.
        """
        new = list(panels)
        for old in self._panels:
            if old not in new:
                self._layout.removeWidget(old)
                old.hide()
                old.setParent(None)
        self._panels = new
        self._relayout(force=True)
        self._update_minimum_hint()

    def _aspect_ratio(self) -> float:
        if self._aspect:
            return self._aspect
        for panel in self._panels:
            view = getattr(panel, "view", None)
            if isinstance(view, MapView):
                rect = view.input_rect()
                if rect.width() > 0 and rect.height() > 0:
                    return rect.width() / rect.height()
        return 4 / 3

    def refresh_layout(self) -> None:
        """Re-choose the grid shape (cheap when it does not change)."""
        self._relayout()

    def _relayout(self, *, force: bool = False) -> None:
        least = self.panel_minimum()
        shape = grid_shape(
            len(self._panels),
            self.width(),
            self.height(),
            aspect=self._aspect_ratio(),
            minimum=(least.width(), least.height()),
        )
        if shape == self._shape and not force:
            return
        self._shape = shape
        layout = self._layout
        while layout.count():
            layout.takeAt(0)
        rows, cols = shape
        for k, panel in enumerate(self._panels):
            if panel.parent() is not self:
                panel.setParent(self)
            layout.addWidget(panel, k // max(cols, 1), k % max(cols, 1))
            panel.show()
        for r in range(max(layout.rowCount(), rows)):
            layout.setRowStretch(r, 1 if r < rows else 0)
        for c in range(max(layout.columnCount(), cols)):
            layout.setColumnStretch(c, 1 if c < cols else 0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._relayout()
        self._update_minimum_hint()
