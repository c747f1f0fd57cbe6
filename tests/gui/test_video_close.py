"""Closing the window while a video plays and its maps are recorded: threads end, the recording
is finished (or, when the program is told to stop, left out), and the program exits in seconds.

Each case runs the real program in a fresh interpreter, as a user would close it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

SCRIPT = textwrap.dedent(
    """
    import os, sys, threading
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    sys.path.insert(0, {tests!r})
    from clips import make_clip
    from PySide6.QtCore import QTimer
    from filterstudio.gui.app import create_app
    from filterstudio.gui.main_window import MainWindow
    from filterstudio.media.fake import FakeSource

    folder = {folder!r}
    app = create_app()
    win = MainWindow()
    win.show()
    if {camera}:
        win.open_frame_source(FakeSource(size=(48, 32), fps=200, count=None, live=True,
                                         can_seek=False), "Camera 0")
    else:
        assert win.open_video(make_clip(os.path.join(folder, "clip.mp4"), count=400,
                                        width=48, height=32, fps=200))
    def record():
        assert win.start_recording(os.path.join(folder, "maps.mkv"))
    def close():
        print("frames recorded", win.recording.frames_recorded(), flush=True)
        win.controller.mark_clean()
        if {forced}:
            win.close_without_asking()
        else:
            win.close()
    QTimer.singleShot(400, record)
    QTimer.singleShot(1400, close)
    app.exec()
    names = sorted(t.name for t in threading.enumerate() if t.is_alive())
    print("threads left", names, flush=True)
    """
)


@pytest.mark.parametrize(("camera", "forced"), [(True, False), (False, False), (True, True)])
def test_closing_during_playback_and_recording_is_clean_and_quick(tmp_path, camera, forced):
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = SCRIPT.format(tests=tests, folder=str(tmp_path), camera=camera, forced=forced)
    start = time.monotonic()
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=str(tmp_path))  # fmt: skip
    took = time.monotonic() - start
    assert run.returncode == 0, run.stderr
    assert "QThread" not in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert took < 20  # start, play 1.4 s, close: seconds, not a hang
    left = run.stdout.split("threads left")[1]
    assert "frame-reader" not in left and "map-recorder" not in left, run.stdout
    recorded = int(run.stdout.split("frames recorded")[1].split()[0])
    maps = tmp_path / "maps.mkv"
    assert recorded > 0, run.stdout
    if forced:  # told to stop: nothing half-done is kept
        assert not maps.exists()
    else:
        assert maps.exists() and maps.stat().st_size > 0
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []
