"""Playback: a video's or a camera's frames through every map, newest first, never queued.

A source is read on a thread of its own (media.LatestFrameReader), which also makes each
frame's picture there (``make_image_state``: the 8-bit copy the input panel shows), so the GUI
thread only hands pictures over. The next frame goes to ``Loader.show`` when every map shows
its answer for the frame on screen, or when the deadline passes (compute.frame_gate explains
both); frames read meanwhile replace one another and are counted as dropped. Each frame is a
new picture key, so the scheduler replaces any map still waiting for an older frame and the
ledger's floor keeps late answers off the screen; kernel edits reach the controller as ever
and apply to the frame on screen and every frame after.

Nothing of a frame outlives the next one here: the reader keeps at most one picture not yet
shown, this part the one on screen.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal

from ..compute.frame_gate import FrameGate, maps_shown
from ..core.display import downscale_for_display, to_uint8
from ..core.errors import sentence
from ..media.frames import Frame, FrameSource
from ..media.latest import LatestFrameReader
from ..model.studio import ImageState, make_image_state
from .controller import StudioController
from .dialogs import Dialogs
from .loading import Loader
from .status import StatusPresenter
from .tasks import TaskCancelled, TaskHandle, start_task
from .window_part import WindowPart

#: How often the rates and the end of a file are looked at, in milliseconds.
TICK_MS = 250
#: How long closing waits for a reader's thread to end when the window closes, in seconds.
CLOSE_SECONDS = 5.0


class _Wake(QObject):
    """Carries "a frame is ready" from a reader's thread to the GUI thread (a queued signal)."""

    ready = Signal()


class _Feed:
    """One open source: its reader, its name, and the switch that silences it once closed."""

    def __init__(
        self, source: FrameSource, name: str, wake: Callable[[], None], side: Callable[[], int]
    ) -> None:
        self.name = name
        self.fps = source.fps
        self.frame_count = source.frame_count
        self.can_seek = bool(source.can_seek and source.frame_count)
        self.live = bool(source.live)
        self.started = time.monotonic()
        self._wake = wake
        self._side = side
        self._lock = threading.Lock()
        self._closed = False
        self._pending = False
        self.reader = LatestFrameReader(source, on_frame=self._on_frame, prepare=self._prepare)

    def _prepare(self, frame: Frame) -> ImageState:
        """On the reader's thread: the frame as the picture the studio shows.

        The input panel's copy is the frame averaged over whole blocks, at least as large as
        the map panels' copies (OpenCV's fast path: a frame's time matters more than a still's).
        """
        state = make_image_state(frame.pixels, self.name, frame=frame.index, with_display=False)
        longest = max(state.pixels.shape[:2])
        factor = max(1, longest // max(1, self._side()))
        small = downscale_for_display(state.pixels, -(-longest // factor), whole_factor=True)
        shown = to_uint8(small, "clip")
        shown.setflags(write=False)
        return replace(state, display_pixels=shown)

    def _on_frame(self) -> None:
        """On the reader's thread: wake the GUI thread once, however many frames come."""
        with self._lock:
            if self._closed or self._pending:
                return
            self._pending = True
            self._wake()  # under the lock: once closed, nothing is emitted any more

    def woke(self) -> None:
        with self._lock:
            self._pending = False

    def close(self, timeout: float = 0.0) -> bool:
        """Stop waking the window and stop the reader (waiting ``timeout`` seconds at most)."""
        with self._lock:
            self._closed = True
        return self.reader.close(timeout)

    def source_rate(self) -> float | None:
        """The rate the source states, else (a camera) the rate its frames were read at."""
        if self.fps:
            return float(self.fps)
        seconds = time.monotonic() - self.started
        read = self.reader.frames_read
        return read / seconds if read > 1 and seconds > 0 else None


class _Opening:
    """A source being opened on a pool thread; whoever gets it last closes it if unwanted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.source: FrameSource | None = None
        self.abandoned = False

    def keep(self, source: FrameSource) -> None:
        """On the pool thread: hold the opened source, or close it if nobody wants it now."""
        with self.lock:
            if not self.abandoned:
                self.source = source
                return
        source.close()
        raise TaskCancelled

    def take(self) -> FrameSource | None:
        with self.lock:
            source, self.source = self.source, None
            return source

    def abandon(self) -> None:
        with self.lock:
            self.abandoned = True
            source, self.source = self.source, None
        if source is not None:
            source.close()


class Playback(WindowPart):
    """Plays one frame source at a time through the controller.

    Signals
    -------
    stateChanged()
        A source was opened or closed, or it started, paused or reached its end.
    frameShown(ImageState)
        Every map shows its answer for this frame (recording takes the maps then).
    positionChanged(int)
        The index of the frame handed over.
    """

    stateChanged = Signal()
    frameShown = Signal(object)
    positionChanged = Signal(int)

    def __init__(
        self,
        controller: StudioController,
        loader: Loader,
        dialogs: Dialogs,
        status: StatusPresenter,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(controller, dialogs, parent, status=status, loader=loader)
        self._gate = FrameGate()
        self._feed: _Feed | None = None
        self._closing: list[_Feed] = []
        self._shown: ImageState | None = None  # the frame on screen
        self._continuing = False
        self._playing = False
        self._ended = False
        self._opening: tuple[TaskHandle, _Opening] | None = None
        self._shut = False
        self._busy_held = False
        self._side = controller.max_display_side
        self._wake = _Wake(self)
        self._wake.ready.connect(self._on_wake, Qt.ConnectionType.QueuedConnection)
        self._deadline = QTimer(self)
        self._deadline.setSingleShot(True)
        self._deadline.timeout.connect(self._pump)
        # A frame whose maps are complete is followed in a later pass of the event loop, so
        # every slot of the result that completed it runs first, and the maps get painted.
        self._next = QTimer(self)
        self._next.setSingleShot(True)
        self._next.setInterval(0)
        self._next.timeout.connect(self._pump)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._on_tick)
        controller.resultApplied.connect(self._check_complete)
        controller.bankChanged.connect(self._check_complete)
        controller.derivedChanged.connect(self._check_complete)
        controller.imageChanged.connect(self._on_image_changed)

    # -- opening -------------------------------------------------------------------------
    def open_video(self, path: str | os.PathLike, *, wait: bool = False) -> bool:
        """Open a video file (MP4, MOV, AVI, MKV, WebM) and play it; a sentence if it fails."""
        from ..media.capture import VideoFileSource

        path = os.fspath(path)
        name = Path(path).name
        return self._open(name, lambda: VideoFileSource(path), wait)

    def open_camera(self, index: int = 0, *, name: str | None = None, wait: bool = False) -> bool:
        """Open camera ``index`` and show its frames live."""
        from ..media.camera import CameraSource

        return self._open(name or f"Camera {index}", lambda: CameraSource(int(index)), wait)

    def open_source(self, source: FrameSource, name: str = "frames") -> None:
        """Play ``source`` (owned from now on: it is closed with the playback)."""
        if self._shut:
            source.close()
            return
        self._stop_feed()
        self._gate = FrameGate()
        self._feed = _Feed(source, name, self._wake.ready.emit, lambda: self._side)
        self._shown = None
        self._playing = True
        self._ended = False
        self._tick.start()
        self._hold_busy(True)
        self.stateChanged.emit()

    def _open(self, name: str, make: Callable[[], FrameSource], wait: bool) -> bool:
        if self._shut:
            return False
        if self._opening is not None:
            self._opening[0].cancel()
            self._opening[1].abandon()  # a newer open wins
        opening = _Opening()

        def run(control) -> bool:
            opening.keep(make())
            control.check()
            return True

        token = self._status.show_until(f"Opening {name}…")
        self._status.set_loading(True)
        handle = start_task(run, parent=self)
        self._opening = (handle, opening)
        outcome: dict[str, bool] = {}

        def ended(error: BaseException | None) -> None:
            self._status.clear(token)
            self._status.set_loading(False)
            source = opening.take()
            if self._opening is None or self._opening[0] is not handle or self._shut:
                if source is not None:
                    source.close()
                outcome["ok"] = False
                return
            self._opening = None
            if source is not None:
                self.open_source(source, name)
                outcome["ok"] = True
            elif error is not None:
                self._dialogs.error(sentence(error))
                outcome["ok"] = False
            else:
                outcome["ok"] = False

        handle.finished.connect(lambda _value: ended(None))
        handle.failed.connect(ended)
        handle.cancelled.connect(lambda: ended(None))
        if not wait:
            return True
        handle.wait_ended()
        return outcome.get("ok", False)

    # -- commands ------------------------------------------------------------------------
    def is_open(self) -> bool:
        return self._feed is not None

    def is_playing(self) -> bool:
        return self._feed is not None and self._playing

    def is_live(self) -> bool:
        return self._feed is not None and self._feed.live

    def play(self) -> None:
        """Play (from the start again once a file has ended)."""
        feed = self._feed
        if feed is None or self._playing:
            return
        if self._ended and feed.can_seek:
            feed.reader.seek(0)
        self._ended = False
        self._playing = True
        self._hold_busy(True)
        feed.reader.resume()
        self.stateChanged.emit()

    def pause(self) -> None:
        feed = self._feed
        if feed is None or not self._playing:
            return
        self._playing = False
        self._hold_busy(False)
        feed.reader.pause()
        self.stateChanged.emit()

    def toggle(self) -> None:
        """Play or pause (Space in the picture or a map)."""
        if self.is_playing():
            self.pause()
        else:
            self.play()

    def step(self) -> None:
        """Pause, and show the next frame."""
        feed = self._feed
        if feed is None:
            return
        self.pause()
        if not self._ended:
            feed.reader.step()

    def seek(self, index: int) -> bool:
        """Go to frame ``index`` of a file (shown at once, even paused); False with a sentence
        when the source cannot seek or has no such frame."""
        feed = self._feed
        if feed is None:
            return False
        try:
            feed.reader.seek(int(index), show=not self._playing)
        except ValueError as exc:
            self._dialogs.error(sentence(exc))
            return False
        self._ended = False
        return True

    def close(self) -> None:
        """Stop the source; the frame on screen stays as the picture."""
        if self._feed is None:
            return
        self._stop_feed()
        self.stateChanged.emit()

    def use_frame(self, *, wait: bool = False) -> bool:
        """Stop, and go on with the frame on screen as a still picture (new maps, previews)."""
        state = self._shown
        if state is None:
            self._dialogs.error("There is no frame on screen to use yet.")
            return False
        self.close()
        stem = Path(state.name).stem or state.name
        name = f"{stem} frame {(state.frame or 0) + 1}"
        pixels = state.pixels
        return self._loader.open_made(name, lambda: make_image_state(pixels, name), wait=wait)

    def shutdown(self) -> None:
        """The window closes: stop opening, stop every reader and wait for their threads."""
        self._shut = True
        if self._opening is not None:
            handle, opening = self._opening
            self._opening = None
            handle.cancel()
            opening.abandon()
            handle.wait(int(CLOSE_SECONDS * 1000))
            opening.abandon()  # opened after all: closed now
        self._stop_feed()
        deadline = time.monotonic() + CLOSE_SECONDS
        for feed in self._closing:
            feed.close(max(0.0, deadline - time.monotonic()))
        self._closing = [f for f in self._closing if f.reader.running]

    # -- what is shown -------------------------------------------------------------------
    def frame_state(self) -> ImageState | None:
        """The frame on screen (None before the first)."""
        return self._shown

    def continues(self, state: ImageState | None) -> bool:
        """Whether ``state`` is a frame following one of the same size (views keep their zoom)."""
        return state is not None and state is self._shown and self._continuing

    def name(self) -> str:
        return "" if self._feed is None else self._feed.name

    def frame_count(self) -> int | None:
        return None if self._feed is None else self._feed.frame_count

    def can_seek(self) -> bool:
        return self._feed is not None and self._feed.can_seek

    def has_ended(self) -> bool:
        return self._ended

    def playback_rate(self) -> float:
        """Frames whose maps were all shown, per second, over the last two seconds."""
        return self._gate.shown_rate() if self._feed is not None else 0.0

    def source_rate(self) -> float | None:
        """The source's frame rate (a camera without one: the rate it delivers at)."""
        return None if self._feed is None else self._feed.source_rate()

    def frames_dropped(self) -> int:
        """Frames read but never shown with all their maps (replaced by newer ones)."""
        if self._feed is None:
            return 0
        return self._feed.reader.dropped + self._gate.frames_abandoned

    def frames_shown(self) -> int:
        """Frames whose maps were all shown since the source was opened."""
        return self._gate.frames_complete if self._feed is not None else 0

    def error(self) -> BaseException | None:
        return None if self._feed is None else self._feed.reader.error

    # -- keys ------------------------------------------------------------------------------
    def watch_keys(self, view) -> None:
        """Space in ``view`` (the picture or a map, when it has the focus) plays or pauses."""
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (
            event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Space
            and not event.modifiers()
            and self._feed is not None
        ):
            self.toggle()
            return True
        return False

    # -- the hand-over ---------------------------------------------------------------------
    def _stop_feed(self) -> None:
        feed, self._feed = self._feed, None
        self._deadline.stop()
        self._next.stop()
        self._tick.stop()
        self._playing = False
        self._hold_busy(False)
        if feed is not None:
            feed.close(0.0)  # its thread ends on its own; shutdown() waits for it
            self._closing = [f for f in self._closing if f.reader.running] + [feed]
        self._gate.reset()

    def _hold_busy(self, on: bool) -> None:
        """Tell the status bar frames play (the studio works the whole time, the transport bar
        says how fast): it stops counting maps per frame and showing update times."""
        if on != self._busy_held:
            self._busy_held = on
            self._status.set_playing(on)

    def _on_wake(self) -> None:
        if self._feed is not None:
            self._feed.woke()
            self._pump()

    def _pump(self) -> None:
        """Hand the newest frame over if the gate is open; else wait for the maps or the
        deadline (a frame that comes meanwhile replaces the one waiting)."""
        feed = self._feed
        if feed is None:
            return
        if not self._gate.ready():
            self._arm_deadline()
            return
        state = feed.reader.take()
        if state is None:
            return  # the reader wakes us when the next frame is ready
        self._side = self._c.max_display_side
        previous = self._shown
        self._continuing = previous is not None and previous.pixels.shape == state.pixels.shape
        self._shown = state
        self._gate.handed_over()
        self._loader.show(state)
        self.positionChanged.emit(state.frame or 0)
        self._check_complete()
        self._arm_deadline()

    def _arm_deadline(self) -> None:
        left = self._gate.seconds_to_deadline()
        if left is None:
            self._deadline.stop()
        else:
            self._deadline.start(int(left * 1000) + 1)

    def _check_complete(self, *_args) -> None:
        """After every answer shown: is the frame on screen complete? Then the next may come."""
        state = self._shown
        if state is None or self._feed is None or not self._gate.waiting:
            return
        c = self._c
        if c.image is not state or not maps_shown(c.ledger, c.stack, c.derived):
            return
        if self._gate.complete():
            self._deadline.stop()
            self.frameShown.emit(state)
            self._next.start()

    def _on_image_changed(self, state: ImageState | None) -> None:
        if state is not None and state is not self._shown and self._feed is not None:
            self.close()  # another picture came in (open, paste, drop, session): frames stop

    def _on_tick(self) -> None:
        feed = self._feed
        if feed is None:
            return
        error = feed.reader.error
        if error is not None:
            self.close()
            self._dialogs.error(sentence(error))
            return
        if self._playing and feed.reader.at_end and not feed.reader.has_frame:
            if self._shown is None or feed.live:
                self.close()
                what = "gave no frame" if self._shown is None else "stopped giving frames"
                self._dialogs.error(f"{feed.name} {what}.")
                return
            self._playing = False
            self._ended = True
            self._hold_busy(False)
            feed.reader.pause()  # a seek now shows its frame and stays there
            self.stateChanged.emit()
