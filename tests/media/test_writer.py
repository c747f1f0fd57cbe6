"""VideoWriter: codec by extension, every row and column kept, nothing in place until complete."""

from __future__ import annotations

import os

import numpy as np
import pytest
from clips import clip_frames, decode_rgb, stated_fps

from filterstudio.media.containers import VideoError
from filterstudio.media.writer import VideoWriter, even_size, pad_to_even, video_write_format


def leftovers(folder) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.startswith("."))


@pytest.mark.parametrize(
    ("name", "container", "fourcc"),
    [("a.mp4", "MP4", "mp4v"), ("a.M4V", "MP4", "mp4v"), ("a.mov", "MOV", "mp4v"),
     ("a.avi", "AVI", "MJPG"), ("a.mkv", "MKV", "FFV1")],
)
def test_the_extension_picks_container_and_codec(name, container, fourcc):
    assert video_write_format(name) == (container, fourcc)


@pytest.mark.parametrize("name", ["a.webm", "a.png", "a"])
def test_other_extensions_are_refused_with_the_list(name):
    with pytest.raises(VideoError, match=r"use one of \.mp4, \.m4v, \.mov, \.avi, \.mkv\."):
        video_write_format(name)


@pytest.mark.parametrize("ext", [".mp4", ".avi", ".mkv"])
def test_frames_rate_and_size_are_kept(tmp_path, ext):
    path = tmp_path / f"out{ext}"
    frames = clip_frames(10, 48, 32)
    with VideoWriter(path, 12.5) as writer:
        for frame in frames:
            writer.write(frame)
    back = decode_rgb(path)
    assert len(back) == 10 and back[0].shape == (32, 48, 3)
    assert stated_fps(path) == pytest.approx(12.5, abs=1e-3)
    assert writer.frames_written == 10 and writer.stored_size == (48, 32)
    if ext == ".mkv":  # FFV1 is lossless
        for got, sent in zip(back, frames):
            np.testing.assert_array_equal(got, sent)


def test_odd_sizes_keep_every_cell_by_repeating_the_last_row_and_column(tmp_path):
    rng = np.random.default_rng(3)
    frames = [rng.integers(0, 256, (7, 9, 3), dtype=np.uint8) for _ in range(3)]
    path = tmp_path / "odd.mkv"
    with VideoWriter(path, 10) as writer:
        for frame in frames:
            writer.write(frame)
    assert (writer.frame_size, writer.stored_size) == ((9, 7), (10, 8))
    for got, sent in zip(decode_rgb(path), frames):
        assert got.shape == (8, 10, 3)
        np.testing.assert_array_equal(got[:7, :9], sent)
        np.testing.assert_array_equal(got[7, :9], sent[6])
        np.testing.assert_array_equal(got[:7, 9], sent[:, 8])


def test_even_size_and_padding_helpers():
    assert even_size(9, 7) == (10, 8) and even_size(10, 8) == (10, 8)
    square = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert pad_to_even(square).tolist() == [[0, 1, 2, 2], [3, 4, 5, 5]]
    even = np.zeros((4, 4), np.uint8)
    assert pad_to_even(even) is even


def test_grey_frames_become_grey_video(tmp_path):
    grey = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (8, 1))
    path = tmp_path / "grey.mkv"
    with VideoWriter(path, 5) as writer:
        writer.write(grey)
        writer.write(grey)
    got = decode_rgb(path)[0]
    for c in range(3):
        np.testing.assert_array_equal(got[:, :, c], grey)


def test_nothing_is_in_place_until_commit_and_discard_leaves_no_trace(tmp_path):
    path = tmp_path / "out.mp4"
    writer = VideoWriter(path, 24)
    writer.write(clip_frames(1)[0])
    assert not path.exists() and len(leftovers(tmp_path)) == 1
    writer.discard()
    writer.discard()
    assert os.listdir(tmp_path) == []


def test_an_existing_file_is_untouched_unless_overwriting_and_complete(tmp_path):
    path = tmp_path / "out.mp4"
    path.write_bytes(b"old")
    with pytest.raises(VideoError, match="already exists"):
        VideoWriter(path, 24)
    with pytest.raises(RuntimeError), VideoWriter(path, 24, overwrite=True) as writer:
        writer.write(clip_frames(1)[0])
        raise RuntimeError("stop")
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []
    with VideoWriter(path, 24, overwrite=True) as writer:
        writer.write(clip_frames(1)[0])
    assert len(decode_rgb(path)) == 1


def test_a_refused_report_puts_nothing_in_place(tmp_path):
    def refuse() -> None:
        raise OSError("stdout is gone")

    path = tmp_path / "out.avi"
    writer = VideoWriter(path, 24, before_commit=refuse)
    writer.write(clip_frames(1)[0])
    with pytest.raises(OSError, match="stdout is gone"):
        writer.commit()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("frame", "said"),
    [
        (np.zeros((8, 8, 3), np.float32), "8-bit"),
        (np.zeros((8, 8, 4), np.uint8), "8-bit"),
        (np.zeros((0, 8, 3), np.uint8), "empty frame"),
    ],
)
def test_frames_that_are_not_8_bit_pictures_are_refused(tmp_path, frame, said):
    writer = VideoWriter(tmp_path / "out.mp4", 24)
    with pytest.raises(VideoError, match=said):
        writer.write(frame)
    writer.discard()


def test_frames_of_another_size_are_refused(tmp_path):
    writer = VideoWriter(tmp_path / "out.mp4", 24)
    writer.write(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(VideoError, match="must be 8 x 8; this one is 6 x 8"):
        writer.write(np.zeros((8, 6, 3), np.uint8))
    writer.discard()


def test_an_empty_video_is_not_written(tmp_path):
    writer = VideoWriter(tmp_path / "out.mp4", 24)
    with pytest.raises(VideoError, match="no frame was given"):
        writer.commit()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("fps", [0, -5, float("nan"), float("inf"), 5000, True, "25"])
def test_frame_rates_must_be_sensible(tmp_path, fps):
    with pytest.raises(VideoError, match="frame rate"):
        VideoWriter(tmp_path / "out.mp4", fps)


def test_folders_are_checked_before_writing(tmp_path):
    with pytest.raises(VideoError, match="does not exist"):
        VideoWriter(tmp_path / "missing" / "out.mp4", 24)
    (tmp_path / "dir.mp4").mkdir()
    with pytest.raises(VideoError, match="it is a folder"):
        VideoWriter(tmp_path / "dir.mp4", 24)


def test_an_encoder_that_loses_frames_is_caught_by_the_read_back(tmp_path, monkeypatch):
    import cv2

    real = cv2.VideoWriter

    class Lossy:
        """OpenCV's writer that silently loses every other frame (as on a full disk)."""

        def __init__(self, *args):
            self.inner = real(*args)
            self.count = 0

        def isOpened(self):  # noqa: N802 - OpenCV's name
            return self.inner.isOpened()

        def write(self, frame):
            self.count += 1
            if self.count % 2:
                self.inner.write(frame)

        def release(self):
            self.inner.release()

    monkeypatch.setattr(cv2, "VideoWriter", Lossy)
    path = tmp_path / "out.mp4"
    path.write_bytes(b"old")
    writer = VideoWriter(path, 24, overwrite=True)
    for frame in clip_frames(6):
        writer.write(frame)
    with pytest.raises(VideoError, match="does not read back as 6 frames"):
        writer.commit()
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []
