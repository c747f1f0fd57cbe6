"""Fitting the window to the screen it is on: its first size, a restored size clamped, side docks
stacked or tabbed so that neither has to scroll.

A fresh start opens at a comfortable size where the screen has room for it and fills the
screen's available area (less the window frame) where it has not, so a 1366 x 768 laptop sees
the whole window. A geometry restored from another, larger screen is clamped the same way.
The Filters and Layer docks stand one above the other while both fit the window's height
whole, and share the height as two tabs when they do not.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QDockWidget,
    QMainWindow,
    QScrollArea,
    QWidget,
)

#: Below this available size a fresh window fills the screen (a laptop wants all its room).
SMALL_SCREEN = QSize(1600, 950)
#: On a larger screen a fresh window takes this share of its width and of its height (the
#: side docks need the height), up to :data:`LARGEST_FIRST_SIZE`.
LARGE_SCREEN_SHARE = (0.85, 0.92)
LARGEST_FIRST_SIZE = QSize(1760, 1080)
#: Room kept for a window manager's frame (title bar, borders) until the real frame is known.
FRAME_ALLOWANCE = QSize(16, 40)
#: What a dock adds around its content (title bar, frame) until it can be measured.
DOCK_CHROME = 34
#: Height of the tab bar under tabbed docks until it can be measured.
TAB_BAR = 30


def first_geometry(available: QRect, frame: QSize = FRAME_ALLOWANCE) -> QRect:
    """The window's geometry (without its frame) on a fresh start on ``available``.

    A screen smaller than :data:`SMALL_SCREEN` is filled (less the frame); a larger one gets
    a window of :data:`LARGE_SCREEN_SHARE` of it, centred. The window is always fully visible.
    """
    room = QSize(available.width() - frame.width(), available.height() - frame.height())
    if available.width() < SMALL_SCREEN.width() or available.height() < SMALL_SCREEN.height():
        size = room
    else:
        share = QSize(
            round(available.width() * LARGE_SCREEN_SHARE[0]),
            round(available.height() * LARGE_SCREEN_SHARE[1]),
        )
        size = share.boundedTo(LARGEST_FIRST_SIZE).boundedTo(room)
    rect = QRect(0, 0, max(size.width(), 1), max(size.height(), 1))
    rect.moveCenter(available.center())
    return clamped(rect, available, frame)


def clamped(rect: QRect, available: QRect, frame: QSize = FRAME_ALLOWANCE) -> QRect:
    """``rect`` (a window without its frame) made to fit ``available`` with its frame: no
    larger than the available area, and moved inside it."""
    w = min(rect.width(), available.width() - frame.width())
    h = min(rect.height(), available.height() - frame.height())
    out = QRect(rect.left(), rect.top(), max(w, 1), max(h, 1))
    left_min = available.left() + frame.width() // 2
    top_min = available.top() + frame.height() - frame.width() // 2
    right_max = available.right() - frame.width() // 2
    bottom_max = available.bottom() - frame.width() // 2
    out.moveLeft(max(left_min, min(out.left(), right_max - out.width() + 1)))
    out.moveTop(max(top_min, min(out.top(), bottom_max - out.height() + 1)))
    return out


def available_geometry(window: QWidget) -> QRect | None:
    """The available area of the screen ``window`` is on (or the primary screen's)."""
    from PySide6.QtGui import QGuiApplication

    screen = window.screen() or QGuiApplication.primaryScreen()
    return None if screen is None else screen.availableGeometry()


def frame_size(window: QWidget) -> QSize:
    """What the window manager's frame adds, once the window has one; else the allowance."""
    frame, inner = window.frameGeometry(), window.geometry()
    extra = QSize(frame.width() - inner.width(), frame.height() - inner.height())
    if window.isVisible() and (extra.width() > 0 or extra.height() > 0):
        return extra
    return FRAME_ALLOWANCE


class DockScrollArea(QScrollArea):
    """A dock's content that scrolls up and down only: never narrower than its content's
    minimum, so nothing in it is cut at the side."""

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(content)
        content.installEventFilter(self)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        content = self.widget()
        if content is None:
            return hint
        frame = 2 * self.frameWidth()
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(
            max(hint.width(), content.minimumSizeHint().width() + frame + bar), hint.height()
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the content's minimum width may have changed
        return super().eventFilter(watched, event)


class SideDocks(QObject):
    """Keeps two left docks stacked while both fit whole, and tabbed while they do not.

    Only an arrangement it made itself is changed: once the user floats, moves, closes or
    re-arranges a dock, it leaves the docks where the user put them.
    """

    def __init__(
        self,
        window: QMainWindow,
        upper: QDockWidget,
        lower: QDockWidget,
        *,
        companions: tuple[QDockWidget, ...] = (),
    ) -> None:
        super().__init__(window)
        self._window = window
        self._upper = upper
        self._lower = lower
        # Docks that always share the lower dock's place as tabs behind it.
        self._companions = tuple(companions)
        self._join_lower(lower)
        lower.raise_()  # the companions start behind it: a first screen shows the layer
        # The companion the user brought in front (its tab clicked, or bring_forward), kept in
        # front when the docks are stacked or tabbed again; None: the usual order.
        self._front: QDockWidget | None = None
        self._fitting = False
        for dock in self._companions:
            dock.visibilityChanged.connect(lambda on, d=dock: self._on_companion_shown(d, on))
        self._tabbed = self.is_tabbed()
        self._enabled = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.fit)
        for dock in (upper, lower):
            content = self._content(dock)
            if content is not None:
                content.installEventFilter(self)

    def bring_forward(self, dock: QDockWidget) -> None:
        """Show ``dock`` in front of the docks it shares a place with, and keep it there."""
        dock.show()
        dock.raise_()
        if dock in self._companions:
            self._front = dock

    def _on_companion_shown(self, dock: QDockWidget, on: bool) -> None:
        if self._fitting or not shiboken6.isValid(self._window) or not self._window.isVisible():
            return  # our own rearrangement, the window still being built, or torn down
        if on:
            self._front = dock
        elif self._front is dock:
            self._front = None

    def _join_lower(self, anchor: QDockWidget) -> None:
        """Put the companion docks as tabs beside ``anchor``."""
        for dock in self._companions:
            self._window.tabifyDockWidget(anchor, dock)

    def is_tabbed(self) -> bool:
        """Whether the two docks share their place as tabs."""
        return self._lower in self._window.tabifiedDockWidgets(self._upper)

    def adopt(self) -> None:
        """Take the docks' present arrangement as this object's own (after a restored state)."""
        self._tabbed = self.is_tabbed()

    def set_enabled(self, on: bool) -> None:
        """Stop (presentation hides the docks) or resume fitting."""
        self._enabled = bool(on)
        if on:
            self.request_fit()

    def request_fit(self) -> None:
        """Fit once the event loop has laid out what changed."""
        if self._enabled:
            self._timer.start()

    def stacked_height_needed(self) -> int:
        """Height the two docks need one above the other, contents whole."""
        return sum(self._needed(d) + self._chrome(d) for d in (self._upper, self._lower)) + 6

    def fit(self) -> None:
        """Stack the docks if both fit whole in the window's dock area, else tab them."""
        w = self._window
        if not self._enabled or not self._ours():
            return
        room = w.centralWidget().height() if w.centralWidget() is not None else w.height()
        want_tabs = self.stacked_height_needed() > room
        if want_tabs != self._tabbed:
            self._fitting = True
            try:
                self._rearrange(want_tabs)
            finally:
                self._fitting = False
            self._tabbed = want_tabs
        if not want_tabs:
            self._share_height(room)

    def _rearrange(self, want_tabs: bool) -> None:
        w = self._window
        if want_tabs:
            w.tabifyDockWidget(self._upper, self._lower)
            self._join_lower(self._upper)
            self._upper.raise_()
        else:
            # splitDockWidget leaves tabbed docks tabbed: take the lower one out, put it back
            # under the upper one.
            shown = [d for d in self._companions if not d.isHidden()]
            for dock in (self._lower, *self._companions):
                w.removeDockWidget(dock)
            w.addDockWidget(
                Qt.DockWidgetArea.LeftDockWidgetArea, self._lower, Qt.Orientation.Vertical
            )
            self._lower.show()
            self._join_lower(self._lower)
            for dock in shown:
                dock.show()
            self._lower.raise_()
        if self._front is not None and not self._front.isHidden():
            self._front.raise_()  # what the user brought in front stays in front

    def _share_height(self, room: int) -> None:
        """Stacked: the upper dock gets what its content needs whole, the lower the rest."""
        upper = self._needed(self._upper) + self._chrome(self._upper)
        shown = self._viewport(self._upper)
        if shown is not None and shown.height() >= self._needed(self._upper):
            lower_shown = self._viewport(self._lower)
            if lower_shown is None or lower_shown.height() >= self._needed(self._lower):
                return  # both whole already: leave the user's split alone
        self._window.resizeDocks(
            [self._upper, self._lower], [upper, max(room - upper - 6, 1)], Qt.Orientation.Vertical
        )

    # -- helpers --------------------------------------------------------------------------
    def _ours(self) -> bool:
        """Both docks open, docked on the left, and arranged as this object left them."""
        w = self._window
        for dock in (self._upper, self._lower):
            if dock.isFloating() or not dock.toggleViewAction().isChecked():
                return False
            if w.dockWidgetArea(dock) != Qt.DockWidgetArea.LeftDockWidgetArea:
                return False
        return self.is_tabbed() == self._tabbed

    @staticmethod
    def _content(dock: QDockWidget) -> QWidget | None:
        inner = dock.widget()
        widget = getattr(inner, "widget", None)  # a scroll area's content
        return widget() if callable(widget) else inner

    def _needed(self, dock: QDockWidget) -> int:
        content = self._content(dock)
        if content is None:
            return 0
        return max(content.minimumSizeHint().height(), content.minimumHeight())

    @staticmethod
    def _viewport(dock: QDockWidget) -> QWidget | None:
        inner = dock.widget()
        return inner.viewport() if isinstance(inner, QAbstractScrollArea) else inner

    def _chrome(self, dock: QDockWidget) -> int:
        """What the dock adds around the area its content is shown in (title bar, frames)."""
        viewport = self._viewport(dock)
        if dock.isVisible() and viewport is not None and viewport.height() > 0:
            return max(0, dock.height() - viewport.height())
        return DOCK_CHROME

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LayoutRequest:
            self.request_fit()  # a dock's content needs another height (another kernel size)
        return False
