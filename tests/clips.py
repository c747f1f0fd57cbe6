"""Small generated video clips for the tests, written with OpenCV's own VideoWriter.

No camera and no stored video files are needed: every clip is made on the spot, in the test's
temporary folder. Frames are smooth moving patterns, so lossy codecs lose little of them.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

# FFmpeg's own lines about the damaged clips some tests make stay off the test output; OpenCV
# reads this once, at its first video open, which may be here (the studio sets it the same way).
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

#: Codecs the tests write, by extension: (fourcc, lossless).
CODECS = {".mp4": ("mp4v", False), ".avi": ("MJPG", False), ".mkv": ("FFV1", True)}


def clip_frames(count: int = 36, width: int = 64, height: int = 48) -> list[np.ndarray]:
    """``count`` smooth 8-bit RGB frames of a moving pattern, each different."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    frames = []
    for i in range(count):
        r = 128 + 100 * np.sin(x / 7 + i / 5)
        g = 128 + 100 * np.cos(y / 5 - i / 7)
        b = 128 + 90 * np.sin((x + y) / 9 + i / 3)
        frames.append(np.clip(np.stack([r, g, b], axis=2), 0, 255).round().astype(np.uint8))
    return frames


def write_clip(path, frames: list[np.ndarray], fps: float = 24.0, fourcc: str | None = None) -> str:
    """Write RGB ``frames`` to ``path`` with OpenCV (codec from the extension unless named)."""
    path = str(path)
    if fourcc is None:
        fourcc = CODECS[path[path.rfind(".") :].lower()][0]
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*fourcc), fps,
                             (width, height))
    assert writer.isOpened(), f"OpenCV cannot write {fourcc} to {path}"
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def make_clip(path, count: int = 36, width: int = 64, height: int = 48, fps: float = 24.0,
              fourcc: str | None = None, distinct: int | None = None) -> str:
    """A clip of ``count`` frames; with ``distinct``, that many frames repeated (faster)."""
    frames = clip_frames(min(count, distinct or count), width, height)
    return write_clip(path, [frames[i % len(frames)] for i in range(count)], fps, fourcc)


def decode_rgb(path) -> list[np.ndarray]:
    """Every frame of ``path`` as 8-bit RGB, decoded by OpenCV directly (the yardstick)."""
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


def stated_fps(path) -> float:
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    fps = cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    return fps


def shown_frames(qtbot, win, n: int, timeout: int = 15000) -> list:
    """The next ``n`` (or more) frames whose maps are all shown; the window plays meanwhile."""
    got = []
    win.playback.frameShown.connect(got.append)
    try:
        qtbot.waitUntil(lambda: len(got) >= n, timeout=timeout)
    finally:
        win.playback.frameShown.disconnect(got.append)
    return got
