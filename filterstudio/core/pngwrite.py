"""Fast PNG files of 8-bit maps, deflated in horizontal bands on every core.

An 8-bit map is written as PNG the way OpenCV writes it by default, its fastest: each row
filtered against its left neighbour (PNG's "Sub" filter), then deflated at level 1 matching runs
of equal bytes (zlib's ``Z_RLE``). That deflate is nearly all of the time a large PNG takes, and
libpng (and Pillow's encoder) runs it on one core. Here the rows are cut into bands; each band is filtered and deflated on its own thread (the
deflater and numpy work without the GIL), primed with the last 32 KB of the band above it, so
the pieces join into one valid zlib stream of about the size one pass would make. This is how
``pigz`` deflates in parallel. The checksum of the whole stream is combined from the bands'
own (``adler32_combine``, as zlib computes it).

The deflater is zlib-ng's (the ``zlib-ng`` package): at the same level and strategy it makes the
same size of file as zlib, in about 40% less time. Without that package Python's own zlib is
used: the same files, slower.

Every reader sees an ordinary PNG (8-bit grey or RGB, not interlaced, one ``IDAT`` chunk per
band); tests/core/test_pngwrite.py reads the files back with Pillow and OpenCV.
"""

from __future__ import annotations

import struct

import numpy as np

try:
    from zlib_ng import zlib_ng as _zlib
except ImportError:  # pragma: no cover - zlib-ng is a dependency; the fallback is tested apart
    import zlib as _zlib

from .lazypool import LazyPool
from .limits import default_workers

__all__ = ["adler32_combine", "encode_png"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_WINDOW = 32 << 10  # deflate's history: each band is primed with this much of the one above
_BAND_BYTES = 4 << 20  # filtered bytes per band: a few per core for a 12 MP picture
_MAX_CHUNK = (1 << 31) - 1  # the longest PNG chunk
_SUB = 1  # PNG filter type "Sub": each byte minus the byte of the pixel to its left
_ADLER_BASE = 65521

# The bands of a large picture are deflated on this pool, made on first use.
_executor = LazyPool(default_workers, "filterstudio-png")


def adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 of two pieces of data joined, from each piece's own (zlib's algorithm).

    Examples
    --------
    >>> import zlib
    >>> adler32_combine(zlib.adler32(b"feature "), zlib.adler32(b"maps"), 4) == zlib.adler32(
    ...     b"feature maps")
    True
    """
    rem = second_length % _ADLER_BASE
    sum1 = first & 0xFFFF
    sum2 = (rem * sum1) % _ADLER_BASE
    sum1 += (second & 0xFFFF) + _ADLER_BASE - 1
    sum2 += ((first >> 16) & 0xFFFF) + ((second >> 16) & 0xFFFF) + _ADLER_BASE - rem
    return (sum1 % _ADLER_BASE) | ((sum2 % _ADLER_BASE) << 16)


def _filtered(rows: np.ndarray, channels: int) -> np.ndarray:
    """The rows as PNG stores them: a filter-type byte, then each byte minus its left pixel's."""
    out = np.empty((rows.shape[0], rows.shape[1] + 1), dtype=np.uint8)
    out[:, 0] = _SUB
    out[:, 1 : channels + 1] = rows[:, :channels]
    np.subtract(rows[:, channels:], rows[:, :-channels], out=out[:, channels + 1 :])
    return out


def _band(flat: np.ndarray, start: int, stop: int, channels: int, last: bool):
    """(deflated bytes, adler32, length) of rows ``start:stop``, primed with the rows above."""
    data = memoryview(_filtered(flat[start:stop], channels)).cast("B")
    options = {}
    if start > 0:
        above = max(0, start - -(-_WINDOW // (flat.shape[1] + 1)))
        options["zdict"] = memoryview(_filtered(flat[above:start], channels)).cast("B")[-_WINDOW:]
    deflate = _zlib.compressobj(1, _zlib.DEFLATED, -15, 9, _zlib.Z_RLE, **options)
    out = deflate.compress(data) + deflate.flush(_zlib.Z_FINISH if last else _zlib.Z_SYNC_FLUSH)
    return out, _zlib.adler32(data), data.nbytes


def _chunk(tag: bytes, data: bytes) -> list[bytes]:
    crc = _zlib.crc32(data, _zlib.crc32(tag))
    return [struct.pack(">I", len(data)), tag, data, struct.pack(">I", crc)]


def encode_png(pixels: np.ndarray, *, parallel: bool = True) -> list[bytes]:
    """An 8-bit grey ``(H, W)`` or RGB ``(H, W, 3)`` picture as a PNG file, in pieces.

    Parameters
    ----------
    pixels : numpy.ndarray
        uint8.
    parallel : bool
        Deflate the bands on a pool of one thread per core (at most four) beside the calling
        thread; False deflates them all on the calling thread.

    Returns
    -------
    list of bytes
        The file's bytes: write the pieces in order.

    Examples
    --------
    >>> import io; from PIL import Image
    >>> grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    >>> data = b"".join(encode_png(grey))
    >>> np.array_equal(np.asarray(Image.open(io.BytesIO(data))), grey)
    True
    """
    arr = np.asarray(pixels)
    if arr.dtype != np.uint8 or not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ValueError("Only 8-bit grey (H, W) or RGB (H, W, 3) pictures are written as PNG.")
    height, width = arr.shape[:2]
    if not (0 < width < 1 << 31 and 0 < height < 1 << 31):
        raise ValueError(f"A PNG is 1 to 2**31 - 1 pixels a side, not {width} x {height}.")
    channels = 1 if arr.ndim == 2 else 3
    flat = np.ascontiguousarray(arr).reshape(height, width * channels)
    rows_per_band = max(1, _BAND_BYTES // (width * channels + 1))
    starts = list(range(0, height, rows_per_band))
    bands = [(s, min(s + rows_per_band, height)) for s in starts]
    if not parallel or len(bands) == 1:
        results = [_band(flat, s, e, channels, e == height) for s, e in bands]
    else:
        pool = _executor()
        futures = [pool.submit(_band, flat, s, e, channels, e == height) for s, e in bands[1:]]
        first = _band(flat, *bands[0], channels, bands[0][1] == height)
        results = [first] + [f.result() for f in futures]
    adler = results[0][1]
    for _, band_adler, length in results[1:]:
        adler = adler32_combine(adler, band_adler, length)
    stream = [b"\x78\x01", *(r[0] for r in results), struct.pack(">I", adler)]
    colour_type = 0 if channels == 1 else 2
    pieces = [_SIGNATURE]
    pieces += _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
    for data in _joined(stream):
        pieces += _chunk(b"IDAT", data)
    pieces += _chunk(b"IEND", b"")
    return pieces


def _joined(stream: list[bytes]) -> list[bytes]:
    """The zlib stream in IDAT-sized pieces: the header and checksum ride with their neighbours."""
    if len(stream) > 3:
        pieces = [stream[0] + stream[1], *stream[2:-2], stream[-2] + stream[-1]]
    else:
        pieces = [b"".join(stream)]
    out = []
    for piece in pieces:
        for start in range(0, len(piece), _MAX_CHUNK):
            out.append(piece[start : start + _MAX_CHUNK])
    return [p for p in out if p] or [b""]
