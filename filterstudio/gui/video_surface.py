"""The window's moving-picture methods: the scripting surface (docs/SCRIPTING.md), Open Video….

The main window takes these methods as a base class; each hands the call to its ``playback``
(gui.playback) or ``recording`` (gui.recording) part, so the window keeps no video logic.
"""

from __future__ import annotations

import os

from ..media.containers import VIDEO_EXTENSIONS
from ..media.frames import FrameSource

VIDEO_FILTER = f"Videos ({' '.join('*' + ext for ext in VIDEO_EXTENSIONS)});;All files (*)"


class VideoScripting:
    """Methods of the main window for videos, cameras and recording."""

    playback: object
    recording: object
    dialogs: object
    document: object

    def open_video_dialog(self) -> None:
        """File > Open Video…: ask for a video file, then play it."""
        path = self.document.ask_open_path("Open Video", VIDEO_FILTER)
        if path:
            self.playback.open_video(path)

    def open_video(self, path: str | os.PathLike, *, wait: bool = True) -> bool:
        """Open a video file and play it through every map; with ``wait`` return once it is
        open (True) or refused (False, after its sentence)."""
        return self.playback.open_video(path, wait=wait)

    def open_camera(self, index: int = 0, *, wait: bool = True) -> bool:
        """Show camera ``index``'s frames through every map, live."""
        return self.playback.open_camera(index, wait=wait)

    def open_frame_source(self, source: FrameSource, name: str = "frames") -> None:
        """Play any ``FrameSource`` (a ``FakeSource`` in tests); the window owns it from now."""
        self.playback.open_source(source, name)

    def play(self) -> None:
        self.playback.play()

    def pause(self) -> None:
        self.playback.pause()

    def step_frame(self) -> None:
        """Pause, and show the next frame."""
        self.playback.step()

    def seek_frame(self, index: int) -> bool:
        """Show frame ``index`` of a video file (0 is the first)."""
        return self.playback.seek(index)

    def use_frame(self, *, wait: bool = True) -> bool:
        """Stop, and go on with the frame on screen as the still picture."""
        return self.playback.use_frame(wait=wait)

    def close_video(self) -> None:
        """Stop the video or camera; the frame on screen stays."""
        self.playback.close()

    def is_playing(self) -> bool:
        return self.playback.is_playing()

    def playback_rate(self) -> float:
        """Frames whose maps were all shown, per second (over the last two seconds)."""
        return self.playback.playback_rate()

    def frames_dropped(self) -> int:
        """Frames read but never shown with all their maps."""
        return self.playback.frames_dropped()

    def frames_shown(self) -> int:
        """Frames whose maps were all shown since the source was opened."""
        return self.playback.frames_shown()

    def start_recording(
        self, path: str | os.PathLike, *, all_maps: bool = False, fmt: str = "mp4",
        overwrite: bool = False,
    ) -> bool:  # fmt: skip
        """Record the selected map into the video ``path``, or every map into the folder
        ``path`` (``all_maps``, ``fmt`` videos), from the next frame shown."""
        return self.recording.start(path, all_maps=all_maps, fmt=fmt, overwrite=overwrite)

    def stop_recording(self) -> list[str]:
        """Stop recording and put the videos in place; returns their paths."""
        return self.recording.stop()
