"""Small files that lie: each claims far more than it holds, or is not what its name says.

Built byte by byte so that each is a few hundred bytes on disk; shared by the tests of the
readers (core), the files (model) and the command line.
"""

from __future__ import annotations

import io
import struct
import threading
import zipfile
import zlib

import numpy as np
from PIL import Image

# ---------------------------------------------------------------------------------------------
# Pictures that claim a huge size


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int, *, depth: int = 8, colour: int = 0) -> bytes:
    """A PNG whose header says ``width`` x ``height`` over one short row of pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def gif_claiming(screen_w: int, screen_h: int, frame_w: int = 2, frame_h: int = 2,
                 left: int = 0, top: int = 0) -> bytes:
    """A GIF with a ``screen_w`` x ``screen_h`` logical screen and one small frame."""
    head = b"GIF89a" + struct.pack("<HHBBB", screen_w, screen_h, 0x80, 0, 0)
    palette = b"\x00\x00\x00\xff\xff\xff"
    image = b"\x2c" + struct.pack("<HHHHB", left, top, frame_w, frame_h, 0)
    data = b"\x02\x02\x44\x01\x00"  # LZW minimum code size 2, one tiny block
    return head + palette + image + data + b"\x3b"


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header (SOF0) is rewritten to ``width`` x ``height``."""
    buf = io.BytesIO()
    Image.new("L", (8, 8), 128).save(buf, format="JPEG")
    data = bytearray(buf.getvalue())
    at = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, at + 5, height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """A WebP (extended format) whose canvas is ``width`` x ``height`` (at most 16384 a side)."""
    vp8x = b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(
        3, "little"
    )
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x
    return b"RIFF" + struct.pack("<I", len(body)) + body


def bmp_claiming(width: int, height: int) -> bytes:
    """A BMP whose header says ``width`` x ``height`` at 24 bits over a few bytes of pixels."""
    header = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    pixels = b"\x00" * 64
    offset = 14 + len(header)
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + header + pixels


def tiff(entries: list[tuple[int, int, int, int]], pixels: bytes = b"\x00" * 64,
         *, big_endian: bool = False) -> bytes:
    """A one-directory TIFF from ``(tag, type, count, value)`` entries, written as given.

    Entries are not sorted or deduplicated, so a directory can name a tag twice. Tag 273
    (strip offsets) with value -1 is filled in with the offset of ``pixels``.
    """
    order = ">" if big_endian else "<"
    head = (b"MM\x00*" if big_endian else b"II*\x00") + struct.pack(order + "I", 8)
    ifd_size = 2 + 12 * len(entries) + 4
    data_offset = 8 + ifd_size
    ifd = struct.pack(order + "H", len(entries))
    for tag, typ, count, value in entries:
        if value == -1:
            value = data_offset
        if typ == 3 and count == 1:
            packed = struct.pack(order + "HH", value, 0)
        else:
            packed = struct.pack(order + "I", value)
        ifd += struct.pack(order + "HHI", tag, typ, count) + packed
    ifd += struct.pack(order + "I", 0)
    return head + ifd + pixels


def tiff_with_duplicated_size(first: int, last: int, *, samples: int = 1, bits: int = 8) -> bytes:
    """A TIFF naming width and height twice: ``first`` x ``first`` then ``last`` x ``last``.

    libtiff (OpenCV) takes the first pair, Pillow the last.
    """
    entries = [
        (256, 4, 1, first),
        (256, 3, 1, last),
        (257, 4, 1, first),
        (257, 3, 1, last),
        (258, 3, 1, bits),
        (259, 3, 1, 1),
        (262, 3, 1, 1 if samples == 1 else 2),
        (273, 4, 1, -1),
        (277, 3, 1, samples),
        (278, 4, 1, last),
        (279, 4, 1, last * last * samples * bits // 8),
    ]
    if samples == 3 and bits == 32:
        entries.append((339, 3, 1, 3))  # float samples: Pillow cannot hold RGB float
    # The pixels of the smaller size at most: the file stays small whatever it claims.
    return tiff(entries, pixels=b"\x00" * min(first, last) ** 2 * samples * (bits // 8))


def tiff_claiming(width: int, height: int, *, samples: int = 1, bits: int = 8,
                  rows_per_strip: int | None = None) -> bytes:
    """A TIFF whose one directory says ``width`` x ``height`` over a few bytes of pixels."""
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, bits),
        (259, 3, 1, 1),
        (262, 3, 1, 1 if samples == 1 else 2),
        (273, 4, 1, -1),
        (277, 3, 1, samples),
        (278, 4, 1, rows_per_strip if rows_per_strip is not None else height),
        (279, 4, 1, 64),
    ]
    if samples == 3 and bits == 32:
        entries.append((339, 3, 1, 3))
    return tiff(entries)


# ---------------------------------------------------------------------------------------------
# Files of other formats, to be named as pictures


def postscript_loop() -> bytes:
    """A PostScript program that never ends: Ghostscript, if it ever ran it, would hang."""
    return b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n{ } loop\nshowpage\n"


def dos_eps() -> bytes:
    """A DOS EPS binary header wrapping a looping PostScript program."""
    ps = postscript_loop()
    return b"\xc5\xd0\xd3\xc6" + struct.pack("<IIIIII", 30, len(ps), 0, 0, 0, 0) + b"\xff\xff" + ps


OTHER_FORMATS: dict[str, bytes] = {
    "PostScript": postscript_loop(),
    "EPS": dos_eps(),
    "PDF": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    "Photoshop": b"8BPS\x00\x01" + bytes(6) + struct.pack(">HIIHH", 3, 10, 10, 8, 3) + bytes(64),
    "ICO": b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00" + bytes(64),
    "PPM": b"P6\n4 4\n255\n" + bytes(48),
    "JPEG 2000": b"\x00\x00\x00\x0cjP  \r\n\x87\n" + bytes(64),
    "SVG": b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
    "text": b"just some words, not a picture\n",
    "random": bytes(range(7, 200)),
}
"""Non-listed formats (and non-pictures) by name: each must be refused, whatever its extension."""


# ---------------------------------------------------------------------------------------------
# NumPy files


def npy_header_claiming(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    """A .npy file whose header claims ``shape`` over no data at all."""
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue()


def npz_bomb(shape: tuple[int, ...], name: str = "weight") -> bytes:
    """A small .npz whose member inflates to an array of ``shape`` (float32 zeros)."""
    n = int(np.prod(shape)) * 4
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": shape}
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf, zf.open(
        f"{name}.npy", "w", force_zip64=True
    ) as member:
        member.write(header.getvalue())
        block = bytes(1 << 20)
        for _ in range(n // len(block)):
            member.write(block)
        member.write(bytes(n % len(block)))
    return out.getvalue()


def in_time(call, seconds: float = 5.0):
    """Run ``call`` in a thread; fail (not hang) if it does not return within ``seconds``."""
    result: dict = {}

    def run():
        try:
            result["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the call blocked"
    if "error" in result:
        raise result["error"]
    return result.get("value")
