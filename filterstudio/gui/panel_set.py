"""What every set of map panels shares: a panel per map key, its intent relayed under the key.

:class:`PanelSet` makes and drops :class:`~filterstudio.gui.widgets.MapPanelWidget`\\ s, keeps
their views in ``sync``, relays what the user asks of a panel as a signal naming its map, frames
the selected one and shows each panel's own mapping. What the panels show and how they are
titled is the subclasses' own (:class:`~filterstudio.gui.panels.MapPanels` for the bank,
:class:`~filterstudio.gui.stage_panels.StagePanels` for later stages).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ..compute.requests import ComputeResult
from ..model.studio import DisplayState, ImageState
from .widgets import MapPanelWidget, ViewSync


class PanelSet(QObject):
    """Map panels keyed by map, their views kept in ``sync``.

    Signals (user intent, keyed by map key)
    ---------------------------------------
    selectRequested(str), hoveredCell(str, int, int), mappingChanged(str, str, str),
    reluToggled(str, bool), panelMade(MapPanelWidget), displaySideWanted() (panels came or
    went: every panel has another size, so the display copies may too)
    """

    selectRequested = Signal(str)
    hoveredCell = Signal(str, int, int)
    mappingChanged = Signal(str, str, str)
    reluToggled = Signal(str, bool)
    panelMade = Signal(object)
    displaySideWanted = Signal()

    def __init__(self, sync: ViewSync, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sync = sync
        self._panels: dict[str, MapPanelWidget] = {}
        self._shown: dict[str, ComputeResult] = {}
        self._display = DisplayState()
        self._image: ImageState | None = None
        self._selected: str | None = None
        # Display copies follow the panels' size, settled 250 ms after panels come or go.
        self._side_timer = QTimer(self)
        self._side_timer.setSingleShot(True)
        self._side_timer.setInterval(250)
        self._side_timer.timeout.connect(self.displaySideWanted)

    def panel(self, key: str) -> MapPanelWidget:
        """The panel of map ``key``."""
        return self._panels[key]

    def shown(self, key: str) -> ComputeResult | None:
        """The answer panel ``key`` shows (None while it waits for one)."""
        return self._shown.get(key)

    def _select(self, key: str | None) -> None:
        """Frame the panel of ``key`` (None: none of these maps is selected)."""
        if key == self._selected:
            return
        for k in (self._selected, key):
            if k in self._panels:
                self._panels[k].set_selected(k == key)
        self._selected = key

    def _make(self, key: str) -> MapPanelWidget:
        panel = MapPanelWidget()
        self._panels[key] = panel
        self.sync.add(panel.view)
        panel.selectRequested.connect(lambda u=key: self.selectRequested.emit(u))
        panel.hoveredCell.connect(lambda i, j, u=key: self.hoveredCell.emit(u, i, j))
        panel.mappingChanged.connect(lambda m, c, u=key: self.mappingChanged.emit(u, m, c))
        panel.reluToggled.connect(lambda on, u=key: self.reluToggled.emit(u, on))
        panel.set_busy(self._image is not None)
        self._prepare(panel)
        self._show_mapping(key)
        self.panelMade.emit(panel)
        return panel

    def _prepare(self, panel: MapPanelWidget) -> None:
        """What a new panel is told before its mapping (nothing here)."""

    def _drop(self, key: str) -> None:
        panel = self._panels.pop(key, None)
        self._shown.pop(key, None)
        if panel is not None:
            self.sync.remove(panel.view)
            panel.hide()
            panel.deleteLater()

    def _show_mapping(self, key: str) -> None:
        mapping, cmap, overridden = self._display.for_uid(key)
        self._panels[key].set_mapping(mapping if overridden else "default", cmap or "")
