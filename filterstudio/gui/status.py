"""The status bar: messages, the picture's size, how long the last update took, maps in progress."""

from __future__ import annotations

import itertools
import time

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from ..model.studio import ImageState

#: How long an ordinary message stays, in milliseconds.
MESSAGE_MS = 8000


class StatusPresenter(QObject):
    """Pushes the studio's news into a ``QStatusBar``; nothing here reads the controller.

    A message that lasts until something ends ("Opening photo.jpg...") is shown with
    :meth:`show_until` and taken away with :meth:`clear` by the token it returned, so a newer
    message is never cleared by an older job ending.
    """

    def __init__(self, bar: QStatusBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bar = bar
        self.size_label = QLabel("")
        self.time_label = QLabel("")
        # Its digits change with every update: were its width to follow them, the status bar
        # would be laid out and repainted with each edit.
        self.time_label.setMinimumWidth(
            self.time_label.fontMetrics().horizontalAdvance("updated 88:88:88 (88888 ms)")
        )
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setVisible(False)
        # The bar comes and goes with every burst of work; were its room to go with it, the
        # status bar would change height and the whole window would be laid out and repainted.
        policy = self.busy_bar.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.busy_bar.setSizePolicy(policy)
        bar.addPermanentWidget(self.size_label)
        bar.addPermanentWidget(self.time_label)
        bar.addPermanentWidget(self.busy_bar)
        # QProgressBar.setValue repaints at once (10-40 ms with many panels): results only
        # mark the count as changed, and the bar follows at most ten times a second.
        self._progress = (0, 0)
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(100)
        self._progress_timer.timeout.connect(self._show_progress)
        self._tokens = itertools.count(1)
        self._lasting: tuple[int, str] | None = None
        self._computing = False
        self._loading = 0
        self._playing = False

    # -- messages ------------------------------------------------------------------------
    def show(self, text: str, ms: int = MESSAGE_MS) -> None:
        """Show ``text`` for ``ms`` milliseconds (it replaces any lasting message)."""
        self._lasting = None
        self.bar.showMessage(text, ms)

    def show_until(self, text: str) -> int:
        """Show ``text`` until :meth:`clear` is called with the token returned."""
        token = next(self._tokens)
        self._lasting = (token, text)
        self.bar.showMessage(text)
        return token

    def clear(self, token: int) -> None:
        """Take away the lasting message ``token`` if it is still the one shown."""
        if self._lasting is not None and self._lasting[0] == token:
            self._lasting = None
            if self.bar.currentMessage():
                self.bar.clearMessage()

    def message(self) -> str:
        return self.bar.currentMessage()

    # -- picture, timing, progress --------------------------------------------------------
    def set_picture(self, state: ImageState | None) -> None:
        text = "" if state is None else f"{state.size_label}, {state.mode_label}"
        if text != self.size_label.text():  # the frames of a video keep their size
            self.size_label.setText(text)

    def set_updated(self, seconds: float) -> None:
        """Every map is current, ``seconds`` after the edit that asked for the last one."""
        if not self._playing:
            self.time_label.setText(
                f"updated {time.strftime('%H:%M:%S')} ({seconds * 1000:.0f} ms)"
            )

    def set_playing(self, playing: bool) -> None:
        """Frames play: every map is asked for again with each one, so neither the count of
        maps done nor the time of the last update says anything (the transport bar shows the
        rates). The bar and the time stay away meanwhile: a busy bar's animation repaints 60
        times a second, and a label whose text changes width lays the whole window out."""
        self._playing = bool(playing)
        if self._playing:
            self.time_label.clear()
            self.set_progress(0, 0)
        self._show_busy()

    def set_computing(self, busy: bool) -> None:
        self._computing = bool(busy)
        self._show_busy()

    def set_loading(self, loading: bool) -> None:
        self._loading = max(0, self._loading + (1 if loading else -1))
        self._show_busy()

    def _show_busy(self) -> None:
        self.busy_bar.setVisible(not self._playing and (self._computing or self._loading > 0))

    def set_progress(self, done: int, total: int) -> None:
        self._progress = (0, 0) if self._playing else (done, total)
        if not self._progress_timer.isActive():
            self._progress_timer.start()

    def _show_progress(self) -> None:
        done, total = self._progress
        bar = self.busy_bar
        if total > 1 and done < total:
            if bar.maximum() != total:
                bar.setRange(0, total)
            bar.setFormat(f"{done}/{total} maps")
            # A new value makes QProgressBar repaint at once, and an immediate repaint paints
            # every region then waiting with it: the panels new maps just reached (up to 20 ms
            # with sixteen). With updates off meanwhile, the bar is painted along with them.
            bar.setUpdatesEnabled(False)
            bar.setValue(done)
            bar.setUpdatesEnabled(True)
        elif bar.maximum() != 0:
            bar.setRange(0, 0)

    def flush(self) -> None:
        """Show the newest progress now (instead of at most ten times a second)."""
        self._progress_timer.stop()
        self._show_progress()

    def busy_text(self) -> str:
        """What the progress bar says, e.g. ``"3/8 maps"`` (empty when it shows no count)."""
        return self.busy_bar.text() if self.busy_bar.maximum() else ""
