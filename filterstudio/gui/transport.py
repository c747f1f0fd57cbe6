"""Keeps the transport bar, the Video menu's commands and the playback in step.

The bar's buttons call the playback and the recording; their news (opened, playing, position,
recording) is pushed back into the bar and into which Video commands are enabled, and the
rates are shown four times a second while a source is open.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QToolBar

from .playback import Playback
from .recording import Recording
from .widgets import TransportBar, rate_text

#: How often the rates are shown, in milliseconds.
RATE_MS = 250
#: Video commands enabled while a source is open.
WHILE_OPEN = ("video.play", "video.step", "video.use_frame", "video.record", "video.close")


class TransportPresenter(QObject):
    """Puts a :class:`TransportBar` along the foot of ``window`` (shown only while a source is
    open) and wires it, and the Video commands in ``actions``, to the parts."""

    def __init__(
        self,
        window: QMainWindow,
        playback: Playback,
        recording: Recording,
        actions: Mapping[str, QAction],
    ) -> None:
        super().__init__(window)
        self.bar = bar = TransportBar()
        self.toolbar = QToolBar("Video", window)
        self.toolbar.setObjectName("videoToolBar")
        self.toolbar.setMovable(False)
        self.toolbar.setFloatable(False)
        self.toolbar.toggleViewAction().setVisible(False)
        self.toolbar.addWidget(bar)
        # A saved dock arrangement put back (start-up, presentation mode) carries the bar's
        # visibility of its day: the bar follows the playback again afterwards.
        self.toolbar.visibilityChanged.connect(lambda _on: QTimer.singleShot(0, self._follow))
        window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.toolbar)
        self._playback, self._recording = playback, recording
        self._actions = actions
        self._shown_name: str | None = None
        bar.playToggled.connect(playback.toggle)
        bar.stepRequested.connect(playback.step)
        bar.seekRequested.connect(playback.seek)
        bar.useFrameRequested.connect(lambda: playback.use_frame())
        bar.recordRequested.connect(recording.record_dialog)
        bar.closeRequested.connect(playback.close)
        playback.stateChanged.connect(self.sync)
        playback.positionChanged.connect(bar.set_position)
        playback.frameShown.connect(lambda _state: bar.set_can_use_frame(True))
        recording.changed.connect(self.sync)
        self._timer = QTimer(self)
        self._timer.setInterval(RATE_MS)
        self._timer.timeout.connect(self.show_rates)

    def sync(self) -> None:
        """Show what the playback and the recording are doing now."""
        p, bar = self._playback, self.bar
        is_open = p.is_open()
        if is_open and p.name() != self._shown_name:
            bar.set_source(p.name(), p.frame_count(), can_seek=p.can_seek())
            bar.set_can_use_frame(p.frame_state() is not None)
        self._shown_name = p.name() if is_open else None
        self.toolbar.setVisible(is_open)
        bar.set_playing(p.is_playing())
        for key in WHILE_OPEN:
            if key in self._actions:
                self._actions[key].setEnabled(is_open)
        recording = self._recording.is_recording()
        if "video.stop_recording" in self._actions:
            self._actions["video.stop_recording"].setEnabled(recording)
        if "video.record" in self._actions:
            self._actions["video.record"].setEnabled(is_open and not recording)
        if is_open:
            self._timer.start()
        else:
            self._timer.stop()
        self.show_rates()

    def _follow(self) -> None:
        is_open = self._playback.is_open()
        if self.toolbar.isHidden() == is_open:
            self.toolbar.setVisible(is_open)

    def show_rates(self) -> None:
        p = self._playback
        if not p.is_open():
            return
        text = rate_text(
            p.playback_rate(), p.source_rate(), p.frames_dropped(), playing=p.is_playing()
        )
        if p.has_ended():
            text = f"end · {p.frames_dropped()} dropped"
        self.bar.set_rate(text)
        recording = self._recording.is_recording()
        count = f"({self._recording.frames_recorded()})" if recording else ""
        self.bar.set_recording(recording, count)
