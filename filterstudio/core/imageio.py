"""Pictures in: load_image(), read_image_info(), the size guards and the image errors.

What is opened and what is trusted (docs/ARCHITECTURE.md, "Files from outside"): a picture is a
regular file, opened without blocking (core.userfile); its format is judged from its first bytes
(core.formats.sniff_format) and only that format's Pillow plugin reads it, so no other decoder,
and no program, is ever reached. Its size is judged from the header the decoder itself will use,
before a single pixel is decoded: Pillow's header parse, and for TIFF the first directory read as
libtiff reads it (a directory naming a tag twice is refused). Writing lives in core.imagewrite
and core.atomic; their names are re-exported here.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from PIL import Image

from .atomic import (  # noqa: F401 - re-exported: callers import them from here
    Stopped,
    _umask,
    atomic_write,
    remove_unfinished_writes,
    stop_on_signals,
)
from .cvdecode import decode_fast, fast_flags
from .formats import (  # noqa: F401 - re-exported
    LISTED_FORMATS,
    PICTURE_EXTENSIONS,
    PILLOW_PLUGINS,
    SNIFF_BYTES,
    ImageError,
    TiffLayout,
    refusal,
    sniff_bytes,
    sniff_format,
    tiff_layout,
)
from .imagedecode import (  # noqa: F401 - MAX_DECODE_BYTES and _working_image re-exported
    ALPHA_MODES,
    MAX_DECODE_BYTES,
    MODE_BYTES,
    NotFinite,
    Unsupported,
    exif_orientation,
    finish,
    high_depth_colour,
    upright_size,
)
from .imagedecode import decode_opencv as _decode_opencv  # a test counts the decodes
from .imagedecode import decode_pillow as _decode_pillow
from .imagedecode import working_image as _working_image  # noqa: F401
from .imagewrite import SAVE_FORMATS, save_format, save_image, write_npy  # noqa: F401
from .userfile import display_name, open_user_file

DEFAULT_MAX_PIXELS = 50_000_000
"""Pictures with more pixels than this are refused at full size (about 50 megapixels)."""

READ_FORMATS = ("PNG", "JPEG", "BMP", "TIFF", "WebP", "GIF")
"""The formats the studio reads, as the user sees them named."""

MAX_FILE_BYTES = 2 << 30
"""A picture file larger than this (2 GB) is refused before it is opened."""

FALLBACK_MAX_PIXELS = 2 * 89_478_485
"""The safe pixel limit when Pillow's own (``Image.MAX_IMAGE_PIXELS``) has been switched off."""

ALPHA_DROPPED = "Its transparency (alpha channel) was dropped: only the colours are filtered."
"""The sentence for a picture whose alpha channel was dropped (file or pasted)."""


class ImageTooLarge(ImageError):
    """A legal picture with more pixels than the caller allows; a reduced copy can be loaded."""

    def __init__(self, width: int, height: int, limit: int, name: str = "The picture") -> None:
        self.width = int(width)
        self.height = int(height)
        self.limit = int(limit)
        super().__init__(
            f"{name} is {self.width} x {self.height} = {self.width * self.height:,} pixels, "
            f"more than the {self.limit:,} pixels opened at full size; "
            "open a reduced copy instead."
        )


@dataclass(frozen=True)
class ImageInfo:
    """What a picture file holds, read from its header without decoding the pixels.

    ``width`` and ``height`` are the upright size, after the EXIF orientation is applied,
    i.e. the size :func:`load_image` returns at full resolution.
    """

    width: int
    height: int
    mode: str
    format: str
    frames: int = 1
    #: Whether the picture has transparency (an alpha channel, or a transparent palette
    #: colour), which :func:`load_image` drops: say so with :data:`ALPHA_DROPPED`.
    alpha: bool = False

    @property
    def pixels(self) -> int:
        """``width * height``."""
        return self.width * self.height


# --------------------------------------------------------------------------------------------
# Size guards


def safe_pixel_limit() -> int:
    """The most pixels any picture may claim before it is refused as damaged or hostile."""
    limit = Image.MAX_IMAGE_PIXELS
    return int(limit) if limit is not None else FALLBACK_MAX_PIXELS


def _bomb_error(name: str, pixels: int) -> ImageError:
    return ImageError(
        f"{name} was not opened: {pixels:,} pixels is more than the safe limit of "
        f"{safe_pixel_limit():,} pixels for one picture (a damaged or hostile file can claim "
        "a huge size)."
    )


def check_picture_size(
    width: int,
    height: int,
    *,
    max_pixels: int | None = None,
    bytes_per_pixel: int = 4,
    name: str = "The picture",
    claimed: bool = True,
) -> None:
    """Judge a picture's size before anything is decoded or converted.

    For a size a file's header claims, a size beyond the safe limit (or more than
    ``MAX_DECODE_BYTES`` of pixels) is refused for good: a damaged or hostile file can claim
    any size. A size beyond ``max_pixels`` raises :class:`ImageTooLarge`, so that a reduced
    copy can be offered (its size from :func:`reduced_size`). For a picture already in memory
    (a pasted one, before it is turned into an array), pass ``claimed=False``: only
    ``max_pixels`` is judged, and a large one is offered as a reduced copy.

    Parameters
    ----------
    width, height : int
        The claimed size.
    max_pixels : int, optional
        The most pixels opened at full size; ``DEFAULT_MAX_PIXELS`` when None. Pass a huge
        number to check only the safe limit (when a reduced copy is being made).
    bytes_per_pixel : int
        What the decoder allocates per pixel.
    name : str
        How messages name the picture, e.g. ``"'photo.png'"`` or ``"The pasted picture"``.
    claimed : bool
        True for a size read from a file (the safe limit applies), False for pixels in memory.

    Raises
    ------
    ImageError
        Beyond the safe limit, or not a size at all (zero or negative).
    ImageTooLarge
        Beyond ``max_pixels``.
    """
    width, height = int(width), int(height)
    if width < 1 or height < 1:
        raise ImageError(f"{name} has no pixels (its size is {width} x {height}).")
    pixels = width * height
    if claimed and (pixels > safe_pixel_limit() or pixels * bytes_per_pixel > MAX_DECODE_BYTES):
        raise _bomb_error(name, pixels)
    limit = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
    if pixels > limit:
        raise ImageTooLarge(width, height, int(limit), name)


def reduced_size(width: int, height: int, limit: int) -> tuple[int, int] | None:
    """The largest size of the same shape with at most ``limit`` pixels; None if it fits."""
    return _reduced_size(int(width), int(height), int(limit))


def _reduced_size(width: int, height: int, limit: int) -> tuple[int, int] | None:
    if width * height <= limit:
        return None
    scale = math.sqrt(limit / (width * height))
    w = max(1, min(width, int(width * scale)))
    h = max(1, min(height, int(height * scale), limit // w))
    # A very thin picture: one side stops at 1 pixel, so the other takes the whole budget.
    w = max(1, min(w, limit // h))
    return w, h


def _target_size(
    name: str, width: int, height: int, bpp: int, max_pixels: int, reduce_to: int | None
) -> tuple[int, int] | None:
    """The size to decode at (None: full size), after every guard passed."""
    if reduce_to is not None:
        check_picture_size(width, height, max_pixels=math.inf, bytes_per_pixel=bpp, name=name)
        return _reduced_size(width, height, int(reduce_to))
    check_picture_size(width, height, max_pixels=max_pixels, bytes_per_pixel=bpp, name=name)
    return None


def _check_tiff(name: str, fp: BinaryIO) -> TiffLayout:
    """The TIFF's layout as libtiff reads it, refused if ambiguous or beyond the byte budget."""
    try:
        layout = tiff_layout(fp)
    except ValueError as exc:
        raise ImageError(f"{name} is a damaged TIFF ({exc}), so it is not opened.") from None
    finally:
        fp.seek(0)
    pixels = layout.width * layout.height
    if pixels > safe_pixel_limit() or layout.decoded_bytes > MAX_DECODE_BYTES:
        raise _bomb_error(name, pixels)
    if layout.tile_bytes > max(layout.decoded_bytes, 1 << 20) * 2:
        raise ImageError(
            f"{name} is a damaged TIFF (its tiles are larger than the picture), so it is not "
            "opened."
        )
    return layout


def quiet_decoder_logs() -> None:
    """Keep OpenCV's own log lines (and the libtiff and libjpeg messages it relays) off stderr.

    Every failure is reported by the studio in one sentence; OpenCV would print its own
    warnings beside it. The studio's programs call this once; a library user may too.
    """
    import cv2

    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    with contextlib.suppress(Exception):  # builds differ in where the setting lives
        if logging is not None and hasattr(logging, "setLogLevel"):
            logging.setLogLevel(logging.LOG_LEVEL_SILENT)
        elif hasattr(cv2, "setLogLevel"):
            cv2.setLogLevel(0)


# --------------------------------------------------------------------------------------------
# Opening


def _open_picture(path: str | os.PathLike) -> tuple[str, BinaryIO, bytes, str]:
    """(path text, open file, first bytes, listed format) or a one-sentence refusal."""
    fp = open_user_file(path, max_bytes=MAX_FILE_BYTES, what="picture", error=ImageError)
    try:
        p = os.fsdecode(os.fspath(path))
        try:
            head = fp.read(SNIFF_BYTES)
        except OSError as exc:
            raise _read_error(p, exc) from None
        fmt = sniff_bytes(head)
        if fmt is None:
            raise ImageError(refusal(display_name(p), head))
        fp.seek(0)
        return p, fp, head, fmt
    except BaseException:
        fp.close()
        raise


def _read_error(path: str, exc: OSError) -> ImageError:
    if isinstance(exc, PermissionError):
        return ImageError(f"{display_name(path)} cannot be read: permission denied.")
    reason = (exc.strerror or str(exc) or type(exc).__name__).rstrip(".")
    return ImageError(f"{display_name(path)} cannot be read: {reason}.")


@contextlib.contextmanager
def _pillow_guard(name: str) -> Iterator[None]:
    """Keep Pillow's metadata complaints quiet and turn its bomb refusals into ours.

    ``warnings.catch_warnings`` changes process-wide state; loads from worker threads only ever
    tighten the bomb rule, so a race can make a warning an error, never let a bomb through.
    """
    with warnings.catch_warnings():
        # A damaged EXIF or text chunk says nothing about the pixels: do not print it.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            text = str(exc)
            pixels = 0
            with contextlib.suppress(ValueError):
                pixels = int(text[text.find("(") + 1 :].split(" ", 1)[0])
            raise _bomb_error(name, pixels) from exc


def _pillow_open(fp: BinaryIO, fmt: str, name: str) -> Image.Image | None:
    """Pillow's lazy reader for ``fp``, by the one plugin of ``fmt``; None if it declines.

    This is ``Image.open(fp, formats=[fmt])`` without Pillow's import of its five common
    plugins (which it does for a file object): the plugin of ``fmt`` is imported and asked
    alone, exactly as ``formats=`` asks it. No other plugin can be reached, whatever the file.
    """
    importlib.import_module(f"PIL.{PILLOW_PLUGINS[fmt]}")
    factory, accept = Image.OPEN[fmt]
    fp.seek(0)
    prefix = fp.read(16)
    result = True if accept is None else accept(prefix)
    if isinstance(result, str) or not result:
        return None
    fp.seek(0)
    try:
        return factory(fp, name)
    except (SyntaxError, IndexError, TypeError, struct.error):
        return None


def _damaged(path: str) -> ImageError:
    return ImageError(f"{display_name(path)} is damaged or cut short: its pixels could not be decoded.")


def _not_readable(path: str, fmt: str) -> ImageError:
    shown = "WebP" if fmt == "WEBP" else fmt
    return ImageError(
        f"{display_name(path)} is a {shown} file that Filter Studio cannot read (its header is damaged "
        "or uses a kind of picture it does not know)."
    )


@contextlib.contextmanager
def _decode_errors(path: str) -> Iterator[None]:
    """Whatever a decoder raises, but a decompression bomb, as one ImageError sentence."""
    name = display_name(path)
    try:
        yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise
    except Unsupported as exc:
        raise ImageError(
            f"{name} uses the pixel format {exc}, which Filter Studio cannot read."
        ) from None
    except NotFinite:
        raise ImageError(
            f"{name} holds values that are not finite numbers (NaN or infinity)."
        ) from None
    except MemoryError:
        raise ImageError(f"There is not enough memory to open {name}.") from None
    except Exception as exc:  # any decoder failure is a damaged file
        raise _damaged(path) from exc


def _load_opencv_tiff(
    path: str, fp: BinaryIO, layout: TiffLayout, max_pixels: int, reduce_to: int | None
) -> np.ndarray:
    """A TIFF that Pillow cannot hold (3-channel float, as save_image writes) goes to OpenCV."""
    name = display_name(path)
    bpp = layout.samples * max(1, -(-layout.bits // 8))
    target = _target_size(name, layout.width, layout.height, bpp, max_pixels, reduce_to)
    with _decode_errors(path):
        arr = _decode_opencv(fp, target)
    if target is None and arr.shape[:2] != (layout.height, layout.width):
        raise _damaged(path)  # the decoder saw another size than the guard judged
    if not np.all(np.isfinite(arr)):
        raise ImageError(f"{name} holds values that are not finite numbers (NaN or infinity).")
    return finish(arr, 1)


def _opened(path: str, fp: BinaryIO, fmt: str) -> tuple[Image.Image | None, TiffLayout | None]:
    """Pillow's reader (None if its plugin declines) and, for TIFF, the checked layout."""
    name = display_name(path)
    layout = _check_tiff(name, fp) if fmt == "TIFF" else None
    try:
        im = _pillow_open(fp, fmt, path)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise
    except OSError as exc:
        if exc.errno is None:  # Pillow's own complaint about the content, not the disk's
            raise _damaged(path) from exc
        raise _read_error(path, exc) from exc
    except Exception as exc:  # a hostile header may raise anything
        raise _damaged(path) from exc
    if im is None and layout is None:
        raise _not_readable(path, fmt)
    return im, layout


@dataclass(frozen=True)
class _Picture:
    """An opened picture: its path text and name, file, first bytes, format, and either
    Pillow's image or (a TIFF Pillow declines) the checked layout."""

    path: str
    name: str
    fp: BinaryIO
    head: bytes
    fmt: str
    im: Image.Image | None
    layout: TiffLayout | None


@contextlib.contextmanager
def _reading(path: str | os.PathLike) -> Iterator[_Picture]:
    """The picture at ``path``, opened and checked; on the way out the file is closed and a
    Pillow bomb refusal becomes our sentence."""
    p, fp, head, fmt = _open_picture(path)
    name = display_name(p)
    with fp, _pillow_guard(name):
        im, layout = _opened(p, fp, fmt)
        yield _Picture(p, name, fp, head, fmt, im, layout)


def load_image(
    path: str | os.PathLike,
    *,
    max_pixels: int | None = None,
    reduce_to: int | None = None,
    decoder: str = "auto",
) -> np.ndarray:
    """Read a picture as float32 intensities in [0, 1], upright, as SPEC.md "Pixels" says.

    Only a regular file is opened, only the listed formats are decoded (judged by content:
    a PostScript file named ``.png`` is refused), and the size the decoder will use is judged
    before any pixel is decoded.

    Parameters
    ----------
    path : str or os.PathLike
        A PNG, JPEG, BMP, TIFF, WebP or GIF file (an animated file gives its first frame).
    max_pixels : int, optional
        Defaults to ``DEFAULT_MAX_PIXELS`` as it is when the picture is opened.
        A picture with more pixels is refused with :class:`ImageTooLarge` (unless ``reduce_to``).
    reduce_to : int, optional
        Decode a reduced copy with at most this many pixels when the picture has more;
        ``max_pixels`` is then not checked (the safe limit still is). JPEG is decoded at
        reduced size directly.
    decoder : {"auto", "pillow"}
        ``"auto"``: OpenCV decodes the JPEG and PNG pictures whose samples it gives exactly as
        Pillow does (faster, see :mod:`filterstudio.core.cvdecode`), Pillow the rest.
        ``"pillow"``: Pillow decodes every picture. Both give the same array.

    Returns
    -------
    numpy.ndarray
        float32, ``(H, W)`` for grey pictures, ``(H, W, 3)`` for colour ones: 8-bit samples
        divided by 255, 16-bit by 65535, float TIFF as stored, 1-bit as 0.0 / 1.0.
        Palette, CMYK and YCbCr become RGB; alpha is dropped; EXIF orientation is applied.

    Raises
    ------
    ImageTooLarge
        The picture is larger than ``max_pixels`` (and ``reduce_to`` was not given).
    ImageError
        Anything else that stops the picture being read, with one sentence that says what.

    Examples
    --------
    >>> image = load_image("photo.jpg")                      # doctest: +SKIP
    >>> thumb = load_image("huge.jpg", reduce_to=4_000_000)  # doctest: +SKIP
    """
    if max_pixels is None:
        max_pixels = DEFAULT_MAX_PIXELS  # read now, so the limit can be changed at run time
    if reduce_to is not None and int(reduce_to) < 1:
        raise ValueError("reduce_to must be at least 1 pixel.")
    if decoder not in ("auto", "pillow"):
        raise ValueError(f"Unknown decoder {decoder!r}; use 'auto' or 'pillow'.")
    with _reading(path) as pic:
        p, name, fp, head, fmt, im = pic.path, pic.name, pic.fp, pic.head, pic.fmt, pic.im
        if im is None:
            return _load_opencv_tiff(p, fp, pic.layout, max_pixels, reduce_to)
        with im:
            width, height = im.size
            bpp = MODE_BYTES.get(im.mode, 4)
            target = _target_size(name, width, height, bpp, max_pixels, reduce_to)
            flags = fast_flags(fmt, im.mode, head) if decoder == "auto" else None
            if target is None and flags is not None:
                # Pillow reads a PNG's EXIF only when it comes before the pixels; to look for
                # one after them it decodes the whole picture, which decode_fast does instead.
                known = fmt != "PNG" or "exif" in im.info
                try:
                    fast = decode_fast(
                        fp, flags, width, height, exif_orientation(im) if known else None,
                        MAX_DECODE_BYTES,
                    )
                except MemoryError:
                    raise ImageError(f"There is not enough memory to open {name}.") from None
                if fast is not None:
                    return fast
            orientation = exif_orientation(im)
            with _decode_errors(p):
                if high_depth_colour(im, head):
                    if fmt == "PNG":
                        # libpng, inside OpenCV, prints its complaints about a damaged file on
                        # stderr: Pillow reads the file first, and refuses it quietly.
                        im.load()
                    arr = _decode_opencv(fp, target)
                else:
                    arr = _decode_pillow(im, target)
    return finish(arr, orientation)


def read_image_info(path: str | os.PathLike) -> ImageInfo:
    """Size, mode, format and frame count of a picture, read without decoding its pixels.

    Parameters
    ----------
    path : str or os.PathLike
        The picture file.

    Returns
    -------
    ImageInfo
        ``width`` and ``height`` upright (EXIF orientation applied).

    Raises
    ------
    ImageError
        The file is missing, not a regular file, not one of the listed formats, or claims a
        size beyond the safe pixel limit.
    """
    with _reading(path) as pic:
        name, im, layout = pic.name, pic.im, pic.layout
        if im is None:
            bpp = layout.samples * max(1, -(-layout.bits // 8))
            check_picture_size(
                layout.width, layout.height, max_pixels=math.inf, bytes_per_pixel=bpp, name=name
            )
            return ImageInfo(layout.width, layout.height, "RGB float32", "TIFF", 1)
        with im:
            check_picture_size(
                im.width, im.height, max_pixels=math.inf,
                bytes_per_pixel=MODE_BYTES.get(im.mode, 4), name=name,
            )
            try:
                frames = int(getattr(im, "n_frames", 1) or 1)
            except Exception:  # noqa: BLE001 - counting frames of a damaged file
                frames = 1
            width, height = upright_size(im.width, im.height, exif_orientation(im))
            alpha = im.mode in ALPHA_MODES or "transparency" in im.info
            return ImageInfo(width, height, im.mode, im.format or "", frames, alpha)
