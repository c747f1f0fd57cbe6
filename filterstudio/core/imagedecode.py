"""Pixels out of an opened picture: Pillow or OpenCV decodes to float32 in [0, 1], upright.

:mod:`filterstudio.core.imageio` opens the file, judges its format and size, and picks the
decoder; this module turns the pixels into the array SPEC.md "Pixels" describes. Failures are
raised as :class:`Unsupported` (a pixel format the studio does not read), :class:`NotFinite`
(NaN or infinity in a float picture) or whatever the decoder raised; imageio words them.
"""

from __future__ import annotations

from typing import BinaryIO

import numpy as np
from PIL import Image

from .cvdecode import upright_view

__all__ = [
    "ALPHA_MODES",
    "MAX_DECODE_BYTES",
    "MODE_BYTES",
    "NotFinite",
    "Unsupported",
    "decode_opencv",
    "decode_pillow",
    "finish",
    "high_depth_colour",
    "exif_orientation",
    "upright",
    "upright_size",
    "working_image",
]

MAX_DECODE_BYTES = 1 << 30
"""No decoder is asked for more than this many bytes (1 GB) of pixels for one picture."""


# EXIF orientation -> how the stored pixels are turned upright (as ImageOps.exif_transpose does).
_ORIENTATION_TAG = 0x0112

_EIGHT_BIT_MODES = ("L", "RGB")
_TO_RGB_MODES = ("P", "PA", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV")
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")


# Bytes per pixel Pillow allocates for a mode (two-band modes are stored in four bytes).
MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}


def exif_orientation(im: Image.Image) -> int:
    """The EXIF orientation (1..8) of an opened picture; 1 when absent or unreadable."""
    try:
        value = int(im.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:  # noqa: BLE001 - damaged metadata must not stop the pixels
        return 1
    return value if 1 <= value <= 8 else 1


def upright(arr: np.ndarray, orientation: int) -> np.ndarray:
    """``arr`` turned upright for an EXIF ``orientation``, exactly as ImageOps.exif_transpose."""
    return np.ascontiguousarray(upright_view(arr, orientation))


def upright_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    """The size of a ``width`` x ``height`` picture once turned upright."""
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def high_depth_colour(im: Image.Image, head: bytes) -> bool:
    """True for 16-bit colour PNG/TIFF, which Pillow would cut to 8 bits per channel."""
    if im.mode not in ("RGB", "RGBA"):
        return False
    if im.format == "PNG" and len(head) > 24:
        return head[24] == 16  # IHDR bit depth
    if im.format == "TIFF":
        bits = getattr(im, "tag_v2", {}).get(258, ())
        bits = bits if isinstance(bits, tuple) else (bits,)
        return bool(bits) and max(bits) > 8
    return False


def decode_opencv(fp: BinaryIO, target: tuple[int, int] | None) -> np.ndarray:
    """Decode with OpenCV: 16-bit colour and 3-channel float TIFF, which Pillow cannot hold."""
    import cv2

    fp.seek(0)
    raw = fp.read(MAX_DECODE_BYTES + 1)
    if len(raw) > MAX_DECODE_BYTES:
        raise Unsupported(f"a file over {MAX_DECODE_BYTES >> 20} MB for")
    data = np.frombuffer(raw, dtype=np.uint8)
    arr = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise OSError("OpenCV could not decode the file")
    if arr.ndim == 3:
        arr = arr[:, :, 2::-1] if arr.shape[2] >= 3 else arr[:, :, 0]
    if target is not None:
        arr = cv2.resize(np.ascontiguousarray(arr), target, interpolation=cv2.INTER_AREA)
    if arr.dtype == np.uint8:
        out = arr.astype(np.float32)
        out /= np.float32(255)
    elif arr.dtype == np.uint16:
        out = arr.astype(np.float32)
        out /= np.float32(65535)
    elif arr.dtype == np.float32:
        out = np.array(arr, dtype=np.float32)
    else:
        raise Unsupported(f"{arr.dtype} samples")
    return out


class Unsupported(Exception):
    """A pixel format the studio does not read (internal; becomes an ImageError)."""


def working_image(im: Image.Image) -> tuple[Image.Image, float | None]:
    """``im`` in a mode numpy can take and the divisor that brings it to [0, 1] (None: as is)."""
    mode = im.mode
    if mode == "1":
        return im, 1.0
    if mode in _EIGHT_BIT_MODES:
        return im, 255.0
    if mode in ("LA", "La"):
        return im.getchannel(0), 255.0
    if mode in ("P", "PA"):
        # Through RGBA so a palette transparency is read, then dropped: alpha is not convolved.
        return im.convert("RGBA").convert("RGB"), 255.0
    if mode in _TO_RGB_MODES:
        return im.convert("RGB"), 255.0
    if mode in _SIXTEEN_BIT_MODES or mode == "I":
        return im, 65535.0
    if mode == "F":
        return im, None
    raise Unsupported(mode)


def decode_pillow(im: Image.Image, target: tuple[int, int] | None) -> np.ndarray:
    """Decode with Pillow as float32 in [0, 1] (float TIFF as stored), at ``target`` if given."""
    if target is not None and im.format == "JPEG":
        # JPEG decodes straight to 1/2, 1/4 or 1/8 size: the full picture is never held.
        im.draft(None, target)
    im.load()
    work, divisor = working_image(im)
    if target is not None and work.size != target:
        if work.mode == "1":
            work = work.convert("L")
            divisor = 255.0
        elif work.mode in _SIXTEEN_BIT_MODES:
            work = work.convert("I")
        work = work.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if work.mode == "I":
        raw = np.asarray(work)
        if raw.size and (int(raw.min()) < 0 or int(raw.max()) > 65535):
            raise Unsupported("32-bit integer")
    arr = np.array(work, dtype=np.float32)
    if divisor is not None and divisor != 1.0:
        arr /= np.float32(divisor)
    elif divisor is None and not np.all(np.isfinite(arr)):
        raise NotFinite()
    return arr


class NotFinite(Exception):
    """A float picture holding NaN or infinity (internal; becomes an ImageError)."""


def finish(arr: np.ndarray, orientation: int) -> np.ndarray:
    """A decoded array as load_image returns it: float32, writable, 2-D for grey, upright."""
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    arr = upright(arr, orientation)
    if arr.dtype != np.float32 or not arr.flags.writeable:
        arr = np.array(arr, dtype=np.float32)
    return arr
