"""MapRecorder: maps into videos on a thread of its own, through their display mapping, atomically."""

from __future__ import annotations

import errno
import os
import threading

import numpy as np
import pytest
from clips import decode_rgb, stated_fps

from filterstudio.core.display import to_uint8
from filterstudio.media.containers import VideoError
from filterstudio.media.recorder import QUEUE_FRAMES, MapRecorder, RecordedMap
from filterstudio.media.writer import VideoWriter

rng = np.random.default_rng(8)


def _maps(n: int, shape=(12, 16)) -> list[np.ndarray]:
    out = []
    for _ in range(n):
        values = rng.normal(size=shape).astype(np.float32)
        values.setflags(write=False)
        out.append(values)
    return out


def _leftovers(folder) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.startswith("."))


def test_each_map_goes_into_its_own_video_through_its_mapping(tmp_path):
    a_maps, b_maps = _maps(5), _maps(5, shape=(12, 16, 3))
    targets = {"a": tmp_path / "a.mkv", "b": tmp_path / "b.mkv"}
    recorder = MapRecorder(targets, 12.0)
    for a, b in zip(a_maps, b_maps):
        while not recorder.add([RecordedMap("a", a, "abs", "viridis"), RecordedMap("b", b, "clip")]):
            pass  # the queue holds a few frames; wait for the encoder
    kept = recorder.stop()
    assert sorted(kept) == sorted(str(p) for p in targets.values())
    assert recorder.error is None and recorder.frames_recorded == 5
    got_a, got_b = decode_rgb(targets["a"]), decode_rgb(targets["b"])
    assert len(got_a) == len(got_b) == 5 and stated_fps(targets["a"]) == pytest.approx(12.0)
    for got, values in zip(got_a, a_maps):  # FFV1 is lossless: exactly the panel's picture
        np.testing.assert_array_equal(got, to_uint8(values, "abs", colormap="viridis"))
    for got, values in zip(got_b, b_maps):
        np.testing.assert_array_equal(got, to_uint8(values, "clip"))
    assert _leftovers(tmp_path) == []


def test_a_target_that_cannot_be_written_is_refused_before_anything_is_made(tmp_path):
    (tmp_path / "taken.mp4").write_bytes(b"mine")
    with pytest.raises(VideoError, match="already exists"):
        MapRecorder({"a": tmp_path / "new.mp4", "b": tmp_path / "taken.mp4"}, 25)
    with pytest.raises(VideoError, match="does not exist"):
        MapRecorder({"a": tmp_path / "nowhere" / "a.mp4"}, 25)
    with pytest.raises(VideoError, match="not a video format"):
        MapRecorder({"a": tmp_path / "a.png"}, 25)
    assert sorted(os.listdir(tmp_path)) == ["taken.mp4"]
    assert (tmp_path / "taken.mp4").read_bytes() == b"mine"


def test_a_failing_disk_discards_every_video_and_says_so_once(tmp_path, monkeypatch):
    ended = threading.Event()
    real_write = VideoWriter.write
    calls = {"n": 0}

    def write(self, pixels):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, pixels)

    monkeypatch.setattr(VideoWriter, "write", write)
    targets = {"a": tmp_path / "a.mp4", "b": tmp_path / "b.mp4"}
    recorder = MapRecorder(targets, 25, on_end=ended.set)
    for values in _maps(4):
        recorder.add([RecordedMap("a", values), RecordedMap("b", values)])
    assert ended.wait(10)
    assert not recorder.running
    assert recorder.error is not None and "space" in recorder.error.lower()
    assert not recorder.add([RecordedMap("a", _maps(1)[0])])
    assert recorder.stop() == []
    assert os.listdir(tmp_path) == []  # nothing half-written, no temporary file


def test_a_map_that_changes_size_ends_the_recording_and_keeps_what_was_recorded(tmp_path):
    ended = threading.Event()
    recorder = MapRecorder({"a": tmp_path / "a.mkv"}, 10, on_end=ended.set)
    for values in _maps(3) + _maps(2, shape=(6, 8)):
        recorder.add([RecordedMap("a", values, "offset")])
    assert ended.wait(10)
    assert "changed size" in recorder.note and recorder.error is None
    assert recorder.stop() == [str(tmp_path / "a.mkv")]
    assert len(decode_rgb(tmp_path / "a.mkv")) == 3
    assert _leftovers(tmp_path) == []


def test_a_slow_encoder_never_makes_frames_wait_in_memory_beyond_a_few(tmp_path, monkeypatch):
    gate = threading.Event()
    real_write = VideoWriter.write

    def slow_write(self, pixels):
        gate.wait(10)
        real_write(self, pixels)

    monkeypatch.setattr(VideoWriter, "write", slow_write)
    recorder = MapRecorder({"a": tmp_path / "a.mp4"}, 25)
    taken = sum(recorder.add([RecordedMap("a", v)]) for v in _maps(QUEUE_FRAMES + 6))
    assert taken <= QUEUE_FRAMES + 1  # the one being written, and those waiting
    assert recorder.frames_skipped == QUEUE_FRAMES + 6 - taken
    gate.set()
    assert recorder.stop() == [str(tmp_path / "a.mp4")]
    assert recorder.frames_recorded == taken


def test_stopping_without_keeping_leaves_nothing(tmp_path):
    recorder = MapRecorder({"a": tmp_path / "a.mp4"}, 25)
    for values in _maps(3):
        recorder.add([RecordedMap("a", values)])
    assert recorder.stop(keep=False) == []
    assert os.listdir(tmp_path) == []


def test_nothing_recorded_keeps_no_file(tmp_path):
    recorder = MapRecorder({"a": tmp_path / "a.mp4"}, 25)
    assert recorder.stop() == []
    assert os.listdir(tmp_path) == []
