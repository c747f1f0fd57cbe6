"""Cameras: CameraSource reads one through OpenCV, list_cameras() finds them without hanging.

Probing a camera index opens a device, which on some systems takes long or never returns (a
driver waiting for hardware); :func:`list_cameras` therefore probes on a thread of its own and
gives up at a deadline. On Linux only the ``/dev/video*`` nodes that exist are probed, so a
machine without a camera answers at once.
"""

from __future__ import annotations

import glob
import math
import re
import sys
import threading
import time
from dataclasses import dataclass

from .containers import VideoError
from .frames import Frame, SourceBase, bgr_to_pixels
from .opencv import MAX_FRAME_PIXELS, capture_params, next_bgr, quiet_video_logs

__all__ = ["CameraInfo", "CameraSource", "list_cameras"]

#: How long a camera may take to open, and to deliver one frame.
CAMERA_OPEN_MS = 5_000
CAMERA_READ_MS = 5_000


@dataclass(frozen=True)
class CameraInfo:
    """A camera OpenCV can open: its index (what :class:`CameraSource` takes) and a name."""

    index: int
    name: str


def _backend() -> int:
    import cv2

    if sys.platform.startswith("linux"):
        return cv2.CAP_V4L2
    if sys.platform == "darwin":
        return cv2.CAP_AVFOUNDATION
    if sys.platform == "win32":
        return cv2.CAP_MSMF
    return cv2.CAP_ANY


def _open(index: int):
    import cv2

    quiet_video_logs()
    return cv2.VideoCapture(int(index), _backend(), capture_params(CAMERA_OPEN_MS, CAMERA_READ_MS))


class CameraSource(SourceBase):
    """Frames from camera ``index`` (0 is the first), as :class:`Frame`, until closed.

    ``frame_count`` is None and ``live`` is True: frames arrive at the camera's pace, and a
    consumer that cannot keep up should read through
    :class:`~filterstudio.media.latest.LatestFrameReader`. A camera that stops delivering makes
    :meth:`read` return None after its read timeout.

    Raises
    ------
    VideoError
        No camera at ``index``, or one whose frames are larger than ``max_pixels``.
    """

    live = True
    can_seek = False
    frame_count = None

    def __init__(self, index: int = 0, *, max_pixels: int = MAX_FRAME_PIXELS) -> None:
        import cv2

        self.index = int(index)
        cap = _open(self.index)
        try:
            if not cap.isOpened():
                raise VideoError(f"There is no camera {self.index} that can be opened.")
            width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
            height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            if width <= 0 or height <= 0 or width * height > max_pixels:
                raise VideoError(
                    f"Camera {self.index} gives frames of {width} x {height}, which Filter "
                    "Studio does not read."
                )
        except BaseException:
            cap.release()
            raise
        self.size = (width, height)
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        self.fps = fps if math.isfinite(fps) and fps > 0 else None
        self._cap = cap
        self._next = 0
        self._started = time.monotonic()

    def read(self) -> Frame | None:
        bgr = next_bgr(self._cap)
        if bgr is None:
            return None
        if bgr.shape[1::-1] != self.size:  # the camera switched modes: follow it
            self.size = (int(bgr.shape[1]), int(bgr.shape[0]))
        frame = Frame(self._next, time.monotonic() - self._started, bgr_to_pixels(bgr))
        self._next += 1
        return frame

    def close(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()


def _linux_candidates() -> list[tuple[int, str]]:
    found = []
    for node in glob.glob("/dev/video*"):
        m = re.fullmatch(r"/dev/video(\d+)", node)
        if not m:
            continue
        index = int(m.group(1))
        name = f"Camera {index}"
        try:
            with open(f"/sys/class/video4linux/video{index}/name", encoding="utf-8") as f:
                name = f.read(200).strip() or name
        except (OSError, UnicodeDecodeError):
            pass
        found.append((index, name))
    return sorted(found)


def list_cameras(max_index: int = 8, *, timeout: float = 3.0) -> list[CameraInfo]:
    """The cameras OpenCV can open, probed quickly; ``[]`` when there is none.

    Parameters
    ----------
    max_index : int
        Indices ``0 .. max_index - 1`` are candidates (on Linux, only those with a device node).
    timeout : float
        Seconds after which probing stops; cameras found so far are returned.

    Returns
    -------
    list of CameraInfo
        In index order. Never raises for a missing or busy camera.
    """
    if sys.platform.startswith("linux"):
        candidates = [(i, n) for i, n in _linux_candidates() if i < max_index]
    else:
        candidates = [(i, f"Camera {i}") for i in range(max_index)]
    if not candidates:
        return []
    found: list[CameraInfo] = []
    lock = threading.Lock()

    def probe() -> None:
        for index, name in candidates:
            try:
                cap = _open(index)
                try:
                    ok = cap.isOpened()
                finally:
                    cap.release()
            except Exception:  # noqa: BLE001 - a camera that fails to open is not listed
                ok = False
            if ok:
                with lock:
                    found.append(CameraInfo(index, name))

    # A daemon thread: a driver that never answers cannot keep the program from ending.
    worker = threading.Thread(target=probe, name="camera-probe", daemon=True)
    worker.start()
    worker.join(max(0.0, float(timeout)))
    with lock:
        return sorted(found, key=lambda c: c.index)


