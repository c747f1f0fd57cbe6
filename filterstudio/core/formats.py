"""Which picture format a file holds, judged by its first bytes, and TIFF headers read as libtiff does.

Only the formats the studio lists are ever handed to a decoder: :func:`sniff_format` names one of
them from the file's content (never from its extension) or refuses with one sentence, naming the
format when it is a well-known one the studio does not read (PostScript, PDF, Photoshop...).
The decoders are then told to accept that one format only, so no other Pillow plugin (such as
the PostScript one, which starts Ghostscript) can be reached.

:func:`tiff_layout` reads a TIFF's first directory the way libtiff does and refuses a directory
that names a tag twice: Pillow keeps the last of duplicated tags and libtiff the first, so such a
file would be judged by one decoder's size and decoded at the other's.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import BinaryIO

__all__ = [
    "LISTED_FORMATS",
    "PICTURE_EXTENSIONS",
    "PILLOW_PLUGINS",
    "ImageError",
    "TiffLayout",
    "refusal",
    "sniff_bytes",
    "sniff_format",
    "tiff_layout",
    "written_format",
]

#: The formats the studio reads, as Pillow names them, and the plugin that reads each.
PILLOW_PLUGINS = {
    "PNG": "PngImagePlugin",
    "JPEG": "JpegImagePlugin",
    "BMP": "BmpImagePlugin",
    "TIFF": "TiffImagePlugin",
    "WEBP": "WebPImagePlugin",
    "GIF": "GifImagePlugin",
}
LISTED_FORMATS = tuple(PILLOW_PLUGINS)
#: The file extensions of those formats (what the open dialog lists and a session may name).
PICTURE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif")
_SPOKEN = "PNG, JPEG, BMP, TIFF, WebP or GIF"
#: How many leading bytes :func:`sniff_bytes` needs.
SNIFF_BYTES = 32

# Formats the studio does not read, recognised only to name them in the refusal.
_OTHER_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%!PS", "a PostScript"),
    (0, b"\xc5\xd0\xd3\xc6", "an EPS (PostScript)"),
    (0, b"%PDF", "a PDF"),
    (0, b"8BPS", "a Photoshop (PSD)"),
    (0, b"\x00\x00\x01\x00", "a Windows icon (ICO)"),
    (0, b"\x00\x00\x02\x00", "a Windows cursor (CUR)"),
    (0, b"icns", "an Apple icon (ICNS)"),
    (0, b"\x00\x00\x00\x0cjP  ", "a JPEG 2000"),
    (0, b"\xff\x4f\xff\x51", "a JPEG 2000"),
    (0, b"\xff\x0a", "a JPEG XL"),
    (0, b"\x00\x00\x00\x0cJXL ", "a JPEG XL"),
    (0, b"qoif", "a QOI"),
    (0, b"DDS ", "a DirectDraw surface (DDS)"),
    (0, b"gimp xcf", "a GIMP (XCF)"),
    (0, b"#?RADIANCE", "a Radiance HDR"),
    (0, b"v/1\x01", "an OpenEXR"),
    (0, b"SIMPLE  =", "a FITS"),
    (0, b"\x59\xa6\x6a\x95", "a Sun raster"),
    (0, b"\x93NUMPY", "a NumPy array (.npy)"),
    (0, b"PK\x03\x04", "a ZIP archive"),
    (0, b"\x1f\x8b", "a gzip archive"),
    (0, b"\x7fELF", "a program"),
    (0, b"MZ", "a Windows program"),
    (0, b"#!", "a script"),
    (0, b"<svg", "an SVG drawing"),
    (0, b"<?xml", "an XML (or SVG)"),
)
_FTYP_BRANDS = {
    b"heic": "a HEIC",
    b"heix": "a HEIC",
    b"mif1": "a HEIF",
    b"msf1": "a HEIF",
    b"avif": "an AVIF",
    b"avis": "an AVIF",
}


class ImageError(ValueError):
    """A picture that cannot be read or a map that cannot be written; the message is one sentence.

    Defined here, below ``core.imageio`` (which re-exports it), so that format checks raise it.
    """


def sniff_bytes(head: bytes) -> str | None:
    """The listed format (Pillow's name) whose signature ``head`` starts with, else None."""
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if head[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if head[:2] == b"BM" and len(head) >= 18:
        return "BMP"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    return None


def _other_format(head: bytes) -> str | None:
    for offset, signature, name in _OTHER_SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return name
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12])
    if len(head) >= 2 and head[:1] == b"P" and head[1:2] in b"1234567" and head[2:3].isspace():
        return "a PNM (PBM/PGM/PPM)"
    return None


def written_format(
    path: str | os.PathLike, formats: dict, error: type[Exception], *, verb: str, kind: str
):
    """``formats[extension of path]``, or ``error`` with the sentence that lists the extensions.

    ``verb`` and ``kind`` word the sentence: "Cannot {verb} 'x.gif': '.gif' is not {kind} Filter
    Studio writes; use one of .png, ...".
    """
    p = os.fspath(path)
    ext = os.path.splitext(p)[1].lower()
    try:
        return formats[ext]
    except KeyError:
        name = repr(os.path.basename(p) or p)
        shown = repr(ext) if ext else "no extension"
        raise error(
            f"Cannot {verb} {name}: {shown} is not {kind} Filter Studio writes; "
            f"use one of {', '.join(formats)}."
        ) from None


def refusal(name: str, head: bytes) -> str:
    """The sentence that refuses a file whose first bytes are ``head``."""
    if not head:
        return f"{name} is empty (0 bytes), so it holds no picture."
    other = _other_format(head)
    if other is not None:
        return (
            f"{name} is {other} file, not a picture Filter Studio reads ({_SPOKEN}); "
            "convert it to one of those first."
        )
    return f"{name} is not a picture Filter Studio can read ({_SPOKEN})."


def sniff_format(source: str | os.PathLike | bytes | bytearray | memoryview) -> str:
    """The listed picture format a file or its first bytes hold, judged by content alone.

    Parameters
    ----------
    source : path or bytes
        A path to a regular file (its first bytes are read; a folder, pipe or device is refused
        without blocking), or the file's first bytes (at least 32 are best).

    Returns
    -------
    str
        Pillow's name of the format: ``"PNG"``, ``"JPEG"``, ``"BMP"``, ``"TIFF"``, ``"WEBP"``
        or ``"GIF"``.

    Raises
    ------
    ImageError
        Anything else, with one sentence (naming the format when it is a well-known one).

    Examples
    --------
    >>> sniff_format(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(24))
    'PNG'
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        head = bytes(source[:SNIFF_BYTES])
        name = "The data"
    else:
        from .userfile import display_name, open_user_file

        with open_user_file(source, max_bytes=None, what="picture", error=ImageError) as f:
            path = os.fsdecode(os.fspath(source))
            try:
                head = f.read(SNIFF_BYTES)
            except OSError as exc:
                reason = (exc.strerror or type(exc).__name__).rstrip(".").lower()
                raise ImageError(f"{display_name(path)} cannot be read: {reason}.") from None
        name = display_name(path)
    fmt = sniff_bytes(head)
    if fmt is None:
        raise ImageError(refusal(name, head))
    return fmt


# --------------------------------------------------------------------------------------------
# TIFF directories

_TAG_WIDTH, _TAG_HEIGHT, _TAG_BITS, _TAG_SAMPLES = 256, 257, 258, 277
_TAG_ROWS_PER_STRIP, _TAG_TILE_WIDTH, _TAG_TILE_HEIGHT = 278, 322, 323
#: Bytes per value of the TIFF field types that hold whole numbers.
_TYPE_SIZE = {1: 1, 3: 2, 4: 4, 16: 8}  # BYTE, SHORT, LONG, LONG8
_TYPE_CODE = {1: "B", 3: "H", 4: "I", 16: "Q"}
_MAX_ENTRIES = 4096


@dataclass(frozen=True)
class TiffLayout:
    """What a TIFF's first directory says about the pixels a decoder will allocate."""

    width: int
    height: int
    samples: int
    bits: int
    tile_width: int
    tile_height: int

    @property
    def decoded_bytes(self) -> int:
        """Bytes of the whole first page once decoded."""
        return self.width * self.height * self.samples * max(1, -(-self.bits // 8))

    @property
    def tile_bytes(self) -> int:
        """Bytes of one tile (or strip) a decoder holds while it reads."""
        return self.tile_width * self.tile_height * self.samples * max(1, -(-self.bits // 8))


class _Damaged(Exception):
    """The directory cannot be read (internal; callers turn it into their own sentence)."""


def tiff_layout(fp: BinaryIO) -> TiffLayout:
    """Read the first directory of the TIFF open in ``fp`` as libtiff reads it.

    Raises
    ------
    ValueError
        The directory is unreadable, names a tag twice, or lacks a width or height.
    """
    try:
        return _tiff_layout(fp)
    except _Damaged as exc:
        raise ValueError(str(exc)) from None
    except (struct.error, OverflowError, ValueError, OSError):  # offsets past the end, ...
        raise ValueError("its first directory is cut short or unreadable") from None


def _tiff_layout(fp: BinaryIO) -> TiffLayout:
    fp.seek(0)
    head = fp.read(16)
    order = "<" if head[:2] == b"II" else ">"
    big = struct.unpack(order + "H", head[2:4])[0] == 43
    if big:
        offset = struct.unpack(order + "Q", head[8:16])[0]
        count_code, entry_size, value_size, n_code = "Q", 20, 8, "Q"
    else:
        offset = struct.unpack(order + "I", head[4:8])[0]
        count_code, entry_size, value_size, n_code = "H", 12, 4, "I"
    fp.seek(offset)
    raw = fp.read(struct.calcsize(count_code))
    (count,) = struct.unpack(order + count_code, raw)
    if not 0 < count <= _MAX_ENTRIES:
        raise _Damaged("the first directory has no usable entries")
    table = fp.read(count * entry_size)
    if len(table) < count * entry_size:
        raise _Damaged("the first directory is cut short")
    seen: set[int] = set()
    values: dict[int, tuple[int, ...]] = {}
    for i in range(count):
        entry = table[i * entry_size : (i + 1) * entry_size]
        tag, typ = struct.unpack(order + "HH", entry[:4])
        (n,) = struct.unpack(order + n_code, entry[4 : 4 + struct.calcsize(n_code)])
        if tag in seen:
            raise _Damaged(f"its first directory names tag {tag} twice")
        seen.add(tag)
        if tag not in (_TAG_WIDTH, _TAG_HEIGHT, _TAG_BITS, _TAG_SAMPLES, _TAG_ROWS_PER_STRIP,
                       _TAG_TILE_WIDTH, _TAG_TILE_HEIGHT):
            continue
        size = _TYPE_SIZE.get(typ)
        if size is None or not 1 <= n <= 64:
            raise _Damaged(f"tag {tag} has an unusable type or count")
        inline = entry[entry_size - value_size :]
        if n * size <= value_size:
            data = inline[: n * size]
        else:
            (where,) = struct.unpack(order + ("Q" if big else "I"), inline)
            here = fp.tell()
            fp.seek(where)
            data = fp.read(n * size)
            fp.seek(here)
            if len(data) < n * size:
                raise _Damaged(f"tag {tag} points past the end of the file")
        values[tag] = struct.unpack(order + _TYPE_CODE[typ] * n, data)
    if _TAG_WIDTH not in values or _TAG_HEIGHT not in values:
        raise _Damaged("the first directory gives no width or height")
    width, height = values[_TAG_WIDTH][0], values[_TAG_HEIGHT][0]
    samples = values.get(_TAG_SAMPLES, (1,))[0]
    bits = max(values.get(_TAG_BITS, (1,)))
    if _TAG_TILE_WIDTH in values or _TAG_TILE_HEIGHT in values:
        tile_w = values.get(_TAG_TILE_WIDTH, (0,))[0]
        tile_h = values.get(_TAG_TILE_HEIGHT, (0,))[0]
    else:
        tile_w = width
        tile_h = min(values.get(_TAG_ROWS_PER_STRIP, (height,))[0], height)
    if min(width, height, samples, bits, tile_w, tile_h) < 1:
        raise _Damaged("a size in the first directory is zero")
    return TiffLayout(int(width), int(height), int(samples), int(bits), int(tile_w), int(tile_h))
