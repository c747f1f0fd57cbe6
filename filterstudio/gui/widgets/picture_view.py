"""A picture scaled to fit its box under a title and a caption: the Learn view's maps.

Pixels are 8-bit display copies made off the GUI thread; the view only wraps them in a
``QImage`` and draws them, smooth when shrinking and as sharp cells when enlarging a small map.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from filterstudio.gui.imaging import array_to_qimage

__all__ = ["PictureView"]

_MARGIN = 4


class PictureView(QWidget):
    """One picture with a bold title and a one-line caption above it (elided to fit)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self._caption = ""
        self._placeholder = ""
        self._pixels: np.ndarray | None = None
        self._image: QImage | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 110)
        self.setAccessibleName(title)

    # -- state in ----------------------------------------------------------------------------
    def set_pixels(self, pixels: np.ndarray | None, caption: str | None = None) -> None:
        """Show ``pixels`` (uint8 grey or RGB; None: nothing) and, if given, a new caption."""
        self._pixels = pixels
        self._image = None if pixels is None else array_to_qimage(pixels)
        if caption is not None:
            self._caption = caption
        self.update()

    def set_caption(self, caption: str) -> None:
        if caption != self._caption:
            self._caption = caption
            self.update()

    def set_placeholder(self, text: str) -> None:
        """What the empty box says (e.g. "Solve or descend to see it")."""
        self._placeholder = text
        self.update()

    # -- reading -----------------------------------------------------------------------------
    def title(self) -> str:
        return self._title

    def caption(self) -> str:
        return self._caption

    def pixels(self) -> np.ndarray | None:
        return self._pixels

    def picture_rect(self) -> QRect:
        """The box the picture is fitted into, below the two text lines."""
        top = 2 * self.fontMetrics().height() + 2 * _MARGIN
        return self.rect().adjusted(_MARGIN, top, -_MARGIN, -_MARGIN)

    def display_side(self) -> int:
        """The longer side of the picture box in device pixels: how large a copy is worth making."""
        r = self.picture_rect()
        return int(max(r.width(), r.height()) * self.devicePixelRatioF())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(320, 280)

    # -- painting ----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        pal = self.palette()
        fm = self.fontMetrics()
        line = fm.height()
        bold = QFont(self.font())
        bold.setBold(True)
        p.setFont(bold)
        p.setPen(pal.color(QPalette.ColorRole.WindowText))
        width = self.width() - 2 * _MARGIN
        title = p.fontMetrics().elidedText(self._title, Qt.TextElideMode.ElideRight, width)
        p.drawText(QRect(_MARGIN, _MARGIN, width, line), Qt.AlignmentFlag.AlignLeft, title)
        p.setFont(self.font())
        caption = fm.elidedText(self._caption, Qt.TextElideMode.ElideRight, width)
        p.drawText(QRect(_MARGIN, _MARGIN + line, width, line), Qt.AlignmentFlag.AlignLeft, caption)
        box = self.picture_rect()
        p.fillRect(box, pal.color(QPalette.ColorRole.Base))
        img = self._image
        if img is None or img.isNull():
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self._placeholder)  # fmt: skip
        else:
            scale = min(box.width() / img.width(), box.height() / img.height())
            w, h = img.width() * scale, img.height() * scale
            target = QRectF(box.x() + (box.width() - w) / 2, box.y() + (box.height() - h) / 2, w, h)
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 1.0)
            p.drawImage(target, img)
            p.setPen(QPen(QColor(128, 128, 128), 1))
            p.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5))
        p.end()
