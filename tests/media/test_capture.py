"""VideoFileSource: frames as SPEC.md reads pictures, checked containers, sizes and seeking."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from clips import clip_frames, decode_rgb, make_clip, write_clip

from filterstudio.media.capture import VideoFileSource
from filterstudio.media.containers import VideoError
from filterstudio.media.frames import Frame, FrameSource


def read_all(source) -> list[Frame]:
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    return frames


def test_a_lossless_clip_reads_back_exactly_as_float_rgb(tmp_path):
    frames = clip_frames(12, 40, 30)
    path = write_clip(tmp_path / "clip.mkv", frames, fps=30)
    with VideoFileSource(path) as source:
        assert isinstance(source, FrameSource)
        assert (source.size, source.fps, source.frame_count) == ((40, 30), 30.0, 12)
        assert (source.live, source.can_seek) == (False, True)
        got = read_all(source)
    assert [f.index for f in got] == list(range(12))
    for frame, rgb in zip(got, frames):
        assert frame.pixels.dtype == np.float32 and frame.pixels.shape == (30, 40, 3)
        assert not frame.pixels.flags.writeable
        # 8-bit divided by 255, red first (OpenCV decodes blue first: converted).
        np.testing.assert_array_equal(frame.pixels, rgb.astype(np.float32) / np.float32(255))
    assert got[6].timestamp == pytest.approx(6 / 30, abs=1e-3)


def test_pure_red_is_the_first_channel(tmp_path):
    red = np.zeros((16, 16, 3), np.uint8)
    red[..., 0] = 255
    path = write_clip(tmp_path / "red.mkv", [red] * 2)
    with VideoFileSource(path) as source:
        pixels = source.read().pixels
    assert pixels[..., 0].min() == 1.0 and pixels[..., 1:].max() == 0.0


def test_lossy_clips_read_as_opencv_decodes_them(tmp_path):
    path = make_clip(tmp_path / "clip.mp4", count=8)
    expected = decode_rgb(path)
    with VideoFileSource(path) as source:
        got = read_all(source)
    assert len(got) == len(expected) == 8
    for frame, rgb in zip(got, expected):
        np.testing.assert_array_equal(frame.pixels * 255, rgb.astype(np.float32))


def test_seek_returns_the_frame_a_reader_from_the_start_sees(tmp_path):
    path = make_clip(tmp_path / "clip.mp4", count=20)
    with VideoFileSource(path) as source:
        frames = read_all(source)
        source.seek(13)
        again = source.read()
        with pytest.raises(ValueError, match="20 frames"):
            source.seek(20)
        with pytest.raises(ValueError, match="whole number"):
            source.seek(-1)
    assert again.index == 13
    np.testing.assert_array_equal(again.pixels, frames[13].pixels)


@pytest.mark.parametrize(("name", "fourcc", "kind"), [("clip.mov", "mp4v", "MOV"),
                                                     ("clip.webm", "VP80", "WebM")])
def test_mov_and_webm_are_read_too(tmp_path, name, fourcc, kind):
    path = make_clip(tmp_path / name, count=5, fourcc=fourcc)
    expected = decode_rgb(path)
    with VideoFileSource(path) as source:
        assert source.container.name == kind
        got = read_all(source)
    assert len(got) == len(expected) == 5
    np.testing.assert_array_equal(got[4].pixels * 255, expected[4].astype(np.float32))


def test_the_content_decides_not_the_name(tmp_path):
    clip = make_clip(tmp_path / "clip.mkv", count=3)
    renamed = tmp_path / "clip.mp4"
    os.rename(clip, renamed)
    with VideoFileSource(renamed) as source:
        assert source.container.name == "MKV"
        assert len(read_all(source)) == 3


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(40), "is a PNG picture file, not a video"),
        (b"#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:9/a.ts\n", "is a playlist"),
        (os.urandom(4096), "is not a video"),
    ],
)
def test_files_that_are_not_listed_videos_never_reach_opencv(tmp_path, content, said):
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoError, match=said):
        VideoFileSource(path)


def test_a_clip_cut_before_its_index_cannot_be_opened(tmp_path):
    path = make_clip(tmp_path / "clip.mp4", count=12)
    data = Path(path).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])  # OpenCV writes the MP4 index at the end
    with pytest.raises(VideoError, match="damaged or cut short"):
        VideoFileSource(cut)


def test_a_clip_cut_short_ends_early_and_says_so_by_its_count(tmp_path):
    path = make_clip(tmp_path / "clip.avi", count=12)
    data = Path(path).read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    with VideoFileSource(cut) as source:
        frames = read_all(source)
        assert source.frame_count == 12
        assert source.frames_read == len(frames) < 12


def test_frames_above_the_pixel_limit_are_refused_before_decoding(tmp_path):
    path = make_clip(tmp_path / "clip.mp4", count=2, width=64, height=48)
    with pytest.raises(VideoError, match="64 x 48 = 3,072 pixels"):
        VideoFileSource(path, max_pixels=3000)


def test_only_regular_files_are_opened(tmp_path):
    fifo = tmp_path / "clip.mp4"
    os.mkfifo(fifo)
    with pytest.raises(VideoError, match="named pipe"):
        VideoFileSource(fifo)
    with pytest.raises(VideoError, match="a folder"):
        VideoFileSource(tmp_path)
    with pytest.raises(VideoError, match="There is no file"):
        VideoFileSource(tmp_path / "missing.mp4")


def test_closed_sources_read_nothing(tmp_path):
    source = VideoFileSource(make_clip(tmp_path / "clip.mp4", count=3))
    source.close()
    source.close()
    assert source.read() is None
