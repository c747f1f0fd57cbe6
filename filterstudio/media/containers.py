"""Which video container a file holds, judged by its first bytes, before any decoder sees it.

Only the containers listed here are ever handed to OpenCV's FFmpeg reader, and FFmpeg is then
told to use that container's reader alone (see :mod:`filterstudio.media.capture`): FFmpeg would
otherwise open anything it recognises, playlists and network addresses included. A file whose
name ends in a video extension but holds something else is refused with one sentence that names
what it holds when that is well known (a picture, another kind of video, a playlist...).

This module imports nothing heavy, so the command line can ask "is this a video?" cheaply.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

__all__ = [
    "CONTAINERS",
    "SNIFF_VIDEO_BYTES",
    "VIDEO_EXTENSIONS",
    "Container",
    "VideoError",
    "looks_like_video",
    "sniff_container",
    "sniff_video",
    "video_refusal",
]


class VideoError(ValueError):
    """A video that cannot be read or written; the message is one sentence."""


@dataclass(frozen=True)
class Container:
    """A listed container: the name people use and FFmpeg's reader for it."""

    name: str
    demuxer: str


#: The containers the studio reads, by the name shown to people.
CONTAINERS = {
    "MP4": Container("MP4", "mov"),
    "MOV": Container("MOV", "mov"),
    "AVI": Container("AVI", "avi"),
    "MKV": Container("MKV", "matroska"),
    "WebM": Container("WebM", "matroska"),
}
#: File names ending in these are videos to the command line (the content still decides).
VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm")
_SPOKEN = "MP4, MOV, AVI, MKV or WebM"
#: How many leading bytes :func:`sniff_container` looks at.
SNIFF_VIDEO_BYTES = 256

# ISO media brands that are pictures or sound, not video (an ISO file starts with 'ftyp').
_STILL_BRANDS = {
    b"heic": "a HEIC picture",
    b"heix": "a HEIC picture",
    b"heim": "a HEIC picture",
    b"heis": "a HEIC picture",
    b"mif1": "a HEIF picture",
    b"msf1": "a HEIF picture",
    b"avif": "an AVIF picture",
    b"avis": "an AVIF picture",
    b"crx ": "a Canon raw photo",
    b"M4A ": "an AAC sound",
    b"M4B ": "an AAC sound",
    b"M4P ": "an AAC sound",
}
# Boxes an old QuickTime file (written before 'ftyp' existed) starts with.
_QUICKTIME_BOXES = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")

# Well-known things that are not a listed video, named in the refusal.
_OTHER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"#EXTM3U", "a playlist (M3U/HLS)"),
    (b"[playlist]", "a playlist (PLS)"),
    (b"ffconcat", "an FFmpeg concat list"),
    (b"<?xml", "an XML document (a DASH or other playlist)"),
    (b"v=0", "a stream description (SDP)"),
    (b"FLV\x01", "a Flash video (FLV)"),
    (b"OggS", "an Ogg"),
    (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "a Windows Media (ASF/WMV)"),
    (b".RMF", "a RealMedia"),
    (b"\x00\x00\x01\xba", "an MPEG program stream (MPG/VOB)"),
    (b"\x00\x00\x01\xb3", "an MPEG video stream"),
    (b"ID3", "an MP3 sound"),
    (b"fLaC", "a FLAC sound"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"#!", "a script"),
    (b"%PDF", "a PDF"),
)


def sniff_container(head: bytes) -> Container | None:
    """The listed container whose signature ``head`` (a file's first bytes) starts with."""
    box = head[4:8]
    if box == b"ftyp":
        brand = head[8:12]
        if brand in _STILL_BRANDS or len(head) < 12:
            return None
        return CONTAINERS["MOV"] if brand == b"qt  " else CONTAINERS["MP4"]
    if box in _QUICKTIME_BOXES and int.from_bytes(head[:4], "big") not in range(2, 8):
        # A box's size is 0 (to the end), 1 (a 64-bit size follows) or at least its header.
        return CONTAINERS["MOV"]
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return CONTAINERS["AVI"]
    if head[:4] == b"\x1a\x45\xdf\xa3":
        # The EBML header names its document type: 'webm' or 'matroska'.
        return CONTAINERS["WebM"] if b"webm" in head[:64] else CONTAINERS["MKV"]
    return None


def _other_kind(head: bytes) -> str | None:
    for signature, name in _OTHER_SIGNATURES:
        if head.startswith(signature):
            return name
    if head[4:8] == b"ftyp":
        return _STILL_BRANDS.get(head[8:12])
    if head[:4] == b"RIFF":
        kind = head[8:12]
        if kind == b"WAVE":
            return "a WAV sound"
        if kind == b"WEBP":
            return "a WebP picture"
        return "a RIFF file of another kind"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "an MPEG transport stream (TS)"
    from ..core.formats import sniff_bytes  # light: no decoder is loaded

    picture = sniff_bytes(head)
    if picture is not None:
        return f"a {'WebP' if picture == 'WEBP' else picture} picture"
    return None


def video_refusal(name: str, head: bytes) -> str:
    """The sentence that refuses a would-be video whose first bytes are ``head``."""
    if not head:
        return f"{name} is empty (0 bytes), so it holds no video."
    other = _other_kind(head)
    if other is not None:
        return f"{name} is {other} file, not a video Filter Studio reads ({_SPOKEN})."
    return f"{name} is not a video Filter Studio can read ({_SPOKEN})."


def sniff_video(head: bytes, name: str = "The data") -> Container:
    """The listed container ``head`` starts with, or :class:`VideoError` with a sentence.

    Examples
    --------
    >>> sniff_video(b"\\x00\\x00\\x00\\x1cftypisom" + bytes(20)).name
    'MP4'
    >>> sniff_video(b"RIFF\\x00\\x00\\x00\\x00AVI LIST").demuxer
    'avi'
    """
    found = sniff_container(head)
    if found is None:
        raise VideoError(video_refusal(name, head))
    return found


def looks_like_video(path: str | os.PathLike) -> bool:
    """Whether the command line should treat ``path`` as a video rather than a picture.

    True when the name ends in a video extension (:data:`VIDEO_EXTENSIONS`), or when the path is
    a regular file whose first bytes are a listed container. Never blocks (a pipe or device is
    not opened) and never raises: anything unreadable is left to the picture reader's sentence.
    """
    try:
        p = os.fsdecode(os.fspath(path))
    except TypeError:
        return False
    if os.path.splitext(p)[1].lower() in VIDEO_EXTENSIONS:
        return True
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        if not stat.S_ISREG(os.stat(p).st_mode):
            return False
        fd = os.open(p, flags)
    except (OSError, ValueError):
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        head = os.read(fd, 64)
    except OSError:
        return False
    finally:
        os.close(fd)
    return sniff_container(head) is not None
