"""What every frame source gives: the Frame record and the FrameSource protocol.

A :class:`Frame` is immutable (a frozen dataclass whose pixels are a read-only array), so it can
cross from a decoding thread to a computing one and be kept by both. Its pixels follow SPEC.md:
float32 intensities in [0, 1], RGB order, ``(H, W, 3)``; an 8-bit frame is divided by 255.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Frame", "FrameSource", "SourceBase", "bgr_to_pixels", "rgb8_to_pixels"]


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded frame.

    Attributes
    ----------
    index : int
        0 for the first frame of a file (after a seek, the index sought); for a camera, the
        count of frames read since it was opened.
    timestamp : float
        Seconds from the start of the video (a camera: since it was opened).
    pixels : numpy.ndarray
        ``(H, W, 3)`` float32 RGB in [0, 1], read-only.
    """

    index: int
    timestamp: float
    pixels: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``."""
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])


@runtime_checkable
class FrameSource(Protocol):
    """Where frames come from: a video file, a camera, or generated frames for tests.

    A source is used from one thread at a time. ``read()`` blocks until the next frame is
    decoded (a camera: until it delivers one) and returns None at the end of a file; a live
    consumer wraps it in :class:`~filterstudio.media.latest.LatestFrameReader`, which reads on a
    thread of its own and keeps only the newest frame.
    """

    #: Frames per second as the source states it; None when it does not say.
    fps: float | None
    #: The number of frames a file says it holds; None for a camera (or when unknown).
    frame_count: int | None
    #: ``(width, height)`` of every frame.
    size: tuple[int, int]
    #: True when frames arrive at their own pace (a camera), False when they are read as fast
    #: as they decode (a file).
    live: bool
    #: Whether :meth:`seek` is supported.
    can_seek: bool

    def read(self) -> Frame | None:
        """The next frame, or None when there are no more."""
        ...

    def seek(self, index: int) -> None:
        """Make the next :meth:`read` return frame ``index`` (``ValueError`` if unsupported)."""
        ...

    def close(self) -> None:
        """Release the file or device; reading afterwards returns None. Safe to call twice."""
        ...


class SourceBase:
    """Context-manager support and the shared refusal of :meth:`seek` for sources."""

    can_seek = False

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:  # pragma: no cover - every source overrides it
        raise NotImplementedError

    def seek(self, index: int) -> None:
        raise ValueError(f"{type(self).__name__} cannot seek; only video files can.")


def rgb8_to_pixels(rgb: np.ndarray) -> np.ndarray:
    """float32 RGB in [0, 1] from 8-bit RGB, read-only (8-bit values divided by 255)."""
    out = rgb.astype(np.float32)
    out /= np.float32(255)
    out.setflags(write=False)
    return out


def bgr_to_pixels(bgr: np.ndarray) -> np.ndarray:
    """A frame's pixels from what OpenCV decodes (8-bit BGR, or grey): float32 RGB, read-only."""
    import cv2

    if bgr.dtype != np.uint8:
        raise ValueError(f"A decoded frame is 8-bit; this one holds {bgr.dtype} samples.")
    if bgr.ndim == 2:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
    elif bgr.shape[2] == 4:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGRA2RGB)
    else:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return rgb8_to_pixels(rgb)
