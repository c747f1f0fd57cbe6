"""How the studio asks OpenCV's FFmpeg for video: one named reader, local files only, quiet, timed.

OpenCV's ``VideoCapture`` hands a file name to FFmpeg, which would pick a reader by probing the
content and the name, follow playlists and open network addresses. Here it is told, for each
file, which one reader to use (``input_format``) and that only the ``file`` protocol may be
opened (``protocol_whitelist``), through ``OPENCV_FFMPEG_CAPTURE_OPTIONS``, the one channel
OpenCV offers for FFmpeg options; the file is named by its open descriptor where the system has
``/proc/self/fd`` (so the path that was checked is the file that is read, and no name or
extension takes part in the choice). Opening and every read are bounded by OpenCV's FFmpeg
timeouts, and FFmpeg's own log lines are kept off stderr.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

__all__ = [
    "MAX_FPS",
    "MAX_FRAME_PIXELS",
    "OPEN_TIMEOUT_MS",
    "READ_TIMEOUT_MS",
    "capture_params",
    "next_bgr",
    "open_file_capture",
    "quiet_video_logs",
]

#: A frame with more pixels than this (4096 x 2304, a little over 4K UHD) is refused: one
#: decoded frame is then at most about 113 MB as float32 RGB, and the pipelines hold a few.
MAX_FRAME_PIXELS = 4096 * 2304
#: The highest frame rate a file may state (above it the figure is taken to be damaged).
MAX_FPS = 1000.0
#: How long FFmpeg may take to open a file, and to deliver one frame, before it gives up.
OPEN_TIMEOUT_MS = 10_000
READ_TIMEOUT_MS = 10_000

_OPTIONS_VARIABLE = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
_LOG_LEVEL_VARIABLE = "OPENCV_FFMPEG_LOGLEVEL"
_AV_LOG_QUIET = "-8"
# OpenCV reads its FFmpeg options from the environment at each open: one open at a time.
_options_lock = threading.Lock()


def quiet_video_logs() -> None:
    """Keep OpenCV's and FFmpeg's own lines about a damaged video off stderr.

    FFmpeg prints through its own logger, which OpenCV sets up once, at its first video open,
    from ``OPENCV_FFMPEG_LOGLEVEL``: so this is called before every open (a value the user set
    is kept). OpenCV's own log goes quiet as for pictures.
    """
    from ..core.imageio import quiet_decoder_logs

    os.environ.setdefault(_LOG_LEVEL_VARIABLE, _AV_LOG_QUIET)
    quiet_decoder_logs()


@contextlib.contextmanager
def _capture_options(text: str) -> Iterator[None]:
    with _options_lock:
        before = os.environ.get(_OPTIONS_VARIABLE)
        os.environ[_OPTIONS_VARIABLE] = text
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(_OPTIONS_VARIABLE, None)
            else:
                os.environ[_OPTIONS_VARIABLE] = before


def next_bgr(cap):
    """The next frame a ``VideoCapture`` gives (BGR), or None when it is closed or has none."""
    if cap is None:
        return None
    ok, bgr = cap.read()
    return bgr if ok and bgr is not None else None


def capture_params(open_ms: int = OPEN_TIMEOUT_MS, read_ms: int = READ_TIMEOUT_MS) -> list[int]:
    """``VideoCapture`` parameters: the two timeouts, and no hardware decoder (none is probed)."""
    import cv2

    return [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(open_ms),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(read_ms),
        cv2.CAP_PROP_HW_ACCELERATION, cv2.VIDEO_ACCELERATION_NONE,
    ]  # fmt: skip


def _descriptor_path(fd: int) -> str | None:
    path = f"/proc/self/fd/{fd}"
    try:
        return path if os.path.samestat(os.stat(path), os.fstat(fd)) else None
    except OSError:
        return None


def open_file_capture(fd: int, path: str, demuxer: str):
    """An OpenCV ``VideoCapture`` on the open regular file ``fd`` through FFmpeg's ``demuxer``.

    FFmpeg opens its own descriptor of the same file (``/proc/self/fd/N``; where the system has
    none, the absolute ``path``), so ``fd`` may be closed once this returns. The caller checks
    ``isOpened()``.
    """
    import cv2

    quiet_video_logs()
    target = _descriptor_path(fd) or os.path.abspath(path)
    with _capture_options(f"input_format;{demuxer}|protocol_whitelist;file"):
        return cv2.VideoCapture(target, cv2.CAP_FFMPEG, capture_params())
