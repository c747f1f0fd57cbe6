"""LatestFrameReader: a source read on its own thread, only the newest frame kept for a consumer.

A live view computes on whatever frame is newest when it is ready for one; frames that arrived
meanwhile are dropped, never queued (newest wins, as for edits), and counted. A video file is
paced at its frame rate (a camera paces itself), and can be paused, stepped and sought; those
commands run on the reader's thread, so the source is only ever touched by one thread.

A paced file whose consumer takes frames more slowly than they fall due is not converted frame
by frame only to drop most of them: once the consumer's pace is known (from the times it took
frames), a frame that falls due more than a frame before the consumer is expected to take the
next one is passed over (``source.skip()``: decoded as far as the codec needs, not converted),
so the frame converted is the one due just before the take. Skipped frames count as dropped.
The last frame of a source that states its frame count is never passed over: a file that ends
shows its last frame.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any

from ..core.locked import locked
from .frames import Frame, FrameSource

__all__ = ["LatestFrameReader"]

# What the consumer reads of the reader's state, each under the reader's condition.
_shared = partial(locked, lock="_cond")


class LatestFrameReader:
    """Read ``source`` on a thread of its own and keep only the newest frame.

    Parameters
    ----------
    source : FrameSource
        Owned from now on: the reader closes it when it is closed.
    pace : bool, optional
        Deliver frames when their timestamps fall due (play at the video's rate). Default: for
        a source that is not live and states its frame rate.
    on_frame : callable, optional
        Called on the reader's thread after each new frame is stored (for example to post an
        event to a window's thread); it must not block.
    prepare : callable, optional
        ``prepare(frame)`` runs on the reader's thread as soon as a frame is read (while a paced
        frame waits for its time), and what it returns is stored and handed out instead of the
        frame: work every frame needs (a display copy, say) is then done before a consumer
        asks, never on the consumer's thread. What it raises stops the reader like a source
        error.

    Notes
    -----
    :meth:`take` and :meth:`wait` hand out each frame at most once. :attr:`dropped` counts the
    frames that were replaced by a newer one before anyone took them, and the frames of a paced
    file passed over while the consumer was busy (:attr:`skipped`; sources with a ``skip()``
    method, which returns False at the end).

    Examples
    --------
    >>> reader = LatestFrameReader(CameraSource(0))           # doctest: +SKIP
    >>> frame = reader.wait(timeout=1.0)                       # the newest frame, or None
    >>> reader.close()
    """

    def __init__(
        self,
        source: FrameSource,
        *,
        pace: bool | None = None,
        on_frame: Callable[[], None] | None = None,
        prepare: Callable[[Frame], Any] | None = None,
    ) -> None:
        self.source = source
        self.pace = bool(not source.live and source.fps) if pace is None else bool(pace)
        self._on_frame = on_frame
        self._prepare = prepare
        self._cond = threading.Condition()
        self._latest: Any = None
        self._dropped = 0
        self._frames_read = 0
        self._taken = 0
        self._paused = False
        self._steps = 0
        self._seek: int | None = None
        self._stopping = False
        self._at_end = False
        self._error: BaseException | None = None
        self._done = False
        self._skipped = 0
        self._take_times: deque[float] = deque(maxlen=8)
        self._next_index = 0  # the index of the frame the source gives next (reader's thread)
        skip = getattr(source, "skip", None)
        self._skip = skip if self.pace and source.fps and not source.live else None
        self._interval = 1.0 / source.fps if source.fps else 0.0
        self._thread = threading.Thread(target=self._run, name="frame-reader", daemon=True)
        self._thread.start()

    # ---------------------------------------------------------------------------------------
    # What a consumer reads

    def take(self) -> Any:
        """The newest frame not yet taken (as ``prepare`` made it), or None at once if none."""
        with self._cond:
            frame, self._latest = self._latest, None
            if frame is not None:
                self._taken += 1
                self._take_times.append(time.monotonic())
            return frame

    def wait(self, timeout: float | None = None) -> Any:
        """The newest frame not yet taken, waiting up to ``timeout`` seconds for one.

        Returns None at the timeout, at the end of the source, or once the reader stopped.
        """
        with self._cond:
            self._cond.wait_for(
                lambda: self._latest is not None or self._at_end or self._done or self._stopping,
                timeout,
            )
        return self.take()

    has_frame = _shared(lambda r: r._latest is not None, "A frame waits to be taken.")
    dropped = _shared("_dropped", "Frames replaced by a newer one before they were taken.")
    skipped = _shared(
        "_skipped", "Frames of a paced file passed over unconverted while the consumer was busy."
    )
    frames_read = _shared("_frames_read", "Frames read from the source so far.")
    frames_taken = _shared("_taken", "Frames handed out by :meth:`take` and :meth:`wait`.")
    at_end = _shared("_at_end", "The source has no more frames (until a :meth:`seek`).")
    error = _shared("_error", "What the source raised, if reading stopped on an error.")
    running = _shared(
        lambda r: not r._done,
        "The reader's thread is alive (it stays alive at the end, waiting for a seek).",
    )

    def wait_for_end(self, timeout: float | None = None) -> bool:
        """Wait until the source has no more frames or the reader stopped; True if so."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._at_end or self._done, timeout
            )

    # ---------------------------------------------------------------------------------------
    # Commands (run on the reader's thread)

    paused = _shared("_paused", "Playback is paused (a :meth:`step` still reads one frame).")

    def pause(self) -> None:
        """Stop reading after the frame in progress."""
        with self._cond:
            self._paused = True
            self._cond.notify_all()

    def resume(self) -> None:
        """Read again; a paced video continues at its rate from the next frame."""
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def step(self) -> None:
        """While paused, read exactly one more frame."""
        with self._cond:
            self._steps += 1
            self._cond.notify_all()

    def seek(self, index: int, *, show: bool = False) -> None:
        """Continue from frame ``index``; ``ValueError`` for a source that cannot seek.

        ``show`` reads that frame even while paused (steps asked before are dropped: a slider
        dragged over many frames shows the last one it stopped at, not the frames after it).
        """
        if not self.source.can_seek:
            raise ValueError("This source cannot seek; only video files can.")
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError(f"A frame index is a whole number from 0, not {index!r}.")
        count = self.source.frame_count
        if count is not None and index >= count:
            raise ValueError(f"This video has {count} frames, so there is no frame {index}.")
        with self._cond:
            self._seek = index
            self._at_end = False
            self._latest = None
            if show:
                self._steps = 1
            self._cond.notify_all()

    def close(self, timeout: float | None = 5.0) -> bool:
        """Stop the thread and close the source; True when the thread has ended.

        The thread finishes the read in progress first (bounded by the source's own timeout);
        the source is closed by the thread itself, so never while it is being read.
        """
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def __enter__(self) -> LatestFrameReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------------------------------
    # The thread

    def _next_command(self) -> tuple[str, int | None]:
        """Block until there is something to do: ('stop' | 'seek' | 'read' | 'step', arg)."""
        with self._cond:
            while True:
                if self._stopping:
                    return "stop", None
                if self._seek is not None:
                    index, self._seek = self._seek, None
                    return "seek", index
                if self._at_end:
                    self._cond.wait()
                    continue
                if not self._paused:
                    return "read", None
                if self._steps:
                    self._steps -= 1
                    return "step", None
                self._cond.wait()

    def _wait_until(self, due: float) -> bool:
        """Sleep until ``due`` (monotonic); False if a command came first."""
        with self._cond:
            return not self._cond.wait_for(
                lambda: self._stopping or self._seek is not None or self._paused,
                max(0.0, due - time.monotonic()),
            )

    def _next_take(self) -> float | None:
        """When the consumer is expected to take a frame again, while one waits (else None)."""
        with self._cond:
            times = self._take_times
            if self._latest is None or len(times) < 3:
                return None
            period = statistics.median(b - a for a, b in zip(times, list(times)[1:]))
            return times[-1] + period

    def _store(self, frame: Any) -> None:
        with self._cond:
            if self._stopping or self._seek is not None:
                return  # read before a seek (or the close) was asked: never delivered after it
            if self._latest is not None:
                self._dropped += 1
            self._latest = frame
            self._frames_read += 1
            self._cond.notify_all()
        if self._on_frame is not None:
            self._on_frame()

    def _skip_one(self, anchor: tuple[float, float], last: float) -> bool | None:
        """Pass over the next frame if it falls due well before the consumer's next take.

        None: not skipped (read it); True: skipped; False: a command came, or the end.
        """
        take = self._next_take()
        count = self.source.frame_count
        if take is None or (count is not None and self._next_index >= count - 1):
            return None  # the last frame is read, so a file that ends shows it
        due = anchor[0] + (last + self._interval - anchor[1])
        if due + self._interval >= take:
            return None
        if not self._wait_until(due):
            return False
        if not self._skip():
            with self._cond:
                self._at_end = True
                self._cond.notify_all()
            return False
        self._next_index += 1
        with self._cond:
            self._skipped += 1
            self._dropped += 1
        return True

    def _run(self) -> None:
        anchor: tuple[float, float] | None = None  # (monotonic time, frame timestamp)
        last: float | None = None  # timestamp of the frame read or passed over last
        try:
            while True:
                command, index = self._next_command()
                if command == "stop":
                    return
                if command == "seek":
                    self.source.seek(index)
                    self._next_index = index
                    anchor = last = None
                    continue
                if command == "read" and self._skip is not None and anchor and last is not None:
                    skipped = self._skip_one(anchor, last)
                    if skipped:
                        last += self._interval
                        continue
                    if skipped is False:
                        anchor = last = None
                        continue
                frame = self.source.read()
                if frame is None:
                    with self._cond:
                        self._at_end = True
                        self._cond.notify_all()
                    anchor = None
                    continue
                last = frame.timestamp
                self._next_index = frame.index + 1
                item = frame if self._prepare is None else self._prepare(frame)
                if self.pace and command == "read":
                    if anchor is None:
                        anchor = (time.monotonic(), frame.timestamp)
                    due = anchor[0] + (frame.timestamp - anchor[1])
                    if not self._wait_until(due):
                        # Paused, sought or stopped while waiting: a pause keeps the frame.
                        anchor = None
                else:
                    anchor = None
                self._store(item)
        except BaseException as exc:  # noqa: BLE001 - kept for the consumer to read
            with self._cond:
                self._error = exc
        finally:
            try:
                self.source.close()
            finally:
                with self._cond:
                    self._done = True
                    self._cond.notify_all()
