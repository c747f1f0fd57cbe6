"""VideoWriter: 8-bit frames into a video file, atomically, with every row and column kept.

The container and codec follow the file's extension (:data:`WRITE_FORMATS`): ``.mp4``, ``.m4v``
and ``.mov`` hold MPEG-4 Part 2 (``mp4v``, what opencv-python-headless can encode; its build has
no H.264 encoder), ``.avi`` holds Motion JPEG, and ``.mkv`` holds FFV1, which is lossless.
Video codecs store even sizes only, and OpenCV drops an odd last row or column; this writer
repeats it instead, so a 31 x 23 map is stored as 32 x 24 whose last column and row are copies,
and every cell of the map is in the video.

The file is written beside its target under a hidden temporary name, read back (it must open
and hold as many frames as were written, which a full disk or a failing encoder prevents), and
only then renamed over the target (core.atomic), so a failed or interrupted write leaves the
target as it was.
"""

from __future__ import annotations

import errno
import math
import os
from collections.abc import Callable

import numpy as np

from ..core.atomic import atomic_write, check_target
from ..core.formats import written_format
from ..core.userfile import display_name
from .containers import VideoError
from .opencv import MAX_FPS, quiet_video_logs

__all__ = ["WRITE_FORMATS", "VideoWriter", "even_size", "pad_to_even", "video_write_format"]

#: Extension -> (container, OpenCV four-character code of the codec).
WRITE_FORMATS: dict[str, tuple[str, str]] = {
    ".mp4": ("MP4", "mp4v"),
    ".m4v": ("MP4", "mp4v"),
    ".mov": ("MOV", "mp4v"),
    ".avi": ("AVI", "MJPG"),
    ".mkv": ("MKV", "FFV1"),
}


def video_write_format(path: str | os.PathLike) -> tuple[str, str]:
    """``(container, fourcc)`` that :class:`VideoWriter` uses for ``path``, or a sentence."""
    return written_format(path, WRITE_FORMATS, VideoError, verb="write", kind="a video format")


def even_size(width: int, height: int) -> tuple[int, int]:
    """The stored size of a ``width`` x ``height`` frame: each rounded up to even."""
    return width + width % 2, height + height % 2


def pad_to_even(pixels: np.ndarray) -> np.ndarray:
    """``pixels`` with its last row and/or column repeated where its height or width is odd."""
    import cv2

    h, w = pixels.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return pixels
    return cv2.copyMakeBorder(pixels, 0, h % 2, 0, w % 2, cv2.BORDER_REPLICATE)


def _as_bgr(pixels: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``pixels`` (RGB or grey) in OpenCV's BGR order, into ``out`` when it has the shape."""
    import cv2

    code = cv2.COLOR_GRAY2BGR if pixels.ndim == 2 or pixels.shape[2] == 1 else cv2.COLOR_RGB2BGR
    src = np.ascontiguousarray(pixels)
    if out is not None and out.shape == src.shape[:2] + (3,):
        return cv2.cvtColor(src, code, dst=out)
    return cv2.cvtColor(src, code)


def _write_error(path: str, exc: OSError) -> VideoError:
    if exc.errno == errno.ENOSPC:
        return VideoError(f"Cannot write {display_name(path)}: the disk is full.")
    if isinstance(exc, PermissionError):
        return VideoError(f"Cannot write {display_name(path)}: permission denied.")
    reason = (exc.strerror or str(exc) or type(exc).__name__).rstrip(".")
    return VideoError(f"Cannot write {display_name(path)}: {reason}.")


class _Discarded(Exception):
    """Thrown into the atomic write to drop its temporary file (internal)."""


class VideoWriter:
    """Write 8-bit frames to ``path``; the file appears only when :meth:`commit` succeeds.

    Parameters
    ----------
    path : str or os.PathLike
        The video to write; its extension picks the format (:data:`WRITE_FORMATS`).
    fps : float
        Frames per second stored in the file.
    overwrite : bool
        If False and ``path`` exists, refuse before anything is written.
    before_commit : callable, optional
        Called once the file is complete and read back, before it replaces ``path``; what it
        raises is raised and nothing is put in place.

    Notes
    -----
    Frames are ``(H, W)`` grey or ``(H, W, 3)`` RGB uint8, all of one size; the first fixes it.
    Used as a context manager, the file is committed when the block succeeds and discarded when
    it raises. :meth:`write` may run on another thread than the one that made the writer.

    Examples
    --------
    >>> with VideoWriter("maps.mp4", fps=25) as out:                # doctest: +SKIP
    ...     for frame in frames:
    ...         out.write(to_uint8(convolve(frame.pixels, sobel), "abs"))
    """

    def __init__(
        self,
        path: str | os.PathLike,
        fps: float,
        *,
        overwrite: bool = False,
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        p = os.fspath(path)
        self.path = p
        self.container, self.fourcc = video_write_format(p)
        if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating)):
            raise VideoError(f"A frame rate is a number, not {fps!r}.")
        if not (math.isfinite(fps) and 0 < fps <= MAX_FPS):
            raise VideoError(f"A frame rate must be above 0 and at most {MAX_FPS:g}, not {fps!r}.")
        check_target(p, overwrite=overwrite, error=VideoError)
        self.fps = float(fps)
        self._before_commit = before_commit
        self._cv = None
        #: ``(width, height)`` of the frames given, and as stored (even); None before a frame.
        self.frame_size: tuple[int, int] | None = None
        self.stored_size: tuple[int, int] | None = None
        self.frames_written = 0
        self._bgr: np.ndarray | None = None
        self._atomic = atomic_write(p, overwrite=overwrite)
        try:
            self._tmp = self._atomic.__enter__()
        except OSError as exc:
            raise _write_error(p, exc) from None
        self._open = True

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    def _start(self, width: int, height: int) -> None:
        import cv2

        quiet_video_logs()
        stored = even_size(width, height)
        fourcc = cv2.VideoWriter_fourcc(*self.fourcc)
        writer = cv2.VideoWriter(self._tmp, cv2.CAP_FFMPEG, fourcc, self.fps, stored, True)
        if not writer.isOpened():
            writer.release()
            raise VideoError(
                f"Cannot write {display_name(self.path)}: OpenCV could not start its {self.fourcc} "
                f"encoder for frames of {stored[0]} x {stored[1]}."
            )
        self._cv = writer
        self.frame_size = (width, height)
        self.stored_size = stored

    def write(self, pixels: np.ndarray) -> None:
        """Append one frame: ``(H, W)`` or ``(H, W, 3)`` uint8, RGB."""
        if not self._open:
            raise VideoError(f"{display_name(self.path)} is already closed.")
        arr = np.asarray(pixels)
        if arr.dtype != np.uint8 or not (
            arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (1, 3))
        ):
            raise VideoError(
                f"A video frame is (H, W) or (H, W, 3) 8-bit; this one is {arr.dtype} "
                f"{tuple(arr.shape)}."
            )
        height, width = arr.shape[:2]
        if width < 1 or height < 1:
            raise VideoError("An empty frame (no rows or no columns) cannot be written.")
        if self._cv is None:
            self._start(width, height)
        elif (width, height) != self.frame_size:
            w0, h0 = self.frame_size
            raise VideoError(
                f"Every frame of {display_name(self.path)} must be {w0} x {h0}; this one is "
                f"{width} x {height}."
            )
        # One BGR buffer per writer, reused: OpenCV's encoder copies what it is given.
        self._bgr = _as_bgr(pad_to_even(arr), self._bgr)
        self._cv.write(self._bgr)
        self.frames_written += 1

    def _check_written(self) -> None:
        from .capture import VideoFileSource

        if self.frames_written == 0:
            raise VideoError(f"Cannot write {display_name(self.path)}: no frame was given.")
        try:
            with VideoFileSource(self._tmp) as back:
                count, size = back.frame_count, back.size
        except VideoError:
            count, size = None, None
        if size != self.stored_size or count is None or abs(count - self.frames_written) > 1:
            raise VideoError(
                f"Cannot write {display_name(self.path)}: the encoded file does not read back as "
                f"{self.frames_written} frames (is the disk full?)."
            )

    def commit(self) -> None:
        """Finish the file, read it back, and put it in place of the target."""
        if not self._open:
            raise VideoError(f"{display_name(self.path)} is already closed.")
        try:
            self._release()
            self._check_written()
            if self._before_commit is not None:
                self._before_commit()
        except BaseException:
            self.discard()
            raise
        self._open = False
        try:
            self._atomic.__exit__(None, None, None)
        except OSError as exc:
            raise _write_error(self.path, exc) from None

    def discard(self) -> None:
        """Drop the temporary file; the target stays as it was. Safe to call twice."""
        self._release()
        if self._open:
            self._open = False
            self._atomic.__exit__(_Discarded, _Discarded(), None)

    def _release(self) -> None:
        self._bgr = None
        writer, self._cv = self._cv, None
        if writer is not None:
            writer.release()
