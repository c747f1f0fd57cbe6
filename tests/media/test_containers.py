"""Video containers are recognised by their first bytes, and everything else is named and refused."""

from __future__ import annotations

import os

import pytest
from clips import make_clip

from filterstudio.media.containers import (
    VideoError,
    looks_like_video,
    sniff_container,
    sniff_video,
    video_refusal,
)


@pytest.mark.parametrize(
    ("ext", "fourcc", "name", "demuxer"),
    [
        (".mp4", "mp4v", "MP4", "mov"),
        (".mov", "mp4v", "MOV", "mov"),
        (".avi", "MJPG", "AVI", "avi"),
        (".mkv", "FFV1", "MKV", "matroska"),
    ],
)
def test_clips_written_by_opencv_are_recognised(tmp_path, ext, fourcc, name, demuxer):
    path = make_clip(tmp_path / f"clip{ext}", count=2, fourcc=fourcc)
    with open(path, "rb") as f:
        found = sniff_video(f.read(256))
    assert (found.name, found.demuxer) == (name, demuxer)


def test_webm_is_told_from_mkv_by_its_document_type():
    ebml = b"\x1a\x45\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\xf3\x81\x08B\x82\x84"
    assert sniff_container(ebml + b"webm" + bytes(16)).name == "WebM"
    assert sniff_container(ebml + b"matroska" + bytes(16)).name == "MKV"


def test_old_quicktime_files_without_ftyp_are_mov():
    assert sniff_container(b"\x00\x00\x00\x08wide" + bytes(24)).name == "MOV"
    assert sniff_container(b"\x00\x00\x00\x05moov" + bytes(24)) is None  # a size below 8


@pytest.mark.parametrize(
    ("head", "said"),
    [
        (b"#EXTM3U\n#EXTINF:10,\nhttp://example.com/a.ts\n", "a playlist (M3U/HLS)"),
        (b"ffconcat version 1.0\nfile 'a.mp4'\n", "an FFmpeg concat list"),
        (b"\x89PNG\r\n\x1a\n" + bytes(24), "a PNG picture"),
        (b"\xff\xd8\xff\xe0" + bytes(28), "a JPEG picture"),
        (b"\x00\x00\x00\x18ftypheic" + bytes(20), "a HEIC picture"),
        (b"\x00\x00\x00\x18ftypM4A " + bytes(20), "an AAC sound"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(20), "a WAV sound"),
        (b"FLV\x01\x05" + bytes(20), "a Flash video (FLV)"),
        (b"OggS" + bytes(28), "an Ogg"),
        ((b"\x47" + bytes(187)) * 2, "an MPEG transport stream (TS)"),
        (b"\x00\x00\x01\xba" + bytes(28), "an MPEG program stream"),
    ],
)
def test_other_kinds_are_named_in_one_sentence(head, said):
    assert sniff_container(head) is None
    with pytest.raises(VideoError) as info:
        sniff_video(head, "'x.mp4'")
    text = str(info.value)
    assert text.startswith("'x.mp4' is ") and said in text and text.endswith(".")
    assert "MP4, MOV, AVI, MKV or WebM" in text


def test_unknown_and_empty_files_are_refused():
    assert video_refusal("'x.mp4'", b"") == "'x.mp4' is empty (0 bytes), so it holds no video."
    assert "is not a video Filter Studio can read" in video_refusal("'x.mp4'", b"hello world")


def test_a_video_is_known_by_its_name_or_its_content(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", count=2)
    renamed = tmp_path / "clip.dat"
    os.rename(clip, renamed)
    assert looks_like_video(renamed)
    assert looks_like_video(tmp_path / "missing.mkv")  # the name says so; opening will explain
    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(24))
    assert not looks_like_video(picture)
    assert not looks_like_video(tmp_path / "missing.png")


def test_looking_at_a_pipe_never_blocks(tmp_path):
    fifo = tmp_path / "stream"
    os.mkfifo(fifo)
    assert not looks_like_video(fifo)  # returns at once: a pipe is not opened
