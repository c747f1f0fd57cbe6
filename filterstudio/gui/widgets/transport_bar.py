"""The transport bar of a playing video or camera: play/pause, step, position, rate, record.

The bar says what it is pushed (the source's name and length, playing or not, the frame shown,
the rates) and emits what the user asks for; it knows nothing of readers or the controller.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QToolButton,
    QWidget,
)

#: The longest the source's name is shown, in pixels (elided in the middle beyond).
NAME_WIDTH = 220


def rate_text(shown: float, source: float | None, dropped: int, *, playing: bool) -> str:
    """``"12.5 of 30 frames/s · 41 dropped"``: frames shown per second, the source's rate,
    and frames never shown; ``"paused (30 frames/s) · 41 dropped"`` while paused."""
    src = f"{source:.3g}" if source else ""
    if playing:
        head = f"{shown:.1f} of {src} frames/s" if src else f"{shown:.1f} frames/s"
    else:
        head = f"paused ({src} frames/s)" if src else "paused"
    return f"{head} · {dropped} dropped"


class TransportBar(QWidget):
    """Play/pause, step one frame, a position slider (files), the rates, Use This Frame, record.

    Signals
    -------
    playToggled(), stepRequested(), seekRequested(int), useFrameRequested(),
    recordRequested(), closeRequested()
    """

    playToggled = Signal()
    stepRequested = Signal()
    seekRequested = Signal(int)
    useFrameRequested = Signal()
    recordRequested = Signal()
    closeRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transportBar")
        sp = QStyle.StandardPixmap

        def button(text: str, tip: str, signal, icon=None, name: str = "") -> QToolButton:
            b = QToolButton(self)
            b.setText(text)
            if icon is not None:
                b.setIcon(self.style().standardIcon(icon))
                b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setToolTip(tip)
            b.setAccessibleName(tip)
            b.setAutoRaise(True)
            b.setObjectName(name)
            b.clicked.connect(lambda _checked=False: signal.emit())
            return b

        self._play = button("Pause", "Play or pause (Space in the picture or a map)",
                            self.playToggled, sp.SP_MediaPause, "playButton")  # fmt: skip
        self._step = button("Step", "Show the next frame and pause", self.stepRequested,
                            sp.SP_MediaSeekForward, "stepButton")  # fmt: skip
        self._name = QLabel("", self)
        self._name.setObjectName("sourceName")
        self._slider = QSlider(Qt.Orientation.Horizontal, self)
        self._slider.setObjectName("positionSlider")
        self._slider.setAccessibleName("position in the video")
        self._slider.setToolTip("Drag to go to another frame")
        self._slider.setMinimumWidth(120)
        self._slider.valueChanged.connect(self._on_slider)
        self._position = QLabel("", self)
        self._position.setObjectName("positionLabel")
        self._rate = QLabel("", self)
        self._rate.setObjectName("rateLabel")
        self._rate.setToolTip(
            "Frames whose maps were all shown, per second, of the source's rate; frames dropped "
            "are frames never shown because the maps of a newer one were computed instead"
        )
        # Text that changes with every frame keeps one width: a label whose size hint moved
        # would lay out (and repaint) the whole window around the bar, frame after frame.
        metrics = self.fontMetrics()
        self._position.setFixedSize(
            metrics.horizontalAdvance("frame 000000 / 000000") + 8, metrics.height() + 4
        )
        self._rate.setFixedSize(
            metrics.horizontalAdvance("paused (000 frames/s) · 000000 dropped") + 8,
            metrics.height() + 4,
        )
        self._use = button("Use This Frame", "Stop and go on with this frame as a still picture",
                           self.useFrameRequested, name="useFrameButton")  # fmt: skip
        self._record = button("Record…", "Record the maps of the frames shown into videos",
                              self.recordRequested, name="recordButton")  # fmt: skip
        self._close = button("Close", "Stop the video or camera (the frame shown stays)",
                             self.closeRequested, sp.SP_DialogCloseButton, "closeVideoButton")  # fmt: skip
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        row.setSpacing(6)
        row.addWidget(self._play)
        row.addWidget(self._step)
        row.addWidget(self._name)
        row.addWidget(self._slider, 1)
        row.addWidget(self._position)
        row.addWidget(self._rate)
        row.addStretch(0)
        row.addWidget(self._use)
        row.addWidget(self._record)
        row.addWidget(self._close)
        self._playing = False
        self._count: int | None = None
        self.set_source("", None, can_seek=False)

    # -- state pushed in -------------------------------------------------------------------
    def set_source(self, name: str, frame_count: int | None, *, can_seek: bool) -> None:
        """A new source: its name, its length (None for a camera) and whether it can seek."""
        shown = self.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle, NAME_WIDTH)
        self._name.setText(shown)
        self._name.setToolTip(name)
        self._count = frame_count
        seekable = bool(can_seek and frame_count)
        self._slider.setVisible(seekable)
        with QSignalBlocker(self._slider):
            self._slider.setRange(0, max(0, (frame_count or 1) - 1))
            self._slider.setValue(0)
        self._position.setText("")
        self._rate.setText("")

    def set_playing(self, playing: bool) -> None:
        """Show Pause while playing and Play otherwise."""
        self._playing = bool(playing)
        sp = QStyle.StandardPixmap
        self._play.setText("Pause" if playing else "Play")
        self._play.setIcon(self.style().standardIcon(sp.SP_MediaPause if playing else sp.SP_MediaPlay))

    def set_position(self, index: int | None) -> None:
        """The frame shown (0 is the first), or None before the first."""
        if index is None:
            self._position.setText("")
            return
        total = f" / {self._count}" if self._count else ""
        self._position.setText(f"frame {index + 1}{total}")
        if not self._slider.isSliderDown():
            with QSignalBlocker(self._slider):
                self._slider.setValue(index)

    def set_rate(self, text: str) -> None:
        self._rate.setText(text)

    def set_recording(self, recording: bool, text: str = "") -> None:
        """While recording the button stops it and says so (``text``: e.g. frames recorded)."""
        self._record.setText(f"Stop Recording {text}".strip() if recording else "Record…")
        self._record.setToolTip(
            "Stop and keep the videos recorded" if recording
            else "Record the maps of the frames shown into videos"
        )  # fmt: skip

    def set_can_use_frame(self, can: bool) -> None:
        self._use.setEnabled(can)

    # -- what the bar shows (tests, scripts) -----------------------------------------------
    def play_text(self) -> str:
        return self._play.text()

    def position_text(self) -> str:
        return self._position.text()

    def rate_text(self) -> str:
        return self._rate.text()

    def record_text(self) -> str:
        return self._record.text()

    def slider(self) -> QSlider:
        return self._slider

    # -- user -> signals -------------------------------------------------------------------
    def _on_slider(self, value: int) -> None:
        self.seekRequested.emit(int(value))
