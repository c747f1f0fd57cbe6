"""Presentation on a projector: one scale for the type of every widget of the Studio tab.

The lesson has its own projector mode (larger drawing, thicker lines); the Studio tab's
widgets follow this scale through their ``set_presentation(on)``, so numbers and controls
grow together when the window presents.
"""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QWidget

#: How much larger type is while presenting.
PRESENTATION_SCALE = 1.5


def presentation_font(on: bool, base: QFont | None = None) -> QFont:
    """``base`` (the application's font) at presentation size when ``on``, else as it is."""
    font = QFont(base if base is not None else QApplication.font())
    if on:
        size = font.pointSizeF()
        if size > 0:
            font.setPointSizeF(size * PRESENTATION_SCALE)
        else:
            font.setPixelSize(round(font.pixelSize() * PRESENTATION_SCALE))
    return font


def present(widget: QWidget, on: bool) -> None:
    """Give ``widget`` (and the children that inherit its font) presentation-size type."""
    widget.setFont(presentation_font(on))


__all__ = ["PRESENTATION_SCALE", "present", "presentation_font"]
