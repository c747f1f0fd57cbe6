"""MapRecorder: the maps of shown frames into videos, one per map, encoded on a thread of its own.

The studio hands over each shown frame's exact maps (read-only float arrays, with how their
panels show them); the recorder's thread maps them to 8 bits (core.display.to_uint8, the
panel's mapping and colour map) and writes each into its own :class:`VideoWriter`, so the
window's thread never encodes. At most a few frames wait; a frame that finds the queue full is
not recorded and counted, so a slow disk never makes memory grow.

Every video is written atomically: :meth:`MapRecorder.stop` finishes and puts them in place one
by one; a failure (a full disk, a folder that cannot be written) discards the video it happened
in and every one not yet in place, and leaves one sentence in :attr:`MapRecorder.error`: no
file is ever half-written. A map whose size
changes (a stride edit while recording) ends the recording early: what was recorded is kept,
and :attr:`MapRecorder.note` says why it ended.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.display import to_uint8
from ..core.errors import sentence
from ..core.locked import locked
from .containers import VideoError
from .writer import VideoWriter

__all__ = ["MapRecorder", "RecordedMap"]

#: Frames that may wait for the encoder before new ones are not recorded.
QUEUE_FRAMES = 4


@dataclass(frozen=True, eq=False)
class RecordedMap:
    """One map of one shown frame: its key, exact values and how its panel shows them."""

    key: str
    values: np.ndarray = field(repr=False)
    mapping: str = "minmax"
    colormap: str | None = None


class _SizeChanged(Exception):
    """A map's size changed while recording (internal)."""


_STOP = object()


class MapRecorder:
    """Record maps into the videos ``targets`` names, at ``fps`` frames per second.

    Parameters
    ----------
    targets : mapping of str to path
        Map key -> the video that map goes to (its extension picks the format).
    fps : float
        Frames per second stored in every video.
    overwrite : bool
        Replace existing files (asked before); otherwise an existing target is refused.
    on_end : callable, optional
        Called once on the recorder's thread when it stops by itself (an error, or a map that
        changed size), after the videos were finished or discarded; it must not block.

    Raises
    ------
    VideoError
        A target that cannot be written (format, folder, existing file): nothing is created.
    """

    def __init__(
        self,
        targets: Mapping[str, str | os.PathLike],
        fps: float,
        *,
        overwrite: bool = False,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        if not targets:
            raise VideoError("There is no map to record.")
        self._writers: dict[str, VideoWriter] = {}
        try:
            for key, path in targets.items():
                self._writers[key] = VideoWriter(path, fps, overwrite=overwrite)
        except BaseException:
            for w in self._writers.values():
                w.discard()
            raise
        self.paths = {key: w.path for key, w in self._writers.items()}
        self.fps = float(fps)
        self._on_end = on_end
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_FRAMES)
        self._lock = threading.Lock()
        self._error: str | None = None
        self._note: str | None = None
        self._frames = 0
        self._skipped = 0
        self._finished = False  # the writers were committed or discarded
        self._stopping = False
        self._keep = True
        self._thread = threading.Thread(target=self._run, name="map-recorder", daemon=True)
        self._thread.start()

    # -- the caller's thread ---------------------------------------------------------------
    def add(self, maps: Sequence[RecordedMap]) -> bool:
        """Queue one frame's maps; False if it was not taken (queue full, or stopped)."""
        with self._lock:
            if self._stopping or self._finished:
                return False
        try:
            self._queue.put_nowait(tuple(maps))
        except queue.Full:
            with self._lock:
                self._skipped += 1
            return False
        return True

    def stop(self, *, keep: bool = True, timeout: float | None = 30.0) -> list[str]:
        """Finish: write what is queued and put every video in place (``keep``), or discard.

        Returns the videos put in place (none after an error: see :attr:`error`). Waits for
        the encoder at most ``timeout`` seconds; past that nothing more is put in place.
        """
        with self._lock:
            self._stopping = True
            self._keep = self._keep and keep
        if not keep:
            self._drain()
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)
        with self._lock:
            if self._thread.is_alive():  # the encoder hangs: its videos are not put in place
                self._keep = False
                self._error = self._error or "The recording did not finish in time."
                return []
            if self._error is not None or not self._keep:
                return []
            return [w.path for w in self._writers.values() if w.frames_written]

    running = locked(
        lambda r: not (r._stopping or r._finished),
        "The recorder takes frames (it was not stopped and did not stop by itself).",
    )
    error = locked(
        "_error", "The sentence of what failed (the videos were then discarded), or None."
    )
    note = locked(
        "_note", "Why the recording ended early with its videos kept (a map changed size), or None."
    )
    frames_recorded = locked("_frames", "Frames whose maps were written.")
    frames_skipped = locked("_skipped", "Frames not recorded because the encoder was behind.")

    # -- the recorder's thread -------------------------------------------------------------
    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def _write(self, maps: tuple[RecordedMap, ...]) -> None:
        """One frame into every video, or into none (a map changed size)."""
        frame = []
        for m in maps:
            writer = self._writers.get(m.key)
            if writer is None:
                continue
            pixels = to_uint8(m.values, m.mapping, colormap=m.colormap)
            h, w = pixels.shape[:2]
            if writer.frame_size is not None and writer.frame_size != (w, h):
                raise _SizeChanged
            frame.append((writer, pixels))
        for writer, pixels in frame:
            writer.write(pixels)

    def _finish(self, keep: bool) -> None:
        """Commit (or discard) every writer; the first failure discards the rest too."""
        failure: str | None = None
        for w in self._writers.values():
            if not keep or failure is not None or w.frames_written == 0:
                w.discard()
                continue
            try:
                w.commit()
            except Exception as exc:  # noqa: BLE001 - one sentence for the window
                failure = sentence(exc)
        if failure is not None:
            with self._lock:
                self._error = failure
        with self._lock:
            self._finished = True

    def _run(self) -> None:
        ended_by_itself = False
        keep = True
        while True:
            item = self._queue.get()
            if item is _STOP:
                with self._lock:
                    keep = self._keep and self._error is None
                break
            try:
                self._write(item)
            except _SizeChanged:
                with self._lock:
                    self._note = (
                        f"Recording ended after {self._frames} frames: the maps changed size; "
                        "the videos hold the frames before."
                    )
                    self._stopping = True
                ended_by_itself = True
                break
            except Exception as exc:  # noqa: BLE001 - one sentence for the window
                with self._lock:
                    self._error = sentence(exc)
                    self._stopping = True
                keep = False
                ended_by_itself = True
                break
            with self._lock:
                self._frames += 1
        self._finish(keep)
        if ended_by_itself:
            self._drain()
            if self._on_end is not None:
                self._on_end()
