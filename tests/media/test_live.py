"""The live path without a camera: FakeSource behind the same interface, newest-wins reading."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from filterstudio.media.camera import CameraInfo, CameraSource, list_cameras
from filterstudio.media.containers import VideoError
from filterstudio.media.fake import FakeSource
from filterstudio.media.frames import FrameSource
from filterstudio.media.latest import LatestFrameReader

WAIT = 10.0  # seconds: a generous bound that is never reached when things work


def test_a_fake_source_is_a_frame_source_with_the_asked_for_shape():
    source = FakeSource(size=(20, 10), fps=50, count=4)
    assert isinstance(source, FrameSource)
    frames = [source.read() for _ in range(5)]
    assert frames[4] is None
    assert [f.index for f in frames[:4]] == [0, 1, 2, 3]
    assert [f.timestamp for f in frames[:4]] == [0.0, 0.02, 0.04, 0.06]
    pixels = frames[2].pixels
    assert pixels.shape == (10, 20, 3) and pixels.dtype == np.float32
    assert not pixels.flags.writeable and 0 <= pixels.min() and pixels.max() <= 1
    np.testing.assert_array_equal(pixels, source.pixels_at(2))
    assert not np.array_equal(frames[1].pixels, frames[2].pixels)


def test_a_camera_like_fake_has_no_end_and_cannot_seek():
    source = FakeSource(count=None, live=True, fps=500, can_seek=False)
    assert source.frame_count is None and source.live
    assert [source.read().index for _ in range(3)] == [0, 1, 2]
    with pytest.raises(ValueError, match="cannot seek"):
        source.seek(0)
    source.close()
    assert source.read() is None


def test_the_newest_frame_wins_and_older_ones_are_counted_as_dropped():
    reader = LatestFrameReader(FakeSource(count=50), pace=False)
    try:
        assert reader.wait_for_end(WAIT)
        frame = reader.take()
        assert frame.index == 49
        assert (reader.frames_read, reader.dropped, reader.frames_taken) == (50, 49, 1)
        assert reader.take() is None  # each frame is handed out once
        assert reader.at_end and reader.running  # waits for a seek
    finally:
        assert reader.close()
    assert not reader.running


def test_every_frame_is_taken_or_counted_as_dropped():
    reader = LatestFrameReader(FakeSource(count=20), pace=False)
    got = []
    while (frame := reader.wait(WAIT)) is not None:
        got.append(frame.index)
    reader.close()
    assert got[-1] == 19 and got == sorted(got)
    assert reader.dropped == 20 - len(got)


def test_pause_step_and_seek_run_on_the_reader_thread():
    reader = LatestFrameReader(FakeSource(count=30), pace=False)
    reader.pause()
    reader.wait(WAIT)  # whatever was read before the pause took effect
    reader.seek(10)
    reader.step()
    frame = reader.wait(WAIT)
    assert frame.index == 10
    reader.step()
    assert reader.wait(WAIT).index == 11
    assert reader.take() is None  # paused: nothing more is read
    reader.resume()
    assert reader.wait_for_end(WAIT)
    assert reader.take().index == 29
    with pytest.raises(ValueError, match="no frame 30"):
        reader.seek(30)
    reader.seek(0)  # after the end, a seek plays again
    assert reader.wait(WAIT) is not None
    reader.close()


def test_a_paced_video_is_not_delivered_faster_than_its_rate():
    source = FakeSource(count=6, fps=50)
    reader = LatestFrameReader(source)
    assert reader.pace
    start = time.monotonic()
    assert reader.wait_for_end(WAIT)
    # Frames 0..5 fall due 0.1 s after the first: pacing holds them back at least that long.
    assert time.monotonic() - start >= 0.09
    reader.close()


def test_a_live_source_through_the_reader_is_the_camera_path():
    calls = threading.Semaphore(0)
    source = FakeSource(count=None, live=True, fps=200, can_seek=False)
    reader = LatestFrameReader(source, on_frame=calls.release)
    assert not reader.pace  # a camera paces itself
    indices = []
    for _ in range(5):
        assert calls.acquire(timeout=WAIT)
        frame = reader.wait(WAIT)
        if frame is not None:
            indices.append(frame.index)
    assert indices == sorted(indices) and len(set(indices)) == len(indices)
    with pytest.raises(ValueError, match="cannot seek"):
        reader.seek(0)
    assert reader.close()
    assert source.read() is None  # the reader closed its source


def test_an_error_in_the_source_is_kept_for_the_consumer():
    class Failing(FakeSource):
        def read(self):
            frame = super().read()
            if frame is not None and frame.index == 3:
                raise VideoError("The video is damaged at frame 4.")
            return frame

    reader = LatestFrameReader(Failing(count=10), pace=False)
    assert reader.wait_for_end(WAIT)
    assert isinstance(reader.error, VideoError) and not reader.running
    assert reader.close()


def test_finding_cameras_never_hangs_and_lists_only_cameras():
    start = time.monotonic()
    found = list_cameras(timeout=2.0)
    assert time.monotonic() - start < 5.0
    assert all(isinstance(c, CameraInfo) for c in found)


def test_a_missing_camera_is_one_sentence():
    with pytest.raises(VideoError, match=r"^There is no camera 63 that can be opened\.$"):
        CameraSource(63)


def test_prepare_runs_on_the_reader_thread_and_its_result_is_handed_out():
    threads = set()

    def prepare(frame):
        threads.add(threading.current_thread().name)
        return ("prepared", frame.index)

    reader = LatestFrameReader(FakeSource(count=3), pace=False, prepare=prepare)
    assert reader.wait_for_end(WAIT)
    assert reader.has_frame
    assert reader.take() == ("prepared", 2)
    assert not reader.has_frame
    assert threads == {"frame-reader"}
    reader.close()


def test_a_paced_file_passes_over_the_frames_a_slow_consumer_would_only_drop():
    source = FakeSource(count=None, fps=200)  # a file-like source, paced at 200 frames/s
    reader = LatestFrameReader(source)
    taken = []
    try:
        for _ in range(12):  # a consumer ten times slower than the video
            frame = reader.wait(WAIT)
            taken.append(frame.index)
            time.sleep(0.05)
        assert reader.skipped > 0 and source.frames_skipped == reader.skipped
        # Skipped frames were never made; the dropped count has them, with those replaced.
        assert source.frames_read + source.frames_skipped >= taken[-1] + 1
        assert reader.dropped >= reader.skipped
        assert source.frames_read < taken[-1] / 2  # most frames were only passed over
        assert taken == sorted(taken) and len(set(taken)) == len(taken)
        # The video keeps its clock: about ten of its frames pass between two takes.
        assert 3 <= (taken[-1] - taken[1]) / (len(taken) - 2) <= 40
    finally:
        reader.close()


def test_a_slow_consumer_of_a_file_that_ends_gets_its_last_frame():
    source = FakeSource(count=30, fps=200)
    reader = LatestFrameReader(source)
    taken = []
    try:
        while (frame := reader.wait(WAIT)) is not None:
            taken.append(frame.index)
            time.sleep(0.04)  # a consumer eight times slower than the video
        assert reader.skipped > 0  # frames were passed over, never the last one
        assert taken[-1] == 29 and reader.at_end
    finally:
        reader.close()


def test_a_consumer_that_keeps_up_gets_every_frame_and_nothing_is_skipped():
    reader = LatestFrameReader(FakeSource(count=20, fps=25))  # slow enough for a loaded machine
    got = []
    while (frame := reader.wait(WAIT)) is not None:
        got.append(frame.index)
    reader.close()
    assert got == list(range(20)) and reader.skipped == 0


def test_a_live_source_is_never_skipped():
    source = FakeSource(count=None, live=True, fps=200, can_seek=False)
    reader = LatestFrameReader(source)
    try:
        for _ in range(6):
            assert reader.wait(WAIT) is not None
            time.sleep(0.03)
        assert reader.skipped == 0 and source.frames_skipped == 0 and reader.dropped > 0
    finally:
        reader.close()


def test_a_seek_that_shows_its_frame_while_paused_reads_that_frame_only():
    reader = LatestFrameReader(FakeSource(count=30), pace=False)
    reader.pause()
    reader.wait(WAIT)
    for index in (20, 15, 10):  # a slider dragged: only the last position counts
        reader.seek(index, show=True)
    assert reader.wait(WAIT).index == 10
    assert reader.wait(0.2) is None  # nothing after it while paused
    reader.close()
