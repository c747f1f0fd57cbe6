"""Moving pictures without Qt: frame sources (files, cameras, generated), a video writer, pipelines.

``FrameSource`` is what the studio and the command line read frames from: ``VideoFileSource``
(a video file, through OpenCV), ``CameraSource`` (a camera) and ``FakeSource`` (generated frames,
for tests). ``LatestFrameReader`` reads one on a thread and keeps only the newest frame for a
live view; ``transcode`` runs decode, filter and encode on three threads; ``VideoWriter`` writes
8-bit frames atomically. Names are imported on first use, so asking whether a file is a video
loads no decoder.
"""

from __future__ import annotations

from ..lazy import lazy_attributes

_LAZY = {
    "Frame": "frames",
    "FrameSource": "frames",
    "VideoError": "containers",
    "VIDEO_EXTENSIONS": "containers",
    "looks_like_video": "containers",
    "sniff_video": "containers",
    "VideoFileSource": "capture",
    "CameraSource": "camera",
    "CameraInfo": "camera",
    "list_cameras": "camera",
    "FakeSource": "fake",
    "LatestFrameReader": "latest",
    "VideoWriter": "writer",
    "WRITE_FORMATS": "writer",
    "transcode": "transcode",
    "MAX_FRAME_PIXELS": "opencv",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_attributes(globals(), _LAZY)
