"""Pictures in and feature maps out: load_image(), save_image(), atomic writes and image errors."""

from __future__ import annotations

import contextlib
import errno
import math
import os
import struct
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

DEFAULT_MAX_PIXELS = 50_000_000
"""Pictures with more pixels than this are refused at full size (about 50 megapixels)."""

READ_FORMATS = ("PNG", "JPEG", "BMP", "TIFF", "WebP", "GIF")

SAVE_FORMATS: dict[str, str] = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".bmp": "BMP",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".npy": "NPY",
}
"""File extension -> format written by :func:`save_image`."""

# EXIF orientation -> how the stored pixels are turned upright (as ImageOps.exif_transpose does).
_ORIENTATION_TAG = 0x0112

_EIGHT_BIT_MODES = ("L", "RGB")
_TO_RGB_MODES = ("P", "PA", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV")
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")


class ImageError(ValueError):
    """A picture that cannot be read or a map that cannot be written; the message is one sentence."""


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

    @property
    def pixels(self) -> int:
        """``width * height``."""
        return self.width * self.height


# --------------------------------------------------------------------------------------------
# Reading


def _name(path: str) -> str:
    return repr(os.path.basename(path) or path)


def _check_path(path: str | os.PathLike) -> str:
    try:
        p = os.fspath(path)
    except TypeError:
        raise ImageError(f"{path!r} is not a file path.") from None
    if isinstance(p, bytes):
        p = os.fsdecode(p)
    if not p:
        raise ImageError("No picture was named (the path is empty).")
    if os.path.isdir(p):
        raise ImageError(f"{_name(p)} is a folder, not a picture.")
    if not os.path.exists(p):
        raise ImageError(f"There is no file at {p!r}.")
    try:
        size = os.path.getsize(p)
    except OSError as exc:
        raise _read_error(p, exc) from exc
    if size == 0:
        raise ImageError(f"{_name(p)} is empty (0 bytes), so it holds no picture.")
    return p


def _read_error(path: str, exc: OSError) -> ImageError:
    if isinstance(exc, PermissionError):
        return ImageError(f"{_name(path)} cannot be read: permission denied.")
    if isinstance(exc, FileNotFoundError):
        return ImageError(f"There is no file at {path!r}.")
    reason = (exc.strerror or str(exc) or type(exc).__name__).rstrip(".")
    return ImageError(f"{_name(path)} cannot be read: {reason}.")


def _bomb_error(path: str, exc: BaseException | None, pixels: int | None = None) -> ImageError:
    if pixels is None and exc is not None:
        # Pillow words it "Image size (N pixels) exceeds limit of M pixels ...".
        text = str(exc)
        start = text.find("(")
        with contextlib.suppress(ValueError):
            pixels = int(text[start + 1 :].split(" ", 1)[0])
    limit = Image.MAX_IMAGE_PIXELS
    count = f"{pixels:,} pixels" if pixels else "Its size in pixels"
    return ImageError(
        f"{_name(path)} was not opened: {count} is more than the safe limit of {limit:,} pixels "
        "for one picture (a damaged or hostile file can claim a huge size)."
    )


def _check_bomb(path: str, width: int, height: int) -> None:
    """Pillow's decompression-bomb rule, for files that Pillow itself cannot open."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and max(1, width) * max(1, height) > limit:
        raise _bomb_error(path, None, max(1, width) * max(1, height))


@contextlib.contextmanager
def _pillow_guard(path: str) -> Iterator[None]:
    """Turn Pillow's bomb warning into a refusal and keep its metadata complaints quiet.

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
            raise _bomb_error(path, exc) from exc


@contextlib.contextmanager
def _open_binary(path: str) -> Iterator[BinaryIO]:
    try:
        fp = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise _read_error(path, exc) from exc
    with fp:
        yield fp


def _pillow_open(path: str) -> Image.Image:
    """Pillow's lazy reader for the picture at ``path``.

    Opened by its name, not through a file object: Pillow then imports only the plugin of the
    file's extension and tries it first, where a file object makes it import its five common
    plugins before looking. A file whose content does not match its extension is still found by
    content, among every format Pillow reads, exactly as before.
    """
    return Image.open(path)


def _not_an_image(path: str) -> ImageError:
    return ImageError(
        f"{_name(path)} is not a picture Filter Studio can read "
        f"({', '.join(READ_FORMATS[:-1])} or {READ_FORMATS[-1]})."
    )


def _damaged(path: str) -> ImageError:
    return ImageError(f"{_name(path)} is damaged or cut short: its pixels could not be decoded.")


def _is_tiff(head: bytes) -> bool:
    return head[:4] in (b"II*\x00", b"MM\x00*")


def _tiff_size(fp: BinaryIO) -> tuple[int, int] | None:
    """``(width, height)`` from the first IFD of a TIFF, or None if the header is unreadable."""
    try:
        fp.seek(0)
        head = fp.read(8)
        order = "<" if head[:2] == b"II" else ">"
        (offset,) = struct.unpack(order + "I", head[4:8])
        fp.seek(offset)
        (count,) = struct.unpack(order + "H", fp.read(2))
        width = height = None
        for _ in range(min(count, 4096)):
            tag, typ, _n, raw = struct.unpack(order + "HHI4s", fp.read(12))
            if typ == 3:  # SHORT
                value = struct.unpack(order + "H", raw[:2])[0]
            elif typ == 4:  # LONG
                value = struct.unpack(order + "I", raw)[0]
            else:
                continue
            if tag == 256:
                width = value
            elif tag == 257:
                height = value
        if width and height:
            return int(width), int(height)
    except (struct.error, OSError, ValueError):
        pass
    return None


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation (1..8) of an opened picture; 1 when absent or unreadable."""
    try:
        value = int(im.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:  # noqa: BLE001 - damaged metadata must not stop the pixels
        return 1
    return value if 1 <= value <= 8 else 1


def _upright(arr: np.ndarray, orientation: int) -> np.ndarray:
    """``arr`` turned upright for an EXIF ``orientation``, exactly as ImageOps.exif_transpose."""
    if orientation == 2:  # mirrored
        arr = arr[:, ::-1]
    elif orientation == 3:  # rotated 180
        arr = arr[::-1, ::-1]
    elif orientation == 4:  # flipped
        arr = arr[::-1]
    elif orientation == 5:  # transpose
        arr = arr.swapaxes(0, 1)
    elif orientation == 6:  # rotated 90 clockwise to be upright
        arr = np.rot90(arr, -1)
    elif orientation == 7:  # transverse
        arr = arr[::-1, ::-1].swapaxes(0, 1)
    elif orientation == 8:  # rotated 90 counter-clockwise to be upright
        arr = np.rot90(arr, 1)
    return np.ascontiguousarray(arr)


def _upright_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _reduced_size(width: int, height: int, limit: int) -> tuple[int, int] | None:
    """The largest size of the same shape with at most ``limit`` pixels; None if it fits."""
    if width * height <= limit:
        return None
    scale = math.sqrt(limit / (width * height))
    w = max(1, min(width, int(width * scale)))
    h = max(1, min(height, int(height * scale), limit // w))
    # A very thin picture: one side stops at 1 pixel, so the other takes the whole budget.
    w = max(1, min(w, limit // h))
    return w, h


def _high_depth_colour(im: Image.Image, head: bytes) -> bool:
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


def _decode_opencv(fp: BinaryIO, target: tuple[int, int] | None) -> np.ndarray:
    """Decode with OpenCV: 16-bit colour and 3-channel float TIFF, which Pillow cannot hold."""
    import cv2

    fp.seek(0)
    data = np.frombuffer(fp.read(), dtype=np.uint8)
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
        raise _Unsupported(f"{arr.dtype} samples")
    return out


class _Unsupported(Exception):
    """A pixel format the studio does not read (internal; becomes an ImageError)."""


def _working_image(im: Image.Image) -> tuple[Image.Image, float | None]:
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
    raise _Unsupported(mode)


def _decode_pillow(im: Image.Image, target: tuple[int, int] | None) -> np.ndarray:
    if target is not None and im.format == "JPEG":
        # JPEG decodes straight to 1/2, 1/4 or 1/8 size: the full picture is never held.
        im.draft(None, target)
    im.load()
    work, divisor = _working_image(im)
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
            raise _Unsupported("32-bit integer")
    arr = np.array(work, dtype=np.float32)
    if divisor is not None and divisor != 1.0:
        arr /= np.float32(divisor)
    elif divisor is None and not np.all(np.isfinite(arr)):
        raise _NotFinite()
    return arr


class _NotFinite(Exception):
    """A float picture holding NaN or infinity (internal; becomes an ImageError)."""


def _finish(arr: np.ndarray, orientation: int) -> np.ndarray:
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    arr = _upright(arr, orientation)
    if arr.dtype != np.float32 or not arr.flags.writeable:
        arr = np.array(arr, dtype=np.float32)
    return arr


def load_image(
    path: str | os.PathLike,
    *,
    max_pixels: int | None = None,
    reduce_to: int | None = None,
) -> np.ndarray:
    """Read a picture as float32 intensities in [0, 1], upright, as SPEC.md "Pixels" says.

    Parameters
    ----------
    path : str or os.PathLike
        A PNG, JPEG, BMP, TIFF, WebP or GIF file (an animated file gives its first frame).
    max_pixels : int, optional
        Defaults to ``DEFAULT_MAX_PIXELS`` as it is when the picture is opened.
        A picture with more pixels is refused with :class:`ImageTooLarge` (unless ``reduce_to``).
    reduce_to : int, optional
        Decode a reduced copy with at most this many pixels when the picture has more;
        ``max_pixels`` is then not checked. JPEG is decoded at reduced size directly.

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
    p = _check_path(path)
    with _pillow_guard(p), _open_binary(p) as fp:
        head = fp.read(32)
        fp.seek(0)
        try:
            im = _pillow_open(p)
        except UnidentifiedImageError:
            return _load_unidentified(p, fp, head, max_pixels, reduce_to)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise
        except OSError as exc:
            raise _read_error(p, exc) from exc
        except Exception as exc:  # a hostile header may raise anything
            raise _damaged(p) from exc
        with im:
            width, height = im.size
            target = _target_size(p, width, height, max_pixels, reduce_to)
            orientation = _orientation(im)
            try:
                if _high_depth_colour(im, head):
                    arr = _decode_opencv(fp, target)
                else:
                    arr = _decode_pillow(im, target)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise
            except _Unsupported as exc:
                raise ImageError(
                    f"{_name(p)} uses the pixel format {exc}, which Filter Studio cannot read."
                ) from None
            except _NotFinite:
                raise ImageError(
                    f"{_name(p)} holds values that are not finite numbers (NaN or infinity)."
                ) from None
            except MemoryError:
                raise ImageError(f"There is not enough memory to open {_name(p)}.") from None
            except Exception as exc:  # any decoder failure is a damaged file
                raise _damaged(p) from exc
    return _finish(arr, orientation)


def _target_size(
    path: str, width: int, height: int, max_pixels: int, reduce_to: int | None
) -> tuple[int, int] | None:
    if reduce_to is not None:
        return _reduced_size(width, height, int(reduce_to))
    if width * height > max_pixels:
        raise ImageTooLarge(width, height, max_pixels, _name(path))
    return None


def _load_unidentified(
    path: str, fp: BinaryIO, head: bytes, max_pixels: int, reduce_to: int | None
) -> np.ndarray:
    """A TIFF that Pillow cannot open (3-channel float, as save_image writes) goes to OpenCV."""
    size = _tiff_size(fp) if _is_tiff(head) else None
    if size is None:
        raise _not_an_image(path)
    _check_bomb(path, *size)
    target = _target_size(path, size[0], size[1], max_pixels, reduce_to)
    try:
        arr = _decode_opencv(fp, target)
    except _Unsupported as exc:
        raise ImageError(
            f"{_name(path)} uses the pixel format {exc}, which Filter Studio cannot read."
        ) from None
    except MemoryError:
        raise ImageError(f"There is not enough memory to open {_name(path)}.") from None
    except Exception as exc:  # any decoder failure is a damaged file
        raise _damaged(path) from exc
    if not np.all(np.isfinite(arr)):
        raise ImageError(
            f"{_name(path)} holds values that are not finite numbers (NaN or infinity)."
        )
    return _finish(arr, 1)


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
        The file is missing, unreadable, not a picture, or beyond Pillow's safe pixel limit.
    """
    p = _check_path(path)
    with _pillow_guard(p), _open_binary(p) as fp:
        head = fp.read(32)
        fp.seek(0)
        try:
            im = _pillow_open(p)
        except UnidentifiedImageError:
            size = _tiff_size(fp) if _is_tiff(head) else None
            if size is None:
                raise _not_an_image(p) from None
            _check_bomb(p, *size)
            return ImageInfo(size[0], size[1], "RGB float32", "TIFF", 1)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise
        except OSError as exc:
            raise _read_error(p, exc) from exc
        except Exception as exc:  # a hostile header may raise anything
            raise _damaged(p) from exc
        with im:
            try:
                frames = int(getattr(im, "n_frames", 1) or 1)
            except Exception:  # noqa: BLE001 - counting frames of a damaged file
                frames = 1
            width, height = _upright_size(im.width, im.height, _orientation(im))
            return ImageInfo(width, height, im.mode, im.format or "", frames)


# --------------------------------------------------------------------------------------------
# Writing


def _umask() -> int:
    # os.umask can only be read by setting it, which races with other threads; /proc does not.
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[str]:
    """Yield a temporary path beside ``path`` that replaces ``path`` only if the block succeeds.

    The temporary file has the same extension (so encoders that look at it pick the right
    format), is flushed to disk, and is renamed over ``path`` in one step: a reader sees the old
    file or the new one, never a partial one. On any failure the temporary file is removed and
    ``path`` is left exactly as it was.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    overwrite : bool
        If False, raise :class:`FileExistsError` when ``path`` exists (checked before writing and
        again, without a race, when the new file is put in place).

    Raises
    ------
    OSError
        From the file system (missing or read-only folder, full disk, ...).
    """
    target = os.fspath(path)
    if not overwrite and os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, "File exists", target)
    folder = os.path.dirname(os.path.abspath(target))
    base = os.path.basename(target)
    suffix = os.path.splitext(base)[1]
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        try:
            mode = os.stat(target).st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # refuses, atomically, if the target appeared meanwhile
            except FileExistsError:
                raise
            except OSError:  # no hard links on this file system (FAT, some network shares)
                if os.path.lexists(target):
                    raise FileExistsError(errno.EEXIST, "File exists", target) from None
                os.replace(tmp, target)
            else:
                os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(folder)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_format(path: str | os.PathLike) -> str:
    """The format :func:`save_image` writes for ``path`` ("PNG", "TIFF", "NPY", ...).

    Raises
    ------
    ImageError
        The extension is not one Filter Studio writes; the message lists those it does.
    """
    p = os.fspath(path)
    ext = os.path.splitext(p)[1].lower()
    try:
        return SAVE_FORMATS[ext]
    except KeyError:
        shown = repr(ext) if ext else "no extension"
        raise ImageError(
            f"Cannot save {_name(p)}: {shown} is not a format Filter Studio writes; "
            f"use one of {', '.join(SAVE_FORMATS)}."
        ) from None


def _write_error(path: str, exc: OSError) -> ImageError:
    folder = os.path.dirname(os.path.abspath(path))
    if isinstance(exc, FileExistsError):
        return ImageError(f"{_name(path)} already exists.")
    if isinstance(exc, PermissionError):
        return ImageError(
            f"Cannot write {_name(path)}: permission denied in the folder {folder!r}."
        )
    if exc.errno == errno.ENOSPC:
        return ImageError(f"Cannot write {_name(path)}: the disk is full.")
    if exc.errno == errno.EDQUOT:
        return ImageError(f"Cannot write {_name(path)}: the disk quota is used up.")
    if exc.errno == errno.EROFS:
        return ImageError(f"Cannot write {_name(path)}: the disk is read-only.")
    if isinstance(exc, FileNotFoundError):
        if os.path.isdir(folder):  # e.g. /proc: there, but no file can be made in it
            return ImageError(
                f"Cannot write {_name(path)}: the folder {folder!r} takes no new files."
            )
        return ImageError(f"Cannot write {_name(path)}: the folder {folder!r} does not exist.")
    reason = (exc.strerror or str(exc) or type(exc).__name__).rstrip(".")
    return ImageError(f"Cannot write {_name(path)}: {reason}.")


def _as_map(values) -> np.ndarray:
    try:
        arr = np.asarray(values)
    except Exception as exc:  # anything that is not an array
        raise ImageError("Only a numeric array can be saved as a picture.") from exc
    if arr.dtype.kind not in "biuf":
        raise ImageError(f"Only a numeric array can be saved as a picture, not {arr.dtype}.")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ImageError(
            f"A picture is (H, W) or (H, W, 3); this array has shape {tuple(arr.shape)}."
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageError("An empty map (no rows or no columns) cannot be saved.")
    return arr


# Formats whose Pillow plugin registers its file extensions unconditionally, so that Pillow
# picks the same format from the extension as when it is named.
_SAVE_BY_EXTENSION = ("PNG", "JPEG", "BMP")


def _pillow_save(pic: Image.Image, path: str, fmt: str, options: dict) -> None:
    """``pic.save(path, format=fmt, **options)``, importing only the plugin that writes ``fmt``.

    Pillow imports its five common plugins whenever a format is named; left to read the format
    from ``path``'s extension (always the target's, see :func:`atomic_write`) it imports just
    the one plugin. Formats whose plugin may be missing from a Pillow build stay named.
    """
    if fmt in _SAVE_BY_EXTENSION and SAVE_FORMATS.get(os.path.splitext(path)[1].lower()) == fmt:
        pic.save(path, **options)
    else:
        pic.save(path, format=fmt, **options)


def _encode(values: np.ndarray, fmt: str, display: str | None, colormap: str | None):
    """A function that writes the encoded map to a path (everything that can fail runs now)."""
    if fmt == "NPY":
        exact = np.ascontiguousarray(values, dtype=np.float32)

        def write(tmp: str) -> None:
            with open(tmp, "wb") as f:
                np.save(f, exact, allow_pickle=False)

        return write
    if fmt == "TIFF" and display is None:
        exact = np.ascontiguousarray(values, dtype=np.float32)
        if exact.ndim == 2:
            pic = Image.fromarray(exact)

            def write(tmp: str) -> None:
                pic.save(tmp, format="TIFF")

            return write
        import cv2

        # Pillow has no 3-channel float mode; OpenCV writes 32-bit float TIFF (it stores BGR).
        ok, buf = cv2.imencode(".tiff", np.ascontiguousarray(exact[:, :, ::-1]))
        if not ok:
            raise ImageError("OpenCV could not encode the map as a float TIFF.")
        data = buf.tobytes()

        def write(tmp: str) -> None:
            with open(tmp, "wb") as f:
                f.write(data)

        return write
    from .display import to_uint8  # lazily: colour-map machinery only when a picture is made

    u8 = to_uint8(values, display or "clip", colormap=colormap)
    pic = Image.fromarray(np.ascontiguousarray(u8, dtype=np.uint8))
    options: dict = {}
    if fmt == "JPEG":
        options = {"quality": 95}
    elif fmt == "WEBP":
        options = {"lossless": True}

    def write(tmp: str) -> None:
        _pillow_save(pic, tmp, fmt, options)

    return write


def save_image(
    path: str | os.PathLike,
    values: np.ndarray,
    *,
    display: str | None = None,
    colormap: str | None = None,
    overwrite: bool = True,
) -> None:
    """Write a feature map or picture, atomically (the old file stays whole if anything fails).

    Parameters
    ----------
    path : str or os.PathLike
        ``.npy`` is always the exact float32 array. ``.tif``/``.tiff`` is exact 32-bit float
        when ``display`` is None, else 8-bit. ``.png``, ``.jpg``/``.jpeg``, ``.bmp`` and ``.webp``
        are 8-bit (WebP lossless).
    values : numpy.ndarray
        ``(H, W)`` or ``(H, W, 3)``.
    display : str, optional
        The mapping to 8 bits (see :data:`filterstudio.core.display.MAPPINGS`); default ``clip``.
    colormap : str, optional
        Colour map for the 8-bit picture.
    overwrite : bool
        If False and ``path`` exists, refuse.

    Raises
    ------
    ImageError
        Unknown extension, existing file with ``overwrite=False``, missing or read-only folder,
        full disk, or an array that is not a picture; one sentence each.

    Examples
    --------
    >>> save_image("edges.npy", feature_map)                     # doctest: +SKIP
    >>> save_image("edges.png", feature_map, display="minmax")   # doctest: +SKIP
    """
    p = os.fspath(path)
    fmt = save_format(p)
    arr = _as_map(values)
    if os.path.isdir(p):
        raise ImageError(f"Cannot save to {_name(p)}: it is a folder.")
    folder = os.path.dirname(os.path.abspath(p))
    if not os.path.isdir(folder):
        raise ImageError(f"Cannot write {_name(p)}: the folder {folder!r} does not exist.")
    if not overwrite and os.path.lexists(p):
        raise ImageError(f"{_name(p)} already exists.")
    write = _encode(arr, fmt, display, colormap)
    try:
        with atomic_write(p, overwrite=overwrite) as tmp:
            write(tmp)
    except OSError as exc:
        raise _write_error(p, exc) from exc
    except MemoryError:
        raise ImageError(f"There is not enough memory to write {_name(p)}.") from None
    except Exception as exc:  # an encoder refusing (e.g. WebP above 16383 px)
        reason = str(exc).rstrip(".") or type(exc).__name__
        raise ImageError(f"Cannot write {_name(p)}: {reason}.") from exc
