"""PNG deflated in bands on several threads: an ordinary PNG to every reader, the same bytes always."""

from __future__ import annotations

import io
import subprocess
import sys
import zlib

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from filterstudio.core.imagewrite import save_image
from filterstudio.core.pngwrite import adler32_combine, encode_png

RNG = np.random.default_rng(7)


def photo_like(h: int, w: int, channels: int) -> np.ndarray:
    """Smooth areas, edges and grain: what a filtered photo looks like to a compressor."""
    y, x = np.mgrid[0:h, 0:w]
    base = (np.sin(x / 37.0) * np.cos(y / 23.0) * 90 + 128 + (x // 97 % 2) * 40)
    grain = RNG.normal(0, 6, (h, w))
    grey = np.clip(base + grain, 0, 255).astype(np.uint8)
    if channels == 1:
        return grey
    return np.dstack([grey, np.roll(grey, 5, axis=1), 255 - grey])


def decoded_both_ways(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        pil = np.asarray(im)
    cv = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert cv is not None, "libpng (which checks every chunk's CRC) refused the file"
    if cv.ndim == 3:
        cv = cv[:, :, ::-1]
    return pil, cv


@pytest.mark.parametrize(
    "shape",
    [(1, 1), (1, 9), (9, 1), (5, 7), (5, 7, 3), (1, 1, 3), (2100, 2100), (700, 3000, 3)],
    ids=str,
)
def test_every_reader_gets_the_pixels_back(shape):
    pixels = RNG.integers(0, 256, shape, dtype=np.uint8)
    data = b"".join(encode_png(pixels))
    pil, cv = decoded_both_ways(data)
    np.testing.assert_array_equal(pil, pixels)
    np.testing.assert_array_equal(cv, pixels)


def test_large_pictures_are_cut_into_bands_that_join_into_one_stream():
    pixels = photo_like(1500, 2000, 3)  # 9 MB of rows: three bands
    pieces = encode_png(pixels)
    assert pieces.count(b"IDAT") >= 3
    pil, cv = decoded_both_ways(b"".join(pieces))
    np.testing.assert_array_equal(pil, pixels)
    np.testing.assert_array_equal(cv, pixels)


def test_threads_change_nothing_in_the_file():
    pixels = photo_like(1500, 2000, 3)
    assert b"".join(encode_png(pixels)) == b"".join(encode_png(pixels, parallel=False))


@pytest.mark.parametrize("channels", [1, 3])
def test_the_file_is_as_small_as_opencv_s_own_at_the_same_settings(channels):
    pixels = photo_like(1500, 2000, channels)
    ours = len(b"".join(encode_png(pixels)))
    bgr = pixels if channels == 1 else pixels[:, :, ::-1]
    ok, theirs = cv2.imencode(".png", np.ascontiguousarray(bgr))  # Sub filter, level 1, RLE
    assert ok
    assert ours <= len(theirs) * 1.01


def test_a_map_saved_as_png_reads_back_as_its_8_bit_picture(tmp_path):
    from filterstudio.core.display import to_uint8

    values = RNG.normal(0, 0.6, (40, 33, 3)).astype(np.float32)
    save_image(tmp_path / "m.png", values, display="offset")
    pil, cv = decoded_both_ways((tmp_path / "m.png").read_bytes())
    np.testing.assert_array_equal(pil, to_uint8(values, "offset"))
    np.testing.assert_array_equal(cv, pil)


@pytest.mark.parametrize(
    "bad", [np.zeros((4, 4), np.float32), np.zeros((4, 4, 4), np.uint8), np.zeros((0, 4), np.uint8)]
)
def test_other_arrays_are_refused(bad):
    with pytest.raises(ValueError):
        encode_png(bad)


def test_without_zlib_ng_python_s_zlib_writes_the_same_pixels(tmp_path):
    pixels = photo_like(300, 200, 3)
    np.save(tmp_path / "p.npy", pixels)
    code = (
        "import sys, numpy as np\n"
        "sys.modules['zlib_ng'] = None  # as if the package were not installed\n"
        "from filterstudio.core import pngwrite\n"
        "assert pngwrite._zlib.__name__ == 'zlib'\n"
        f"pixels = np.load({str(tmp_path / 'p.npy')!r})\n"
        "sys.stdout.buffer.write(b''.join(pngwrite.encode_png(pixels)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    pil, cv = decoded_both_ways(proc.stdout)
    np.testing.assert_array_equal(pil, pixels)
    np.testing.assert_array_equal(cv, pixels)
    assert abs(len(proc.stdout) - len(b"".join(encode_png(pixels)))) < 0.01 * len(proc.stdout)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_adler32_combine_is_zlib_s(a, b):
    assert adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)
