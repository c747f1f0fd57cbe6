"""Frames of a video touch only what changed in the window: nothing is laid out again, titles
stay for frames of one size and follow a new size, and the status bar stays quiet while frames
play (its counts and times come back for edits once paused)."""

from __future__ import annotations

import os
import sys

import numpy as np
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from filterstudio.core.sizes import size_text
from filterstudio.gui.widgets import MapPanelWidget
from filterstudio.media.fake import FakeSource
from filterstudio.model.bank import Bank, Filter, Layer

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
from clips import shown_frames  # noqa: E402

WAIT = 15000  # ms: a bound never reached when things work


def _bank(win, n: int = 2) -> None:
    filters = tuple(Filter(f"f{i}", np.arange(9.0).reshape(3, 3) * (i + 1) - 4) for i in range(n))
    win.controller.load_state(Bank(filters, Layer()))


class _LayoutCounter(QObject):
    """Lists the layout requests and resizes delivered to ``widgets``."""

    def __init__(self, widgets) -> None:
        super().__init__()
        self.widgets = set(widgets)
        self.seen: list[str] = []

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind in (QEvent.Type.LayoutRequest, QEvent.Type.Resize) and watched in self.widgets:
            self.seen.append(f"{kind.name} {type(watched).__name__}")
        return False


def _ancestors_below_window(widget):
    """``widget`` and every widget holding it, up to (not including) its window."""
    chain = []
    while widget is not None and not widget.isWindow():
        chain.append(widget)
        widget = widget.parentWidget()
    return chain


def test_frames_of_one_size_lay_out_nothing_around_the_maps(qtbot, window):
    _bank(window)
    window.open_frame_source(FakeSource(size=(64, 48), fps=100, count=100000), "fake.mp4")
    # The first frames settle the window: the transport bar comes, the panels take their size.
    shown_frames(qtbot, window, 6)
    assert window.transport.toolbar.isVisible()
    panels = [window.panel(0), window.panel(1)]
    counter = _LayoutCounter(w for p in panels for w in _ancestors_below_window(p))
    QApplication.instance().installEventFilter(counter)
    try:
        frames = shown_frames(qtbot, window, 6)
        QApplication.processEvents()  # deliver any layout request the last frame posted
    finally:
        QApplication.instance().removeEventFilter(counter)
    # Six or more frames (one more may be shown before the wait looks), each a new one, each
    # shown with all its maps. (The stats line may well read the same: the test pattern moves,
    # and a moved periodic pattern has the same figures.)
    assert len({s.frame for s in frames}) == len(frames) >= 6
    assert counter.seen == []


def test_titles_stay_for_frames_of_one_size_and_follow_a_new_size(qtbot, window):
    _bank(window, 1)
    panel: MapPanelWidget = window.panel(0)
    for width, height in ((40, 30), (52, 26)):
        window.open_frame_source(FakeSource(size=(width, height), fps=100, count=100000), "a.mp4")
        shown_frames(qtbot, window, 2)
        size = size_text(height - 2, width - 2)  # a 3x3 kernel, "valid"
        qtbot.waitUntil(lambda s=size: s in panel.title(), timeout=WAIT)
        shown_frames(qtbot, window, 2)
        assert size in panel.title()
    window.playback.close()


def test_the_status_bar_is_quiet_while_frames_play_and_counts_again_once_paused(qtbot, window):
    _bank(window, 4)
    status = window.status
    window.open_frame_source(FakeSource(size=(64, 48), fps=100, count=100000), "fake.mp4")
    frames = shown_frames(qtbot, window, 3)
    assert frames
    status.flush()
    assert window.busy_text() == "" and status.time_label.text() == ""
    assert not status.busy_bar.isVisible()
    status.set_progress(2, 4)  # as a frame's maps come in
    status.flush()
    assert window.busy_text() == ""
    window.playback.pause()
    qtbot.waitUntil(window.is_current, timeout=WAIT)
    window.controller.set_kernel(0, np.ones((3, 3), np.float32))
    qtbot.waitUntil(lambda: status.time_label.text().startswith("updated"), timeout=WAIT)
    status.set_progress(2, 4)
    status.flush()
    assert window.busy_text() == "2/4 maps"
