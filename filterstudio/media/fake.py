"""FakeSource: generated frames behind the FrameSource interface, for tests and demos.

A file-like fake is read as fast as asked; a live fake (``live=True``) delivers its frames at its
frame rate as a camera does, and may run for ever (``count=None``). Its frames are a pure function
of their index (:meth:`FakeSource.pixels_at`), so a test knows what every frame holds.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from .frames import Frame, SourceBase, rgb8_to_pixels

__all__ = ["FakeSource"]


class FakeSource(SourceBase):
    """Frames of a moving pattern, with the size, rate and count asked for.

    Parameters
    ----------
    size : (int, int)
        ``(width, height)`` of every frame.
    fps : float
        Frames per second; a live source delivers at this rate.
    count : int or None
        How many frames before the end; None for no end (as a camera).
    live : bool
        Deliver frames at ``fps`` as they are due (a camera) instead of at once (a file).
    can_seek : bool
        Whether :meth:`seek` works (a camera cannot seek).

    Notes
    -----
    Pixels are multiples of 1/255, as a decoded 8-bit frame's are.
    """

    def __init__(
        self,
        *,
        size: tuple[int, int] = (64, 48),
        fps: float = 25.0,
        count: int | None = 36,
        live: bool = False,
        can_seek: bool = True,
    ) -> None:
        width, height = (int(v) for v in size)
        if width < 1 or height < 1:
            raise ValueError(f"A frame size is at least 1 x 1, not {width} x {height}.")
        if not fps > 0:
            raise ValueError(f"A frame rate is above 0, not {fps!r}.")
        if count is not None and count < 0:
            raise ValueError(f"A frame count is 0 or more, not {count!r}.")
        self.size = (width, height)
        self.fps = float(fps)
        self.frame_count = None if count is None else int(count)
        self.live = bool(live)
        self.can_seek = bool(can_seek)
        #: How many times :meth:`read` returned a frame, and :meth:`skip` passed one over.
        self.frames_read = 0
        self.frames_skipped = 0
        self._next = 0
        self._closed = threading.Event()
        self._started: float | None = None

    def pixels_at(self, index: int) -> np.ndarray:
        """Frame ``index``'s pixels: float32 RGB in [0, 1], read-only."""
        width, height = self.size
        y, x = np.mgrid[0:height, 0:width]
        r = (x * 7 + index * 5) % 256
        g = (y * 11 + index * 3) % 256
        b = ((x + y) * 13 + index * 17) % 256
        return rgb8_to_pixels(np.stack([r, g, b], axis=2).astype(np.uint8))

    def read(self) -> Frame | None:
        if self._closed.is_set():
            return None
        index = self._next
        if self.frame_count is not None and index >= self.frame_count:
            return None
        if self.live:
            now = time.monotonic()
            if self._started is None:
                self._started = now - index / self.fps
            delay = self._started + index / self.fps - now
            if delay > 0 and self._closed.wait(delay):
                return None
        self._next += 1
        self.frames_read += 1
        return Frame(index, index / self.fps, self.pixels_at(index))

    def skip(self) -> bool:
        """Pass over the next frame without making it; False at the end (or once closed)."""
        if self._closed.is_set():
            return False
        if self.frame_count is not None and self._next >= self.frame_count:
            return False
        self._next += 1
        self.frames_skipped += 1
        return True

    def seek(self, index: int) -> None:
        if not self.can_seek:
            super().seek(index)
        if index < 0 or (self.frame_count is not None and index >= self.frame_count):
            raise ValueError(f"There is no frame {index!r} in this source.")
        self._next = int(index)
        self._started = None

    def close(self) -> None:
        self._closed.set()
