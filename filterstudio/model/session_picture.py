"""A session's picture: the PNG copy it may carry inside, and which file a stored path may name.

The image is stored by path, relative to the session file's folder when the image lies in that
folder or below it (so the two can be moved together), absolute otherwise (so a session moved on
its own still finds it). On request the image is also embedded as a PNG: 16-bit greyscale for a
grey image (exact to 1/65535), 8-bit RGB for a colour image (exact to 1/255; Pillow writes no
16-bit colour PNG).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import os
import re
import stat
import warnings
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

import numpy as np
from PIL import Image

from ..core.formats import PICTURE_EXTENSIONS
from .bank_io import describe
from .session_types import MAX_EMBEDDED_BYTES, MAX_EMBEDDED_PIXELS, Session, SessionError

__all__ = [
    "decode_embedded_image",
    "embedded_from_text",
    "encode_png",
    "resolve_image",
    "stored_path",
]

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def encode_png(image: Any) -> bytes:
    """Encode a float image in [0, 1] as PNG: 16-bit for grey ``(H, W)``, 8-bit RGB for colour.

    Values outside [0, 1] are clipped, NaN becomes 0. A fourth (alpha) channel is dropped.

    Raises
    ------
    SessionError
        The array is not an image or is larger than an embedded image may be.
    """
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
        arr = arr[:, :, 0] if arr.shape[2] == 1 else arr[:, :, :3]
    shape_ok = arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)
    if (
        not shape_ok
        or arr.size == 0
        or not np.issubdtype(arr.dtype, np.number)
        or np.iscomplexobj(arr)
    ):
        raise SessionError(
            "The image to embed must be a grey (H, W) or colour (H, W, 3) array of numbers."
        )
    if arr.shape[0] * arr.shape[1] > MAX_EMBEDDED_PIXELS:
        raise SessionError(
            f"The image is too large to embed in a session (more than "
            f"{MAX_EMBEDDED_PIXELS // 1_000_000} million pixels)."
        )
    v = np.clip(np.nan_to_num(arr.astype(np.float64), nan=0.0), 0.0, 1.0)
    if arr.ndim == 2:
        pil = Image.fromarray(np.round(v * 65535).astype(np.uint16))
    else:
        pil = Image.fromarray(np.round(v * 255).astype(np.uint8))
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return buf.getvalue()


@contextlib.contextmanager
def _pillow_checks() -> Iterator[None]:
    """Pillow's bomb warning as an error, and its metadata complaints kept off stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _checked_png(data: bytes) -> None:
    """Raise SessionError unless ``data`` starts like a PNG of an acceptable size."""
    if not data.startswith(_PNG_MAGIC):
        raise SessionError("The image saved inside the session is not a PNG.")
    try:
        with _pillow_checks(), Image.open(io.BytesIO(data), formats=["PNG"]) as img:
            w, h = img.size
    except Exception:  # noqa: BLE001 - Pillow reports a broken header (or a bomb) in many ways
        raise SessionError("The image saved inside the session is damaged.") from None
    if w * h > MAX_EMBEDDED_PIXELS:
        raise SessionError(
            f"The image saved inside the session is {w}x{h}, larger than an embedded image may be."
        )


def decode_embedded_image(session: Session) -> np.ndarray:
    """The session's embedded PNG as float32 in [0, 1], per SPEC's pixel rules.

    16-bit grey is divided by 65535, 8-bit by 255; grey stays ``(H, W)``, anything with colour
    (palette included) becomes ``(H, W, 3)``; alpha is dropped.

    Raises
    ------
    SessionError
        There is no embedded image, or it cannot be decoded.
    """
    data = session.embedded_png
    if data is None:
        raise SessionError("This session has no image saved inside it.")
    _checked_png(data)
    try:
        with _pillow_checks(), Image.open(io.BytesIO(data), formats=["PNG"]) as img:
            img.load()
            if img.mode in ("I;16", "I;16B", "I;16L", "I"):
                return (np.asarray(img, dtype=np.float64) / 65535.0).astype(np.float32)
            if img.mode in ("1", "L", "LA", "La"):
                return np.asarray(img.convert("L"), dtype=np.float32) / np.float32(255)
            return np.asarray(img.convert("RGB"), dtype=np.float32) / np.float32(255)
    except Exception:  # noqa: BLE001 - Pillow reports broken data in many ways
        raise SessionError("The image saved inside the session is damaged.") from None


def stored_path(image_path: str, folder: str) -> str:
    """``image_path`` relative to ``folder`` if it lies inside it, else absolute."""
    absolute = os.path.abspath(image_path)
    try:
        rel = os.path.relpath(absolute, folder)
    except ValueError:  # another drive (Windows)
        return absolute
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return absolute
    return PurePath(rel).as_posix()


def embedded_from_text(value: Any) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SessionError(
            f"The embedded image must be base64 text or null, not {describe(value)}."
        )
    if len(value) > (MAX_EMBEDDED_BYTES // 3 + 1) * 4:
        raise SessionError(
            "The image saved inside the session is larger than an embedded image may be."
        )
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SessionError("The image saved inside the session is damaged (not base64).") from None
    _checked_png(data)
    return data


def _path_problem(candidate: str) -> str | None:
    """Why the file at ``candidate`` may not be the session's picture; None if it may.

    ``"missing"`` when nothing is there. Only stat() is used: nothing is opened here.
    """
    try:
        info = os.stat(candidate)
    except FileNotFoundError:
        return "missing"
    except (OSError, ValueError):
        return "it cannot be looked at"
    if not stat.S_ISREG(info.st_mode):
        return "it is not a regular file"
    real_ext = os.path.splitext(os.path.realpath(candidate))[1].lower()
    if real_ext not in PICTURE_EXTENSIONS:
        return "it is a link to a file that is not a picture"
    return None


def resolve_image(
    stored: str, folder: str, has_copy: bool, messages: list[str]
) -> tuple[str | None, str | None]:
    """(the image's absolute path or None if refused, that path if the file may be opened).

    The rule (docs/ARCHITECTURE.md, "What a session may name"): a picture file with one of the
    listed extensions; relative paths stay inside the session's folder; absolute paths are
    accepted; whatever is named must be a regular file (a link must lead to a picture file too).
    """
    text = stored.replace("\\", "/")
    pure = PurePath(text)
    name = pure.name or stored
    fallback = (
        "the copy saved inside the session is used" if has_copy else "the filters loaded without it"
    )
    if os.path.splitext(name)[1].lower() not in PICTURE_EXTENSIONS:
        messages.append(
            f"The session names {describe(name)} as its picture, which is not a picture file "
            f"({', '.join(PICTURE_EXTENSIONS)}), so it was not opened; {fallback}."
        )
        return None, None
    if os.path.isabs(stored) or os.path.isabs(text):
        absolute = os.path.normpath(stored)
    elif os.pardir in pure.parts or re.match(r"^[A-Za-z]:", text):
        messages.append(
            f"The session's picture path {describe(stored)} leads out of the session's folder, "
            f"so it was not opened; {fallback}."
        )
        return None, None
    else:
        absolute = os.path.normpath(os.path.join(folder, text))
    problem = _path_problem(absolute)
    if problem is None:
        return absolute, absolute
    if problem == "missing":
        # The files were sent on their own and put side by side: look next to the session.
        beside = os.path.join(folder, name)
        if _path_problem(beside) is None:
            return beside, beside
        messages.append(f"The image {name} was not found; {fallback}.")
        return absolute, None
    messages.append(f"The session's picture {name} was not opened ({problem}); {fallback}.")
    return None, None
