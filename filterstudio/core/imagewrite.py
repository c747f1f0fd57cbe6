"""Feature maps out: save_image(), save_format() and the one-sentence write errors."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable

import numpy as np
from PIL import Image

from .atomic import atomic_write, check_target
from .formats import ImageError, written_format
from .userfile import display_name

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


def save_format(path: str | os.PathLike) -> str:
    """The format :func:`save_image` writes for ``path`` ("PNG", "TIFF", "NPY", ...).

    Raises
    ------
    ImageError
        The extension is not one Filter Studio writes; the message lists those it does.
    """
    return written_format(path, SAVE_FORMATS, ImageError, verb="save", kind="a format")


class _CommitRefused(Exception):
    """``before_commit`` failed (internal: carries its exception past the write errors)."""

    def __init__(self, reason: Exception) -> None:
        super().__init__(str(reason))
        self.reason = reason


def write_npy(f, array: np.ndarray) -> None:
    """Write ``array`` as a ``.npy`` file through ``f``'s own ``write``.

    ``numpy.save`` hands a real file to ``ndarray.tofile``, which reports a full disk as
    "N requested and M written" without an errno; plain writes raise ``OSError(ENOSPC)``.
    """
    arr = np.ascontiguousarray(array)
    np.lib.format.write_array_header_1_0(f, np.lib.format.header_data_from_array_1_0(arr))
    view = memoryview(arr.reshape(-1)).cast("B")
    step = 16 << 20
    for start in range(0, len(view), step):
        f.write(view[start : start + step])


def _write_error(path: str, exc: OSError) -> ImageError:
    folder = os.path.dirname(os.path.abspath(path))
    if isinstance(exc, FileExistsError):
        return ImageError(f"{display_name(path)} already exists.")
    if isinstance(exc, PermissionError):
        return ImageError(
            f"Cannot write {display_name(path)}: permission denied in the folder {folder!r}."
        )
    if exc.errno == errno.ENOSPC:
        return ImageError(f"Cannot write {display_name(path)}: the disk is full.")
    if exc.errno == errno.EFBIG:
        return ImageError(f"{display_name(path)} would be larger than this disk or account allows.")
    if exc.errno == errno.EDQUOT:
        return ImageError(f"Cannot write {display_name(path)}: the disk quota is used up.")
    if exc.errno == errno.EROFS:
        return ImageError(f"Cannot write {display_name(path)}: the disk is read-only.")
    if isinstance(exc, FileNotFoundError):
        if os.path.isdir(folder):  # e.g. /proc: there, but no file can be made in it
            return ImageError(
                f"Cannot write {display_name(path)}: the folder {folder!r} takes no new files."
            )
        return ImageError(f"Cannot write {display_name(path)}: the folder {folder!r} does not exist.")
    reason = (exc.strerror or str(exc) or type(exc).__name__).rstrip(".")
    return ImageError(f"Cannot write {display_name(path)}: {reason}.")


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


def _encode(
    values: np.ndarray,
    fmt: str,
    display: str | None,
    colormap: str | None,
    png_compression: int | None,
    name: str,
):
    """A function that writes the encoded map to a path (everything that can fail runs now)."""
    if fmt == "NPY":
        exact = np.ascontiguousarray(values, dtype=np.float32)

        def write(tmp: str) -> None:
            with open(tmp, "wb") as f:
                write_npy(f, exact)

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
    if fmt in ("PNG", "JPEG"):
        pieces = encode_uint8(u8, fmt, png_compression=png_compression, name=name)
        del u8

        def write(tmp: str) -> None:
            with open(tmp, "wb") as f:
                for piece in pieces:
                    f.write(piece)

        return write
    pic = Image.fromarray(np.ascontiguousarray(u8, dtype=np.uint8))
    options: dict = {}
    if fmt == "WEBP":
        options = {"lossless": True}

    def write(tmp: str) -> None:
        _pillow_save(pic, tmp, fmt, options)

    return write


#: JPEG's largest side (libjpeg's limit).
_JPEG_MAX_SIDE = 65500
#: The quality JPEG maps are written at.
JPEG_QUALITY = 95
#: ``png_compression`` values: None, or a zlib level from 0 to 9.
PNG_LEVELS = range(10)


def encode_uint8(
    pixels: np.ndarray, fmt: str, *, png_compression: int | None = None, name: str = "The map"
) -> list:
    """An 8-bit picture as the bytes of a PNG or JPEG file, in pieces to write in order.

    Parameters
    ----------
    pixels : numpy.ndarray
        uint8 ``(H, W)`` grey or ``(H, W, 3)`` RGB.
    fmt : {"PNG", "JPEG"}
        The format.
    png_compression : int, optional
        None (default): the fastest PNG, as OpenCV writes it by default (each row filtered
        against its left neighbour, zlib level 1 matching runs of equal bytes), deflated on
        every core (:func:`filterstudio.core.pngwrite.encode_png`); about three times the speed
        of level 6 for files about 40% larger. 0 to 9: that zlib level with libpng's choice of
        filter per row, by OpenCV, on one core (3 already gives files close to 9's, in about
        twice the time of the default). JPEG ignores it: JPEG is written at quality 95 with
        4:2:0 chroma, byte for byte what Pillow writes with ``quality=95``.
    name : str
        How messages name the file.

    Returns
    -------
    list of bytes-like
        The file's content.

    Raises
    ------
    ImageError
        A picture too large for the format, or one the encoder refuses.
    """
    import cv2

    if png_compression is not None and png_compression not in PNG_LEVELS:
        raise ImageError(f"The PNG compression level is 0 to 9, not {png_compression!r}.")
    if fmt == "PNG" and png_compression is None:
        from .pngwrite import encode_png

        try:
            return encode_png(pixels)
        except ValueError as exc:
            raise ImageError(f"Cannot write {name}: {str(exc).rstrip('.')}.") from None
    if fmt == "JPEG" and max(pixels.shape[:2]) > _JPEG_MAX_SIDE:
        h, w = pixels.shape[:2]
        raise ImageError(
            f"Cannot write {name}: JPEG holds at most {_JPEG_MAX_SIDE:,} pixels a side, and "
            f"this map is {w:,} x {h:,}; use PNG or TIFF."
        )
    if pixels.ndim == 3:
        pixels = cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2BGR)  # OpenCV's order
    if fmt == "JPEG":
        params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    else:
        params = [cv2.IMWRITE_PNG_COMPRESSION, int(png_compression)]
    try:
        ok, buf = cv2.imencode(".jpg" if fmt == "JPEG" else ".png", pixels, params)
    except cv2.error:
        ok = False
    if not ok:
        raise ImageError(f"Cannot write {name}: the {fmt} encoder refused this map.")
    return [memoryview(buf).cast("B")]


def save_image(
    path: str | os.PathLike,
    values: np.ndarray,
    *,
    display: str | None = None,
    colormap: str | None = None,
    overwrite: bool = True,
    before_commit: Callable[[], None] | None = None,
    png_compression: int | None = None,
) -> None:
    """Write a feature map or picture, atomically (the old file stays whole if anything fails).

    Parameters
    ----------
    path : str or os.PathLike
        ``.npy`` is always the exact float32 array. ``.tif``/``.tiff`` is exact 32-bit float
        when ``display`` is None, else 8-bit. ``.png``, ``.jpg``/``.jpeg``, ``.bmp`` and ``.webp``
        are 8-bit (JPEG quality 95, WebP lossless).
    values : numpy.ndarray
        ``(H, W)`` or ``(H, W, 3)``.
    display : str, optional
        The mapping to 8 bits (see :data:`filterstudio.core.display.MAPPINGS`); default ``clip``.
    colormap : str, optional
        Colour map for the 8-bit picture.
    overwrite : bool
        If False and ``path`` exists, refuse.
    before_commit : callable, optional
        Called once the file is written in full, before it replaces ``path``; whatever it
        raises is raised unchanged and nothing is put in place (e.g. the command line reports
        the map on stdout here, so that a failed report leaves no output file).
    png_compression : int, optional
        None (default) writes PNG fast; a zlib level from 0 to 9 trades time for size (see
        :func:`encode_uint8`, which writes PNG and JPEG).

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
    check_target(p, overwrite=overwrite, error=ImageError)
    write = _encode(arr, fmt, display, colormap, png_compression, display_name(p))
    try:
        with atomic_write(p, overwrite=overwrite) as tmp:
            write(tmp)
            if before_commit is not None:
                try:
                    before_commit()
                except Exception as exc:
                    raise _CommitRefused(exc) from exc
    except _CommitRefused as refused:
        raise refused.reason from None
    except OSError as exc:
        raise _write_error(p, exc) from exc
    except MemoryError:
        raise ImageError(f"There is not enough memory to write {display_name(p)}.") from None
    except Exception as exc:  # an encoder refusing (e.g. WebP above 16383 px)
        reason = str(exc).rstrip(".") or type(exc).__name__
        raise ImageError(f"Cannot write {display_name(p)}: {reason}.") from exc
