"""The window's size, place and dock arrangement kept between runs (QSettings).

A geometry saved on a larger screen is clamped to this one; a first run gets a size that suits
the screen; docks saved before the Kernel Insight dock existed get it beside the Layer dock.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QSplitter

from .window_fit import SideDocks, available_geometry, clamped, first_geometry


def restore_layout(window: QMainWindow, side_docks: SideDocks, splitter: QSplitter,
                   column: QSplitter, layer_dock: QDockWidget,
                   insight_dock: QDockWidget) -> None:  # fmt: skip
    settings = QSettings()
    geom = settings.value("geometry")
    available = available_geometry(window)
    if isinstance(geom, QByteArray) and not geom.isEmpty() and window.restoreGeometry(geom):
        whole = Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen
        if available is not None and not window.windowState() & whole:
            window.setGeometry(clamped(window.geometry(), available))  # saved on a larger screen
    elif available is not None:
        window.setGeometry(first_geometry(available))
    else:
        window.resize(1440, 900)
    state = settings.value("windowState")
    if isinstance(state, QByteArray) and not state.isEmpty():
        window.restoreState(state)
        if not settings.value("insightDockSaved", False, bool):
            # Saved before the Kernel Insight dock was there: it goes beside the layer's.
            window.tabifyDockWidget(layer_dock, insight_dock)
            layer_dock.raise_()
    side_docks.adopt()
    split = settings.value("splitter")
    column_state = settings.value("inputColumn")
    if isinstance(split, QByteArray) and not split.isEmpty():
        splitter.restoreState(split)
        if isinstance(column_state, QByteArray) and not column_state.isEmpty():
            column.restoreState(column_state)
    else:
        # The input gets a third of the centre, the feature maps the rest.
        splitter.setSizes([340, 680])
        column.setSizes([420, 280])


def save_layout(window: QMainWindow, dock_state: QByteArray, splitter: QSplitter,
                column: QSplitter) -> None:  # fmt: skip
    settings = QSettings()
    settings.setValue("geometry", window.saveGeometry())
    settings.setValue("windowState", dock_state)
    settings.setValue("insightDockSaved", True)
    settings.setValue("splitter", splitter.saveState())
    settings.setValue("inputColumn", column.saveState())
