"""OpenCV decodes of JPEG and PNG whose pixels are exactly Pillow's: faster, with one copy fewer.

:func:`filterstudio.core.imageio.load_image` opens every picture with Pillow's header parser
first (format, mode, size, EXIF orientation) and judges its size before any pixel is decoded.
For the kinds of JPEG and PNG listed in :func:`fast_flags`, OpenCV's libjpeg-turbo and libpng
then decode the samples straight into a numpy array, which is turned upright (a view, no copy)
and divided into float32 in one pass. Pillow would decode into its own buffer, copy it out as
bytes, then convert: two copies more, and a third of the time for a 12 MP photo.

The kinds are those whose samples both libraries give alike (tests/core/test_decode_paths.py
holds the two paths equal, file by file). Anything else, and any file OpenCV refuses or decodes
to another size than the header said, is left to Pillow (:func:`decode_fast` returns None), so
a damaged file gets exactly Pillow's verdict. OpenCV's own pixel limit
(``OPENCV_IO_MAX_IMAGE_PIXELS``, set in :mod:`filterstudio.core`) stands behind the size guard.
"""

from __future__ import annotations

from typing import BinaryIO

import numpy as np

__all__ = ["decode_fast", "fast_flags", "to_unit_float", "upright_view"]

# IHDR: bit depth at byte 24 of the file, colour type at byte 25.
_PNG_DEPTH, _PNG_COLOUR = 24, 25
_PNG_GREY, _PNG_GREY_ALPHA = 0, 4
# Pillow modes that libpng and Pillow turn into the same 8-bit samples (at bit depth <= 8).
_PNG_COLOUR_MODES = ("RGB", "RGBA", "P", "PA")
_PNG_GREY_MODES = ("L", "LA", "1")
_PNG_GREY16_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")


def fast_flags(fmt: str, mode: str, head: bytes) -> int | None:
    """The ``cv2.imdecode`` flags that give Pillow's samples for this picture; None: use Pillow.

    Parameters
    ----------
    fmt : str
        The listed format, as :func:`~filterstudio.core.formats.sniff_bytes` names it.
    mode : str
        Pillow's mode for the opened (not yet decoded) picture.
    head : bytes
        The file's first bytes (a PNG's bit depth and colour type are read from them).
    """
    import cv2

    keep = cv2.IMREAD_IGNORE_ORIENTATION  # the orientation is applied here, as Pillow reads it
    if fmt == "JPEG":
        if mode == "L":
            return cv2.IMREAD_GRAYSCALE | keep
        if mode == "RGB":
            return cv2.IMREAD_COLOR_RGB | keep
        return None  # CMYK and YCCK: Pillow's conversion
    if fmt != "PNG" or len(head) <= _PNG_COLOUR:
        return None
    depth, colour = head[_PNG_DEPTH], head[_PNG_COLOUR]
    if depth <= 8 and mode in _PNG_COLOUR_MODES:
        return cv2.IMREAD_COLOR_RGB | keep
    if depth <= 8 and mode in _PNG_GREY_MODES:
        return cv2.IMREAD_GRAYSCALE | keep
    if depth == 16 and colour == _PNG_GREY and mode in _PNG_GREY16_MODES:
        return cv2.IMREAD_GRAYSCALE | cv2.IMREAD_ANYDEPTH | keep
    return None  # 16-bit grey with alpha (which Pillow cuts to 8 bits), and the rest


def upright_view(arr: np.ndarray, orientation: int) -> np.ndarray:
    """``arr`` turned upright for an EXIF ``orientation`` (1-8), as a view: no pixel is copied.

    The same turns as ``PIL.ImageOps.exif_transpose``.
    """
    if orientation == 2:  # mirrored
        return arr[:, ::-1]
    if orientation == 3:  # rotated 180
        return arr[::-1, ::-1]
    if orientation == 4:  # flipped
        return arr[::-1]
    if orientation == 5:  # transpose
        return arr.swapaxes(0, 1)
    if orientation == 6:  # rotated 90 clockwise to be upright
        return np.rot90(arr, -1)
    if orientation == 7:  # transverse
        return arr[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:  # rotated 90 counter-clockwise to be upright
        return np.rot90(arr, 1)
    return arr


def to_unit_float(samples: np.ndarray) -> np.ndarray:
    """8-bit samples divided by 255, 16-bit by 65535, into a new C-contiguous float32 array.

    One pass: each sample is converted to float32 and divided by a float32 divisor, exactly as
    ``samples.astype(np.float32) / np.float32(255)`` computes it, without the intermediate copy.
    ``samples`` may be any view (a turned picture is read through its strides).
    """
    if samples.dtype == np.uint8:
        unit = np.float32(255)
    elif samples.dtype == np.uint16:
        unit = np.float32(65535)
    else:
        raise TypeError(f"Only 8- and 16-bit samples are scaled, not {samples.dtype}.")
    if not samples.flags.c_contiguous:
        # A turned picture: numpy's copy gathers it in cache-friendly tiles, then one division.
        out = samples.astype(np.float32, order="C")
        out /= unit
        return out
    out = np.empty(samples.shape, dtype=np.float32)
    np.divide(samples, unit, out=out, dtype=np.float32)
    return out


def decode_fast(
    fp: BinaryIO, flags: int, width: int, height: int, orientation: int | None, max_bytes: int
) -> np.ndarray | None:
    """The picture in ``fp`` as float32 in [0, 1], upright; None when Pillow should decode it.

    Parameters
    ----------
    fp : file object
        The open picture; read from its start (its position afterwards is undefined).
    flags : int
        From :func:`fast_flags`.
    width, height : int
        The stored size the header gave (before the orientation is applied); a decode of any
        other size is not used.
    orientation : int or None
        The EXIF orientation, 1 to 8; None for a PNG whose EXIF was not among the chunks before
        its pixels: upright unless an ``eXIf`` chunk follows them (then Pillow decodes it).
    max_bytes : int
        A larger file is left to Pillow, which reads in pieces.
    """
    import cv2

    raw = _read_all(fp, max_bytes)
    if raw is None or (raw[:2] == b"\xff\xd8" and not raw.endswith(b"\xff\xd9")):
        # A JPEG that does not end at its end-of-image marker may be cut short: OpenCV's
        # decoder reads a cut file as grey below the cut, where Pillow refuses it.
        return None
    if orientation is None:
        if b"eXIf" in raw:
            return None
        orientation = 1
    try:
        samples = cv2.imdecode(np.frombuffer(raw, dtype=np.uint8), flags)
    except cv2.error:  # a size past OpenCV's own limit, a header it will not read
        return None
    del raw
    if samples is None or samples.shape[:2] != (height, width):
        return None
    if samples.ndim == 3 and samples.shape[2] == 1:
        samples = samples[:, :, 0]
    return to_unit_float(upright_view(samples, orientation))


def _read_all(fp: BinaryIO, max_bytes: int) -> bytearray | None:
    """The whole file in one buffer of its own size (None if larger than ``max_bytes``).

    ``read(max_bytes + 1)`` would first allocate ``max_bytes`` bytes; the file's size is known.
    """
    import os

    try:
        size = os.fstat(fp.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        size = -1
    fp.seek(0)
    if not 0 < size <= max_bytes:
        return None
    raw = bytearray(size + 1)  # one more: a file that grew since is noticed
    count = fp.readinto(raw)
    if count != size:
        return None
    del raw[size:]
    return raw
