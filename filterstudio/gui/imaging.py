"""Converts between numpy pixel arrays and QImage, for every widget and file action alike.

Two directions, each written once:

- :func:`array_to_qimage` shows 8-bit pixels: grey ``(H, W)``, RGB ``(H, W, 3)`` or RGBA
  ``(H, W, 4)``. The QImage reads the array's own memory when it can (no copy) and holds a
  reference to it, so the pixels live as long as the Python QImage does. An image handed to Qt
  to keep beyond that (the clipboard) is asked for with ``copy=True``.
- :func:`qimage_to_array` reads a QImage (pasted, dropped) as the studio's float32 pixels in
  ``[0, 1]``, and tells whether a transparency was dropped on the way: alpha is not convolved.

This module imports no other part of the window, so any widget may use it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

__all__ = ["array_to_qimage", "qimage_to_array"]

_FORMATS = {
    1: QImage.Format.Format_Grayscale8,
    3: QImage.Format.Format_RGB888,
    4: QImage.Format.Format_RGBA8888,
}


def array_to_qimage(pixels: np.ndarray, *, copy: bool = False) -> QImage:
    """A QImage of 8-bit grey, RGB or RGBA pixels, sharing their memory where it can.

    Parameters
    ----------
    pixels : numpy.ndarray
        uint8 pixels of shape ``(H, W)`` (grey), ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA).
        A C-contiguous array is wrapped as it is; any other is copied once into one that is.
    copy : bool
        Return an image that owns its pixels (for Qt to keep, e.g. on the clipboard) instead of
        one that reads the array's memory.

    Returns
    -------
    QImage
        A Grayscale8, RGB888 or RGBA8888 image. Without ``copy`` it holds a reference to the
        array it reads, so the array lives at least as long as the Python image object; the
        image shows later writes to a C-contiguous ``pixels``.

    Raises
    ------
    ValueError
        When ``pixels`` is not uint8 or not of one of the three shapes.

    Examples
    --------
    >>> image = array_to_qimage(np.zeros((2, 3), np.uint8))
    >>> (image.width(), image.height(), image.format() == QImage.Format.Format_Grayscale8)
    (3, 2, True)
    """
    if pixels.dtype != np.uint8:
        raise ValueError("A picture to show must be 8-bit (uint8).")
    channels = 1 if pixels.ndim == 2 else (pixels.shape[2] if pixels.ndim == 3 else 0)
    fmt = _FORMATS.get(channels)
    if fmt is None:
        raise ValueError("A picture to show must be (h, w), (h, w, 3) or (h, w, 4).")
    arr = np.ascontiguousarray(pixels)
    h, w = arr.shape[:2]
    if h == 0 or w == 0:
        return QImage()
    # PySide6 keeps the buffer object (the memoryview, which keeps ``arr``) with the QImage.
    image = QImage(memoryview(arr).cast("B"), w, h, int(arr.strides[0]), fmt)
    return image.copy() if copy else image


def qimage_to_array(image: QImage) -> tuple[np.ndarray, bool]:
    """A QImage as float32 pixels in ``[0, 1]``, and whether a transparency was dropped.

    Parameters
    ----------
    image : QImage
        Any image Qt can convert (pasted or dropped).

    Returns
    -------
    pixels : numpy.ndarray
        float32 ``(H, W)`` for a greyscale image (a grey format, or an indexed one whose colour
        table is grey), otherwise ``(H, W, 3)`` RGB; a new array that owns its memory.
    alpha_dropped : bool
        True when the image had an alpha channel and some pixel was not fully opaque. The
        colours are kept as they are (not blended over a background), as when a file is read.

    Examples
    --------
    >>> image = QImage(2, 1, QImage.Format.Format_RGB888)
    >>> image.fill(0xFF8000)
    >>> pixels, dropped = qimage_to_array(image)
    >>> pixels.shape, pixels.dtype, dropped
    ((1, 2, 3), dtype('float32'), False)
    """
    if image.isNull():
        return np.zeros((0, 0, 3), np.float32), False
    if _is_grey(image):
        if image.format() == QImage.Format.Format_Grayscale16:
            return _scaled(image, np.uint16, 1), False
        return _scaled(image.convertToFormat(QImage.Format.Format_Grayscale8), np.uint8, 1), False
    if image.hasAlphaChannel():
        rgba = _scaled(image.convertToFormat(QImage.Format.Format_RGBA8888), np.uint8, 4)
        return np.ascontiguousarray(rgba[:, :, :3]), bool((rgba[:, :, 3] < 1).any())
    return _scaled(image.convertToFormat(QImage.Format.Format_RGB888), np.uint8, 3), False


def _is_grey(image: QImage) -> bool:
    fmt = image.format()
    if fmt in (QImage.Format.Format_Grayscale8, QImage.Format.Format_Grayscale16):
        return True
    # For an indexed image isGrayscale() reads the colour table only; for the 32-bit formats it
    # would read every pixel, and a colour picture that happens to be grey stays RGB.
    indexed = (QImage.Format.Format_Indexed8, QImage.Format.Format_Mono,
               QImage.Format.Format_MonoLSB)  # fmt: skip
    return fmt in indexed and not image.hasAlphaChannel() and image.isGrayscale()


def _scaled(image: QImage, dtype, channels: int) -> np.ndarray:
    """``image``'s pixels as a new float32 array in [0, 1], without the rows' padding."""
    h, w = image.height(), image.width()
    itemsize = np.dtype(dtype).itemsize
    # A view of the image's memory, read while ``image`` is alive and copied by the division.
    buf = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    rows = buf.reshape(h, image.bytesPerLine())[:, : w * channels * itemsize]
    arr = rows.view(dtype) if itemsize > 1 else rows
    shape = (h, w, channels) if channels > 1 else (h, w)
    return arr.reshape(shape) / np.float32(np.iinfo(dtype).max)
