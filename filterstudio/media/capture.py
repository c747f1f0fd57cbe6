"""VideoFileSource: the frames of a video file, decoded by OpenCV, checked before and while read.

What is opened and what is trusted: the path must name a regular file (core.userfile); its first
bytes must be a listed container (media.containers); FFmpeg is then asked to use that
container's reader alone, on local files only, within timeouts (media.opencv). The frame size is
judged from the header before a frame is decoded, and every decoded frame must have that size.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ..core.userfile import display_name, open_user_file
from .containers import SNIFF_VIDEO_BYTES, Container, VideoError, sniff_video
from .frames import Frame, SourceBase, bgr_to_pixels
from .opencv import MAX_FPS, MAX_FRAME_PIXELS, next_bgr, open_file_capture

__all__ = ["VideoFileSource"]

# A stated frame count beyond this is taken to be damaged (about 460 days at 25 frames/s).
_MAX_STATED_FRAMES = 1_000_000_000


class VideoFileSource(SourceBase):
    """The frames of a video file (MP4, MOV, AVI, MKV or WebM), in order, as :class:`Frame`.

    Parameters
    ----------
    path : str or os.PathLike
        A regular file holding one of the listed containers (judged by content).
    max_pixels : int
        A larger frame size is refused before any frame is decoded.

    Raises
    ------
    VideoError
        Missing, not a regular file, not a listed container, damaged or cut short so that it
        cannot be opened, no video stream, or frames larger than ``max_pixels``; one sentence.

    Notes
    -----
    ``frame_count`` is what the file states (exact for MP4, MOV and AVI; MKV and WebM state a
    duration, from which it is estimated); None when it states nothing usable. ``read()``
    returns None at the end or when the rest cannot be decoded: compare :attr:`frames_read`
    with ``frame_count`` to tell a file cut short. A frame whose size differs from the first
    raises :class:`VideoError`.

    Examples
    --------
    >>> with VideoFileSource("clip.mp4") as source:              # doctest: +SKIP
    ...     while (frame := source.read()) is not None:
    ...         edges = filterstudio.convolve(frame.pixels, sobel)
    """

    live = False
    can_seek = True

    def __init__(self, path: str | os.PathLike, *, max_pixels: int = MAX_FRAME_PIXELS) -> None:
        self.path = os.fsdecode(os.fspath(path)) if not isinstance(path, str) else path
        self.name = display_name(self.path)
        with open_user_file(self.path, max_bytes=None, what="video", error=VideoError) as f:
            try:
                head = f.read(SNIFF_VIDEO_BYTES)
            except OSError as exc:
                reason = (exc.strerror or type(exc).__name__).rstrip(".").lower()
                raise VideoError(f"{self.name} cannot be read: {reason}.") from None
            self.container: Container = sniff_video(head, self.name)
            cap = open_file_capture(f.fileno(), self.path, self.container.demuxer)
        try:
            self._setup(cap, max_pixels)
        except BaseException:
            cap.release()
            raise
        self._cap = cap
        self._next = 0
        self.frames_read = 0

    def _setup(self, cap, max_pixels: int) -> None:
        import cv2

        kind = self.container.name
        if not cap.isOpened():
            raise VideoError(
                f"{self.name} cannot be opened as a video: the {kind} file is damaged or cut "
                "short, or holds no video stream Filter Studio can decode."
            )
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if width <= 0 or height <= 0:
            raise VideoError(f"{self.name} is damaged: its video stream gives no frame size.")
        if width * height > max_pixels:
            raise VideoError(
                f"{self.name} has frames of {width} x {height} = {width * height:,} pixels, more "
                f"than the {max_pixels:,} pixels Filter Studio decodes per frame."
            )
        self.size = (width, height)
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        self.fps = fps if math.isfinite(fps) and 0 < fps <= MAX_FPS else None
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        usable = math.isfinite(count) and 0 < count <= _MAX_STATED_FRAMES
        self.frame_count = int(count) if usable else None

    def read(self) -> Frame | None:
        """The next frame, or None at the end (or where the rest cannot be decoded)."""
        import cv2

        cap = self._cap
        bgr = next_bgr(cap)
        if bgr is None:
            return None
        width, height = self.size
        if bgr.shape[:2] != (height, width):
            raise VideoError(
                f"{self.name} is damaged: frame {self._next + 1} is {bgr.shape[1]} x "
                f"{bgr.shape[0]} where the video's frames are {width} x {height}."
            )
        seconds = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        if not (math.isfinite(seconds) and seconds >= 0):
            seconds = self._next / self.fps if self.fps else 0.0
        frame = Frame(self._next, float(seconds), bgr_to_pixels(np.asarray(bgr)))
        self._next += 1
        self.frames_read += 1
        return frame

    def skip(self) -> bool:
        """Pass over the next frame: decoded as far as the codec needs, not converted (a player
        that cannot show every frame); False at the end."""
        cap = self._cap
        if cap is None or not cap.grab():
            return False
        self._next += 1
        return True

    def seek(self, index: int) -> None:
        """Make the next :meth:`read` return frame ``index`` (0 is the first).

        OpenCV's FFmpeg reader seeks to the key frame before ``index`` and decodes forward, so
        the frame is the one a reader from the start would see (for the listed codecs).
        """
        import cv2

        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
            raise ValueError(f"A frame index is a whole number from 0, not {index!r}.")
        if self.frame_count is not None and index >= self.frame_count:
            raise ValueError(
                f"{self.name} has {self.frame_count} frames, so there is no frame {int(index)}."
            )
        if self._cap is None:
            raise ValueError(f"{self.name} is closed.")
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, int(index))
        self._next = int(index)

    def close(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()
