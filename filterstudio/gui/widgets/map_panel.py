"""One filter's panel in the feature-map grid: title, zoomable map, display controls, stats."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
from PySide6.QtCore import QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QFont, QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
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

from .feature_grid import FeatureGridWidget
from .map_colour import (
    DEFAULT_CHOICE,
    fill_colormaps,
    mapping_combos,
    name_defaults,
    show_colorbar,
)
from .map_style import BACKGROUND
from .map_view import MapView
from .panel_parts import (
    ClickFilter,
    ColorBarWidget,
    ElidingLabel,
    HistogramWidget,
    PanelFrame,
    StatsLabel,
    mono_font,
    set_tip,
    small_font,
)
from .presentation import present

#: The least a map panel shrinks to, even when its compact form would fit in less.
PANEL_FLOOR = (120, 100)
#: The least map height a panel keeps when it also shows its statistics line.
STATS_MAP_MIN_HEIGHT = 48


class MapPanelWidget(PanelFrame):
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

        self._presenting = False
        self._title = ElidingLabel("")
        # Shown and hidden with every preview of a large map: a note over the picture's corner,
        # outside the layout, so it neither takes room from the title nor lays the panel out.
        self._busy_label = QLabel("updating\u2026", self)
        self._busy_label.setStyleSheet(
            "color: rgb(235, 235, 235); background: rgba(30, 30, 30, 170); padding: 1px 4px;"
        )
        self._busy_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._busy_label.adjustSize()
        self._busy_label.setVisible(False)

        self._view = MapView()
        # The colour bar runs along the title row, so a panel with one keeps the same map area
        # as its neighbours without one, and the maps of the grid line up.
        self._colorbar = ColorBarWidget(horizontal=True)
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

        # What "default" stands for: pushed by the window (set_defaults), else learnt from the
        # last map drawn with the default.
        self._default_mapping = ""
        self._default_colormap = ""
        self._pushed_defaults = False
        self._mapping_combo, self._colormap_combo = mapping_combos()
        self._fill_colormaps(self._colormap_kind(DEFAULT_CHOICE), "")
        self._relu_button = QToolButton()
        self._relu_button.setText("ReLU")
        self._relu_button.setCheckable(True)
        self._relu_button.setToolTip("Activation: max(0, v) after the bias")
        self._relu_button.setAccessibleName("ReLU activation")
        self._histogram = HistogramWidget()
        self._histogram.setToolTip("Histogram of the values (blue below zero, orange above)")
        self._histogram.setAccessibleName("histogram of the map's values")
        self._stats = StatsLabel()
        self._stats.setAccessibleName("map statistics")
        self._title.setAccessibleName("map title")
        # The caption lies over the foot of the map, outside the layout, so a panel with one
        # keeps the same map area as a panel without (the grid's maps line up).
        self._caption = ElidingLabel("", self)
        self._caption.setAccessibleName("what the filter finds")
        self._caption.setStyleSheet(
            "color: rgb(240, 240, 240); background: rgba(20, 20, 20, 185); padding: 1px 4px;"
        )
        self._caption.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._caption.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(5, 4, 5, 4)
        layout.setSpacing(3)
        # The minimum is minimumSizeHint()'s compact form, also for a panel shown on its own.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        title_row = QHBoxLayout()
        title_row.setSpacing(4)
        title_row.addWidget(self._title, 1)
        title_row.addWidget(self._colorbar, 0)
        layout.addLayout(title_row)
        layout.addWidget(self._stack, 1)
        self._controls = controls = QHBoxLayout()
        controls.setSpacing(3)
        controls.addWidget(self._mapping_combo, 1)
        controls.addWidget(self._colormap_combo, 1)
        controls.addWidget(self._relu_button)
        controls.addWidget(self._histogram, 1)
        layout.addLayout(controls)
        layout.addWidget(self._stats)

        self._click_filter = ClickFilter(self.selectRequested.emit, self)
        for child in (
            self._title,
            self._caption,
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

        self._update_default_labels()
        self._apply_fonts()
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
        return self._stats.full_text()

    def stats_label(self) -> StatsLabel:
        """The statistics line under the controls (its ``shown_text()`` is what fits)."""
        return self._stats

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
        """The colour bar, along the title row over the map."""
        return self._colorbar

    def histogram_widget(self) -> HistogramWidget:
        """The histogram in the controls row."""
        return self._histogram

    def title_label(self) -> ElidingLabel:
        """The title over the map."""
        return self._title

    def busy_label(self) -> QLabel:
        """The 'updating' note over the map's corner, shown while the map is recomputed."""
        return self._busy_label

    def error_label(self) -> QLabel:
        """The sentence shown in place of the map when it cannot be computed."""
        return self._error

    def map_area(self) -> QStackedWidget:
        """The area that shows the map, or the error sentence in its place."""
        return self._stack

    def mapping_box(self) -> QComboBox:
        """The display mapping box (item data: ``default`` or a mapping's name)."""
        return self._mapping_combo

    def colormap_box(self) -> QComboBox:
        """The colour map box (item data: a colour map's name, ``""`` for the default)."""
        return self._colormap_combo

    def relu_button(self) -> QToolButton:
        """The ReLU toggle of the controls row."""
        return self._relu_button

    def set_title(self, text: str) -> None:
        """Set the title line, e.g. ``"sobel_x  3x3 -> 1500x2000"``."""
        if text != self._title.text():
            self._title.setText(text)
            set_tip(self._title, text)

    def set_presentation(self, on: bool) -> None:
        """Projector size: the title, the controls, the statistics and the numbers drawn in
        zoomed-in cells grow by :data:`~.presentation.PRESENTATION_SCALE`."""
        if self._presenting != bool(on):
            self._presenting = bool(on)
            present(self, self._presenting)
            self._apply_fonts()

    def is_presentation(self) -> bool:
        """Whether the panel is at projector size."""
        return self._presenting

    def _apply_fonts(self) -> None:
        """Fonts of the parts, from the panel's own (which presentation scales)."""
        title_font = QFont(self.font())
        title_font.setBold(True)
        self._title.setFont(title_font)
        small = small_font(self)
        for part in (self._busy_label, self._mapping_combo, self._colormap_combo,
                     self._relu_button, self._caption):  # fmt: skip
            part.setFont(small)
        self._busy_label.adjustSize()
        self._stats.setFont(mono_font(self))  # its narrow forms choose their own
        self._colorbar.setFont(small_font(self, -1.5))
        self._view.setFont(self.font())
        self.updateGeometry()
        self._apply_compact_mode()
        self._place_caption()

    def set_caption(self, text: str) -> None:
        """A one-line caption saying what the filter finds (``""`` hides it), e.g.
        ``"vertical edges (brightness changing left to right)"``, over the foot of the map so
        the map keeps its area (see :func:`filterstudio.core.kernels.finds_caption`)."""
        if text == self._caption.text():
            return
        self._caption.setText(text)
        set_tip(self._caption, text)
        set_tip(self._title, f"{self._title.text()}\n{text}" if text else self._title.text())
        self._place_caption()

    def caption(self) -> str:
        """The caption (``""`` when none)."""
        return self._caption.text()

    def caption_label(self) -> ElidingLabel:
        """The caption over the foot of the map."""
        return self._caption

    def set_defaults(self, mapping: str, colormap: str) -> None:
        """What the two "default" choices stand for, shown as ``minmax (default)`` and
        ``gray (default)``: the studio's default mapping and colour map (View menu)."""
        self._pushed_defaults = True
        self._default_mapping = str(mapping or "")
        self._default_colormap = str(colormap or "")
        self._update_default_labels()

    def _resolved_colormap(self, mapping: str | None, colormap: str | None) -> str:
        if mapping == "diverging" and colormap not in display.DIVERGING_COLORMAPS:
            return display.DEFAULT_DIVERGING
        return colormap or "gray"

    def _update_default_labels(self) -> None:
        name_defaults(
            self._mapping_combo, self._colormap_combo, self._default_mapping, self._default_colormap
        )

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
        aspect_before = self._view.input_rect()
        self._view.set_content(pixels, geometry=geometry, values=values, full_hw=full_hw)
        self._shown_mapping = mapping
        if self.mapping() == DEFAULT_CHOICE:
            self._refill_colormaps_for_mapping()
            if mapping and not self._pushed_defaults:
                self._default_mapping = mapping
        if self.colormap() == "" and not self._pushed_defaults:
            self._default_colormap = self._resolved_colormap(mapping, colormap)
        self._update_default_labels()
        if stats is not None:
            self._histogram.set_histogram(stats.histogram, stats.edges)
        else:
            self._histogram.set_histogram(None, None)
        self._stats.set_stats(stats)
        show_colorbar(self._colorbar, mapping, colormap, stats, values, ticks)
        self._apply_compact_mode()
        grid = self.parentWidget()
        if isinstance(grid, FeatureGridWidget) and self._view.input_rect() != aspect_before:
            grid.refresh_layout()  # a new input may have another aspect ratio

    def set_error(self, message: str) -> None:
        """Show ``message`` in place of the map (the map and its numbers are cleared)."""
        self._error.setText(message)
        self._stack.setCurrentWidget(self._error)
        self._view.set_content(None, geometry=None)
        self._stats.set_stats(None)
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

    def _place_caption(self) -> None:
        """Along the foot of the map area; hidden when there is none or the map is tiny."""
        label = self._caption
        area = self._stack.geometry()
        show = bool(label.text()) and area.width() >= 120 and area.height() >= 60
        if show:
            height = label.sizeHint().height()
            label.setGeometry(area.left(), area.bottom() - height + 1, area.width(), height)
            label.raise_()
        label.setVisible(show)

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
        with QSignalBlocker(self._relu_button):
            self._relu_button.setChecked(bool(on))

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
        with QSignalBlocker(self._mapping_combo), QSignalBlocker(self._colormap_combo):
            index = self._mapping_combo.findData(mapping or DEFAULT_CHOICE)
            self._mapping_combo.setCurrentIndex(max(0, index))
            self._fill_colormaps(self._colormap_kind(self.mapping()), colormap or "")

    # ------------------------------------------------------------------ internals

    def _colormap_kind(self, mapping: str) -> str:
        effective = self._shown_mapping if mapping == DEFAULT_CHOICE else mapping
        return "diverging" if effective == "diverging" else "sequential"

    def _fill_colormaps(self, kind: str, current: str) -> None:
        if fill_colormaps(self._colormap_combo, kind, current):
            self._update_default_labels()

    def _refill_colormaps_for_mapping(self) -> None:
        with QSignalBlocker(self._colormap_combo):
            self._fill_colormaps(self._colormap_kind(self.mapping()), self.colormap())

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
        # The numbers stay while the map keeps a readable picture above them.
        spacing = self.layout().spacing()
        above_map = margins.top() + margins.bottom() + self._title.sizeHint().height() + spacing
        controls = self._mapping_combo.sizeHint().height() + 2 * spacing
        stats_h = self._stats.sizeHint().height()
        self._stats.setVisible(h - above_map - controls - stats_h >= STATS_MAP_MIN_HEIGHT)
        self._colormap_combo.setVisible(w >= 200 and room >= self._controls_width(colormap=True))
        self._stats.fit(room)  # the widest form of the numbers that fits

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._apply_compact_mode()
        self._place_busy_label()
        self._place_caption()

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

