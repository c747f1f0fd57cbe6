"""Presentation mode: the window full screen for a projector, every view's type grown.

:class:`Presentation` owns the mode's state (on or off, the dock arrangement to give back). On
the Studio tab the side docks stay, so kernels are edited in front of the room; the Lesson tab
gets the whole screen. Menus and the status bar are hidden while presenting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QByteArray, QObject
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from .window_fit import SideDocks


class Presentation(QObject):
    """Switches ``window`` in and out of presentation mode.

    ``views`` each have ``set_presentation(on)``; ``docks`` hide while the Lesson tab is shown
    (``on_lesson()`` says whether it is); ``side_docks`` fits the docks again afterwards.
    """

    def __init__(self, window: QMainWindow, views: Sequence[QWidget],
                 docks: Sequence[QDockWidget], side_docks: SideDocks,
                 on_lesson: Callable[[], bool]) -> None:  # fmt: skip
        super().__init__(window)
        self._window = window
        self._views = tuple(views)
        self._docks = tuple(docks)
        self._side_docks = side_docks
        self._on_lesson = on_lesson
        self._on = False
        self._chrome_state = QByteArray()

    def is_on(self) -> bool:
        return self._on

    def toggle(self) -> None:
        self.set_on(not self._on)

    def set_on(self, on: bool) -> None:
        on = bool(on)
        if on == self._on:
            return
        self._on = on
        w = self._window
        if on:
            self._chrome_state = w.saveState()
            w.menuBar().hide()
            w.statusBar().hide()
            w.showFullScreen()
        else:
            w.menuBar().show()
            w.statusBar().show()
            w.showNormal()
            w.restoreState(self._chrome_state)
            self._side_docks.adopt()
        for view in self._views:
            view.set_presentation(on)
        self.tab_changed()

    def saved_state(self) -> QByteArray:
        """The window's dock arrangement as the user left it (not the presentation's)."""
        return self._chrome_state if self._on else self._window.saveState()

    def tab_changed(self) -> None:
        """While presenting, the docks show with the Studio tab and leave the Lesson its room."""
        if not self._on:
            return
        if self._on_lesson():
            for dock in self._docks:
                dock.hide()
        else:
            self._window.restoreState(self._chrome_state)  # the docks as before presenting
            self._side_docks.adopt()
            self._side_docks.request_fit()  # larger type may need the docks tabbed
