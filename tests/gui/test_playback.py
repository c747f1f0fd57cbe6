"""Moving pictures in the real window, through the scripting surface: video files (generated
clips) and the camera path (a live FakeSource): frames through every map, newest first, edits at
once, pause/step/seek, Use This Frame, Space, drops, and nothing of old frames kept."""

from __future__ import annotations

import gc
import os
import sys
import weakref

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from filterstudio.core.pipeline import apply_bank_filter
from filterstudio.media.fake import FakeSource
from filterstudio.model.bank import Bank, Filter, Layer

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
from clips import make_clip, shown_frames  # noqa: E402

WAIT = 15000  # ms: a bound never reached when things work


def _bank(win, n: int = 2) -> None:
    filters = tuple(Filter(f"f{i}", np.arange(9.0).reshape(3, 3) * (i + 1) - 4) for i in range(n))
    win.controller.load_state(Bank(filters, Layer()))


def _exact(win, state, index: int = 0) -> np.ndarray:
    f = win.bank.filters[index]
    return apply_bank_filter(state.pixels, f, win.bank.layer)


def test_a_file_like_source_plays_through_every_map_exactly(qtbot, window):
    _bank(window)
    source = FakeSource(size=(40, 30), fps=100, count=60)
    window.open_frame_source(source, "fake.mp4")
    assert window.is_playing() and window.transport.toolbar.isVisible()
    frames = shown_frames(qtbot, window, 3)
    state = frames[-1]
    assert state.frame is not None and state.name == "fake.mp4"
    if window.controller.image is state:  # the next frame may be on its way already
        np.testing.assert_array_equal(window.map_values(0), _exact(window, state, 0))
        np.testing.assert_array_equal(window.map_values(1), _exact(window, state, 1))
    np.testing.assert_array_equal(state.pixels, source.pixels_at(state.frame))
    assert [s.frame for s in frames] == sorted(s.frame for s in frames)
    qtbot.waitUntil(window.playback.has_ended, timeout=WAIT)
    assert not window.is_playing()
    assert window.frames_shown() + window.frames_dropped() <= 60
    assert window.frames_shown() >= 3
    assert window.transport.bar.rate_text().startswith("end")
    last = window.controller.image
    assert last.frame == 59  # the last frame is always shown
    qtbot.waitUntil(window.is_current, timeout=WAIT)
    np.testing.assert_array_equal(window.map_values(0), _exact(window, last, 0))


def test_a_generated_clip_plays_and_seeks_and_a_broken_file_is_one_sentence(qtbot, window, tmp_path):
    _bank(window, 1)
    clip = make_clip(tmp_path / "clip.avi", count=12, width=48, height=32, fps=50)
    assert window.open_video(clip)
    assert window.transport.bar.position_text() == "" or "frame" in window.transport.bar.position_text()
    qtbot.waitUntil(window.playback.has_ended, timeout=WAIT)
    assert window.controller.image.pixels.shape == (32, 48, 3)
    for index in (9, 7, 5):  # a slider dragged back: the frame it stops at is shown
        assert window.seek_frame(index)
    qtbot.waitUntil(lambda: window.controller.image.frame == 5, timeout=WAIT)
    qtbot.waitUntil(window.is_current, timeout=WAIT)
    assert window.controller.image.frame == 5  # and no frame after it
    qtbot.waitUntil(window.is_current, timeout=WAIT)
    assert window.transport.bar.position_text() == "frame 6 / 12"
    np.testing.assert_array_equal(window.map_values(0), _exact(window, window.controller.image))
    window.play()  # from frame 6 on
    assert window.is_playing()
    qtbot.waitUntil(window.playback.has_ended, timeout=WAIT)
    errors: list[str] = []
    window.dialogs.errorShown.connect(errors.append)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(200))
    assert not window.open_video(broken)
    assert len(errors) == 1 and errors[0].endswith(".") and "broken.mp4" in errors[0]
    assert "\n" not in errors[0] and "Traceback" not in errors[0]
    picture = tmp_path / "picture.mp4"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert not window.open_video(picture)
    assert len(errors) == 2 and "PNG" in errors[1]


def test_the_camera_path_plays_live_pauses_steps_and_counts_what_it_drops(qtbot, window):
    _bank(window)
    source = FakeSource(size=(32, 24), fps=200, count=None, live=True, can_seek=False)
    window.open_frame_source(source, "Camera 0")
    shown_frames(qtbot, window, 5)
    assert window.is_playing() and window.playback.is_live()
    assert not window.transport.bar.slider().isVisible()  # a camera cannot seek
    qtbot.waitUntil(lambda: window.playback_rate() > 0, timeout=WAIT)
    assert window.playback.source_rate() > 0
    window.pause()
    assert not window.is_playing() and window.transport.bar.play_text() == "Play"
    qtbot.waitUntil(window.is_current, timeout=WAIT)
    shown = window.controller.image.frame
    window.step_frame()
    qtbot.waitUntil(lambda: window.controller.image.frame > shown, timeout=WAIT)
    assert not window.is_playing()
    window.play()
    shown_frames(qtbot, window, 3)
    assert window.frames_dropped() > 0  # 200 frames/s: the window shows fewer
    assert window.seek_frame(0) is False  # one sentence: a camera cannot seek


def test_a_kernel_edit_during_playback_reaches_the_next_frame_at_once(qtbot, window):
    _bank(window, 1)
    window.open_frame_source(FakeSource(size=(32, 24), fps=60, count=None, live=True,
                                        can_seek=False), "Camera 0")  # fmt: skip
    shown_frames(qtbot, window, 2)
    new = np.array([[0, 0, 0], [0, 2, 0], [0, 0, 0]], np.float32)
    window.set_kernel(0, new)
    # The very next frame whose maps are all shown is computed with the new kernel.
    state = shown_frames(qtbot, window, 1)[0]
    if window.controller.image is state:
        np.testing.assert_array_equal(window.map_values(0), _exact(window, state))
        np.testing.assert_array_equal(window.bank.filters[0].kernel, new)
    window.pause()
    qtbot.waitUntil(window.is_current, timeout=WAIT)
    np.testing.assert_array_equal(window.map_values(0), _exact(window, window.controller.image))
    window.controller.undo_stack.undo()  # the edit is an ordinary undoable edit
    qtbot.waitUntil(window.is_current, timeout=WAIT)
    assert not np.array_equal(window.bank.filters[0].kernel, new)


def test_a_slow_map_does_not_freeze_the_video(qtbot, window):
    _bank(window, 1)
    engine = window.controller.worker.engine
    slow = {"on": True}

    def slow_engine(*args, **kwargs):
        if slow["on"]:
            import time

            time.sleep(0.6)  # far past the first deadline (a quarter of a second)
        return engine(*args, **kwargs)

    window.controller.worker.engine = slow_engine
    window.open_frame_source(FakeSource(size=(16, 12), fps=100, count=None, live=True,
                                        can_seek=False), "Camera 0")  # fmt: skip
    frames = []
    window.playback.positionChanged.connect(frames.append)
    qtbot.waitUntil(lambda: len(frames) >= 3, timeout=WAIT)  # frames go on, at the deadline
    assert window.frames_shown() < len(frames)  # handed over before their maps were all shown
    # The deadline grows past the map's time, so the slow map is shown again.
    shown_frames(qtbot, window, 1)
    slow["on"] = False
    window.close_video()


def test_use_this_frame_goes_on_with_it_as_a_still_picture(qtbot, window):
    _bank(window, 1)
    source = FakeSource(size=(40, 30), fps=100, count=None, live=True, can_seek=False)
    window.open_frame_source(source, "clip.mp4")
    state = shown_frames(qtbot, window, 2)[-1]
    window.pause()
    qtbot.waitUntil(window.is_current, timeout=WAIT)
    shown = window.controller.image
    assert window.use_frame()
    assert not window.playback.is_open() and not window.transport.toolbar.isVisible()
    still = window.controller.image
    assert still is not shown and still.frame is None
    assert still.name == f"clip frame {shown.frame + 1}"
    np.testing.assert_array_equal(still.pixels, source.pixels_at(shown.frame))
    qtbot.waitUntil(window.is_current, timeout=WAIT)
    np.testing.assert_array_equal(window.map_values(0), _exact(window, still))
    assert state.frame <= shown.frame


def test_another_picture_stops_the_frames(qtbot, window):
    _bank(window, 1)
    window.open_frame_source(FakeSource(size=(32, 24), fps=100, count=None, live=True,
                                        can_seek=False), "Camera 0")  # fmt: skip
    shown_frames(qtbot, window, 1)
    window.open_sample("checkerboard")
    assert not window.playback.is_open()
    assert window.controller.image.frame is None
    qtbot.waitUntil(window.is_current, timeout=WAIT)


def test_space_in_the_picture_or_a_map_plays_and_pauses_but_not_in_the_lesson(qtbot, window):
    _bank(window, 1)
    window.open_frame_source(FakeSource(size=(32, 24), fps=100, count=None, live=True,
                                        can_seek=False), "Camera 0")  # fmt: skip
    shown_frames(qtbot, window, 1)
    view = window.input_panel.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert not window.is_playing()
    qtbot.keyClick(window.panel(0).view, Qt.Key.Key_Space)
    assert window.is_playing()
    # The lesson keeps its own Space: it plays the lesson, not the video.
    window.tabs.setCurrentWidget(window.lesson)
    window.lesson.setFocus()
    was = window.lesson.is_playing()
    qtbot.keyClick(window.lesson, Qt.Key.Key_Space)
    assert window.is_playing() and window.lesson.is_playing() != was
    window.lesson.pause()
    # No window shortcut is bound to Space: buttons and lists keep it.
    for action in window.actions.actions.values():
        assert all(k.toString() != "Space" for k in action.shortcuts())


def test_a_video_dropped_on_a_view_plays(qtbot, window, tmp_path):
    _bank(window, 1)
    clip = make_clip(tmp_path / "dropped.mkv", count=6, width=32, height=24, fps=30)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(clip))])
    target = window.panel(0).view.viewport()
    assert target in window.loader.drop_targets()
    # Offscreen no real drag can be made: the event goes where Qt would send it.
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    assert window.loader.eventFilter(target, event)
    qtbot.waitUntil(window.playback.is_open, timeout=WAIT)
    assert window.playback.name() == "dropped.mkv"
    qtbot.waitUntil(lambda: window.controller.image is not None
                    and window.controller.image.frame is not None, timeout=WAIT)  # fmt: skip


def test_frames_do_not_outlive_the_next_ones(qtbot, window):
    """Each frame's picture, maps and display copies go when later frames replace them."""
    _bank(window, 2)
    window.open_frame_source(FakeSource(size=(64, 48), fps=1000, count=None, live=True,
                                        can_seek=False), "Camera 0")  # fmt: skip
    refs = []

    def keep(state) -> None:
        refs.append(weakref.ref(state))
        for k in range(2):
            res = window.controller.result(window.bank.filters[k].uid)
            refs.append(weakref.ref(res))

    window.playback.frameShown.connect(keep)
    shown_frames(qtbot, window, 40)
    window.playback.frameShown.disconnect(keep)
    shown_frames(qtbot, window, 3)
    gc.collect()
    alive = [r for r in refs if r() is not None]
    assert len(alive) <= 3 * 2  # at most the frame on screen and the one before
    window.close_video()
    assert window.controller.worker.cached_uids() <= {f.uid for f in window.bank.filters}


@pytest.mark.parametrize("all_maps", [False, True])
def test_recording_writes_the_maps_of_the_frames_shown(qtbot, window, tmp_path, all_maps):
    from clips import decode_rgb

    _bank(window, 2)
    window.controller.set_display("abs")
    source = FakeSource(size=(34, 26), fps=100, count=None, live=True, can_seek=False)
    window.open_frame_source(source, "Camera 0")
    shown_frames(qtbot, window, 1)
    target = tmp_path if all_maps else tmp_path / "map.mkv"
    assert window.start_recording(target, all_maps=all_maps, fmt="mkv")
    assert window.recording.is_recording()
    shown = shown_frames(qtbot, window, 4)
    qtbot.waitUntil(lambda: window.recording.frames_recorded() >= 3, timeout=WAIT)
    kept = window.stop_recording()
    assert not window.recording.is_recording()
    names = sorted(os.path.basename(p) for p in kept)
    assert names == (["f0.mkv", "f1.mkv"] if all_maps else ["map.mkv"])
    frames = decode_rgb(kept[0])
    assert len(frames) >= 3 and frames[0].shape[:2] == (24, 32)  # the map's size, 3x3 valid
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []
    assert shown  # maps of shown frames, 8-bit through the panel's mapping
    window.close_video()


def test_recording_refuses_in_one_sentence(qtbot, window, tmp_path):
    errors: list[str] = []
    window.dialogs.errorShown.connect(errors.append)
    assert not window.start_recording(tmp_path / "a.mp4")  # nothing plays
    window.open_frame_source(FakeSource(size=(16, 12), fps=50, count=None, live=True,
                                        can_seek=False), "Camera 0")  # fmt: skip
    assert not window.start_recording(tmp_path / "missing" / "a.mp4")
    assert not window.start_recording(tmp_path / "a.png")
    assert len(errors) == 3 and all(e.endswith(".") and "\n" not in e for e in errors)
    assert os.listdir(tmp_path) == []
    window.close_video()


def test_the_video_bar_follows_the_playback_through_presentation_mode(qtbot, window):
    bar = window.transport.toolbar
    window.set_presentation(True)
    window.open_frame_source(FakeSource(size=(40, 30), fps=30, count=None, live=True), "camera")
    assert bar.isVisible()
    window.tabs.setCurrentWidget(window.lesson)  # the lesson's room, then the Studio again
    window.tabs.setCurrentIndex(0)
    window.set_presentation(False)  # the arrangement from before the video is put back
    qtbot.waitUntil(bar.isVisible, timeout=WAIT)
    qtbot.wait(50)
    assert bar.isVisible()
    window.set_presentation(True)
    window.close_video()
    window.set_presentation(False)
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=WAIT)
