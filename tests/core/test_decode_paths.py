"""The two decoders agree: OpenCV's fast path gives exactly Pillow's array, file by file.

``load_image(path)`` lets OpenCV decode the JPEG and PNG kinds that ``fast_flags`` lists;
``load_image(path, decoder="pillow")`` decodes everything with Pillow. Every file below is read
both ways and the arrays must be equal bit for bit (SPEC "Pixels"), and a file OpenCV refuses
must get Pillow's own verdict.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps, PngImagePlugin

from filterstudio.core.cvdecode import fast_flags, to_unit_float, upright_view
from filterstudio.core.formats import SNIFF_BYTES
from filterstudio.core.imageio import ImageError, ImageTooLarge, load_image

RNG = np.random.default_rng(16)
RGB = RNG.integers(0, 256, (13, 17, 3), dtype=np.uint8)
# Smooth enough that JPEG keeps the structure; odd sizes catch a transposed width and height.
Y, X = np.mgrid[0:21, 0:34]
PHOTO = np.stack([X * 7, Y * 11, (X * Y) % 251], axis=2).astype(np.uint8)


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def _raw_png(width: int, height: int, depth: int, colour: int, idat: bytes, *, adam7=False) -> bytes:
    """A PNG laid out by hand: for what neither Pillow nor OpenCV writes."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, int(adam7))
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(idat))
            + _chunk(b"IEND", b""))


def _grey_alpha16(tmp_path) -> str:
    grey = RGB[:, :, 0].astype(">u2") * 257
    alpha = np.full_like(grey, 9000)
    rows = np.dstack([grey, alpha]).reshape(grey.shape[0], -1)
    idat = b"".join(b"\x00" + row.tobytes() for row in rows)
    path = tmp_path / "la16.png"
    path.write_bytes(_raw_png(grey.shape[1], grey.shape[0], 16, 4, idat))
    return os.fspath(path)


def _png(path, im: Image.Image, **options) -> str:
    im.save(path, format="PNG", **options)
    return os.fspath(path)


def _cv_png(path, arr: np.ndarray) -> str:
    assert cv2.imwrite(os.fspath(path), arr)
    return os.fspath(path)


def _grey_trns(tmp_path) -> str:
    im = Image.fromarray(RGB[:, :, 0])
    return _png(tmp_path / "grey_trns.png", im, transparency=17)


def _gamma(tmp_path) -> str:
    info = PngImagePlugin.PngInfo()
    info.add(b"gAMA", (45455).to_bytes(4, "big"))
    info.add(b"sBIT", bytes([5, 6, 5]))
    return _png(tmp_path / "gamma.png", Image.fromarray(RGB), pnginfo=info)


def _low_bits(tmp_path, bits: int) -> str:
    # Pillow writes 1-bit grey from mode "1"; 2- and 4-bit grey from "L" with the bits option.
    if bits == 1:
        return _png(tmp_path / "b1.png", Image.fromarray(RGB[:, :, 1] > 127))
    values = (RGB[:, :, 1] >> (8 - bits)).astype(np.uint8)
    return _png(tmp_path / f"b{bits}.png", Image.fromarray(values), bits=bits)


def _palette(tmp_path, transparency: bool) -> str:
    im = Image.fromarray(RGB).quantize(37)
    name = "pal_trns.png" if transparency else "pal.png"
    return _png(tmp_path / name, im, **({"transparency": 3} if transparency else {}))


PNG_FILES = {
    "grey8": lambda t: _png(t / "g8.png", Image.fromarray(RGB[:, :, 0])),
    "grey16": lambda t: _png(
        t / "g16.png", Image.fromarray(RGB[:, :, 0].astype(np.uint16) * 257 + 3)
    ),
    "grey_alpha8": lambda t: _png(t / "la.png", Image.fromarray(RGB[:, :, :2].copy(), "LA")),
    "grey_alpha16": _grey_alpha16,
    "rgb8": lambda t: _png(t / "rgb8.png", Image.fromarray(RGB)),
    "rgb16": lambda t: _cv_png(t / "rgb16.png", RGB.astype(np.uint16) * 259),
    "rgba8": lambda t: _png(
        t / "rgba8.png", Image.fromarray(np.dstack([RGB, RGB[:, :, 2]]), "RGBA")
    ),
    "rgba16": lambda t: _cv_png(
        t / "rgba16.png", np.dstack([RGB, RGB[:, :, :1]]).astype(np.uint16) * 257
    ),
    "palette": lambda t: _palette(t, False),
    "palette_trns": lambda t: _palette(t, True),
    "grey_trns": _grey_trns,
    "gamma_sbit": _gamma,
    "bits1": lambda t: _low_bits(t, 1),
    "bits2": lambda t: _low_bits(t, 2),
    "bits4": lambda t: _low_bits(t, 4),
}
# The kinds the fast path takes; the rest (16-bit colour, 16-bit grey with alpha) stay as before.
FAST_PNG = set(PNG_FILES) - {"rgb16", "rgba16", "grey_alpha16"}


def _exif_jpeg(path, arr: np.ndarray, orientation: int, **options) -> str:
    im = Image.fromarray(arr)
    exif = im.getexif()
    exif[0x0112] = orientation
    im.save(path, format="JPEG", exif=exif.tobytes(), **{"quality": 90, **options})
    return os.fspath(path)


def both(path) -> tuple[np.ndarray, np.ndarray]:
    fast, slow = load_image(path), load_image(path, decoder="pillow")
    assert fast.dtype == slow.dtype == np.float32
    assert fast.flags.c_contiguous and fast.flags.writeable
    return fast, slow


def head(path) -> bytes:
    with open(path, "rb") as f:
        return f.read(SNIFF_BYTES)


def mode_of(path) -> str:
    with Image.open(path) as im:
        return im.mode


@pytest.mark.parametrize("kind", sorted(PNG_FILES))
def test_png_both_ways(tmp_path, kind):
    path = PNG_FILES[kind](tmp_path)
    fast, slow = both(path)
    np.testing.assert_array_equal(fast, slow)
    taken = fast_flags("PNG", mode_of(path), head(path)) is not None
    assert taken == (kind in FAST_PNG), kind


def test_interlaced_png_both_ways(tmp_path):
    # Neither Pillow nor OpenCV writes Adam7 interlacing: the seven passes are laid out here.
    passes = [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2),
              (1, 0, 2, 1)]
    idat = b""
    for y0, x0, dy, dx in passes:
        sub = RGB[y0::dy, x0::dx]
        if sub.size:
            idat += b"".join(b"\x00" + row.tobytes() for row in sub)
    path = tmp_path / "adam7.png"
    path.write_bytes(_raw_png(RGB.shape[1], RGB.shape[0], 8, 2, idat, adam7=True))
    fast, slow = both(path)
    np.testing.assert_array_equal(fast, slow)
    np.testing.assert_array_equal(fast, to_unit_float(RGB))


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("grey", [False, True], ids=["colour", "grey"])
def test_jpeg_every_orientation_both_ways(tmp_path, orientation, grey):
    arr = PHOTO[:, :, 0] if grey else PHOTO
    path = _exif_jpeg(tmp_path / f"o{orientation}.jpg", arr, orientation)
    fast, slow = both(path)
    np.testing.assert_array_equal(fast, slow)
    assert fast_flags("JPEG", mode_of(path), head(path)) is not None
    # And both are upright as Pillow's own exif_transpose turns the picture.
    with Image.open(path) as im:
        expected = np.asarray(ImageOps.exif_transpose(im), dtype=np.float32) / np.float32(255)
    np.testing.assert_array_equal(fast, expected)
    assert fast.shape[:2] == ((21, 34) if orientation <= 4 else (34, 21))


@pytest.mark.parametrize(
    "options",
    [{"progressive": True}, {"subsampling": 0}, {"subsampling": 1}, {"quality": 40}],
    ids=["progressive", "444", "422", "q40"],
)
def test_jpeg_encodings_both_ways(tmp_path, options):
    path = _exif_jpeg(tmp_path / "e.jpg", PHOTO, 6, **options)
    fast, slow = both(path)
    np.testing.assert_array_equal(fast, slow)


def test_cmyk_jpeg_stays_with_pillow(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.fromarray(PHOTO).convert("CMYK").save(path, quality=95)
    assert fast_flags("JPEG", "CMYK", head(path)) is None
    fast, slow = both(path)
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize(
    ("name", "save"),
    [
        ("rgb.tif", lambda p: Image.fromarray(RGB).save(p)),
        ("g16.tif", lambda p: Image.fromarray(RGB[:, :, 0].astype(np.uint16) * 257).save(p)),
        ("f.tif", lambda p: Image.fromarray(RGB[:, :, 0] / np.float32(7)).save(p)),
        ("rgb.bmp", lambda p: Image.fromarray(RGB).save(p)),
        ("grey.bmp", lambda p: Image.fromarray(RGB[:, :, 0]).save(p)),
        ("lossless.webp", lambda p: Image.fromarray(RGB).save(p, lossless=True)),
        ("lossy.webp", lambda p: Image.fromarray(PHOTO).save(p, quality=80)),
        ("p.gif", lambda p: Image.fromarray(RGB).quantize(20).save(p)),
    ],
)
def test_other_formats_both_ways(tmp_path, name, save):
    path = tmp_path / name
    save(path)
    fast, slow = both(path)
    np.testing.assert_array_equal(fast, slow)


def _damaged(data: bytes, kind: str, rng) -> bytes:
    d = bytearray(data)
    if kind == "cut":
        return bytes(d[: int(rng.integers(40, len(d) - 1))])
    pos = int(rng.integers(len(d) // 3, len(d) - 8))
    if kind == "flip":
        d[pos] ^= 0xA5
    else:
        del d[pos : pos + 23]
    return bytes(d)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize("kind", ["cut", "flip", "gap"])
def test_damaged_files_get_pillow_s_verdict(tmp_path, fmt, kind):
    buf = io.BytesIO()
    Image.fromarray(PHOTO).save(buf, format=fmt)
    # The same damage every run (hash() of a str changes between runs).
    rng = np.random.default_rng(zlib.crc32(f"{fmt}-{kind}".encode()) % 1000)
    for i in range(6):
        path = tmp_path / f"d{i}.{fmt.lower()}"
        path.write_bytes(_damaged(buf.getvalue(), kind, rng))
        try:
            slow = load_image(path, decoder="pillow")
        except ImageError as exc:
            with pytest.raises(ImageError) as info:
                load_image(path)
            assert str(info.value) == str(exc)
        else:
            np.testing.assert_array_equal(load_image(path), slow)


@pytest.mark.parametrize("where", ["before the pixels", "after the pixels"])
def test_png_exif_orientation_both_ways(tmp_path, where):
    im = Image.fromarray(RGB)
    exif = im.getexif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    if where == "before the pixels":
        im.save(buf, format="PNG", exif=exif.tobytes())
        data = buf.getvalue()
    else:
        im.save(buf, format="PNG")
        plain = buf.getvalue()
        data = plain[:-12] + _chunk(b"eXIf", exif.tobytes()[6:]) + plain[-12:]  # before IEND
    path = tmp_path / "turned.png"
    path.write_bytes(data)
    assert (data.find(b"eXIf") < data.find(b"IDAT")) == (where == "before the pixels")
    fast, slow = both(path)
    np.testing.assert_array_equal(fast, slow)
    np.testing.assert_array_equal(fast, to_unit_float(np.rot90(RGB, -1)))


@pytest.mark.parametrize("tail", [b"", b"\x00" * 100, b"trailing data after the picture"])
def test_jpeg_with_bytes_after_its_end_both_ways(tmp_path, tail):
    buf = io.BytesIO()
    Image.fromarray(PHOTO).save(buf, format="JPEG")
    path = tmp_path / "tail.jpg"
    path.write_bytes(buf.getvalue() + tail)
    fast, slow = both(path)
    np.testing.assert_array_equal(fast, slow)


def test_the_size_guard_comes_before_either_decoder(tmp_path):
    path = _png(tmp_path / "big.png", Image.fromarray(RGB))
    for decoder in ("auto", "pillow"):
        with pytest.raises(ImageTooLarge):
            load_image(path, max_pixels=100, decoder=decoder)


def test_opencv_s_own_pixel_limit_is_set_before_it_loads(tmp_path):
    """Behind the size guard, OpenCV itself refuses a picture past the limit core/ sets."""
    # 12000 x 12000 = 144 M pixels, more than 2**27: its header alone is refused.
    png = _raw_png(12000, 12000, 8, 0, b"\x00" * 12001)
    path = tmp_path / "claims.png"
    path.write_bytes(png)
    code = (
        "import filterstudio.core, cv2, numpy as np, resource, sys\n"
        f"data = np.fromfile({os.fspath(path)!r}, np.uint8)\n"
        "try:\n"
        "    out = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)\n"
        "except cv2.error:\n"
        "    out = None\n"
        "print(out is None, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1_000_000)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_IO_MAX_IMAGE_PIXELS"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.stdout.split() == ["True", "True"], proc.stderr


@pytest.mark.parametrize("orientation", range(1, 9))
def test_upright_view_turns_as_pillow_and_copies_nothing(orientation):
    arr = RGB[:5, :7]
    view = upright_view(arr, orientation)
    assert np.shares_memory(view, arr)
    pic = Image.fromarray(np.ascontiguousarray(arr))
    exif = pic.getexif()
    exif[0x0112] = orientation
    pic.info["exif"] = exif.tobytes()
    expected = np.asarray(ImageOps.exif_transpose(pic))
    np.testing.assert_array_equal(view, expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_to_unit_float_is_the_two_step_division(dtype):
    top = np.iinfo(dtype).max
    samples = np.arange(0, int(top) + 1, 1 if dtype == np.uint8 else 13, dtype=dtype)
    samples = samples.reshape(1, -1)[:, ::-1]  # through a view with negative strides
    expected = samples.astype(np.float32) / np.float32(top)
    out = to_unit_float(samples)
    np.testing.assert_array_equal(out, expected)
    assert out.flags.c_contiguous
